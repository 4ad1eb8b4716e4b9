/* http_server.c - tests/servers/http_server.py as a throwaway child of a test, and a plain GET of
 * it. */
#include "http_server.h"

#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "server_child.h"

#define SCRIPT PL_SOURCE_DIR "/tests/servers/http_server.py"

int http_server_start(struct http_server *s, int tls)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->log, sizeof(s->log), "/tmp/pl-http-server-%ld%s.log", (long)getpid(),
		 tls ? "-tls" : "");
	const char *py = server_child_python();
	static char script[] = SCRIPT; /* (one literal out of two: not an argv element) */
	char *argv[] = { (char *)py, script, "--port", "0", tls ? "--tls" : NULL, NULL };
	s->pid = server_child_spawn(s->log, argv);
	char *text;
	int exited;
	s->port = server_child_wait_port(&s->pid, s->log, HTTP_SERVER_START_S, &text, &exited);
	if (s->port == 0) {
		fprintf(stderr, "the test HTTP server (%s %s) %s; it printed:\n%s\n", py, SCRIPT,
			exited ? "exited as it started" : "did not print its port",
			text != NULL ? text : "(nothing)");
		free(text);
		(void)unlink(s->log);
		return -1;
	}
	snprintf(s->base, sizeof(s->base), "%s://127.0.0.1:%d", tls ? "https" : "http", s->port);
	/* For http_server_get(): libcurl counts its users, so that the stage's own
	 * init and cleanup, in the same process, leave it set up. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "http_server_start: curl_global_init failed\n");
		http_server_stop(s);
		return -1;
	}
	s->curl_inited = 1;
	return 0;
}

int http_server_stop(struct http_server *s)
{
	if (s->curl_inited)
		curl_global_cleanup();
	s->curl_inited = 0;
	server_child_stop(&s->pid, 3.0);
	if (s->log[0] != '\0')
		(void)unlink(s->log);
	s->log[0] = '\0';
	return 0;
}

struct sink {
	char *out;
	size_t size, len;
};

static size_t on_data(char *data, size_t size, size_t n, void *arg)
{
	struct sink *k = arg;
	size_t len = size * n;
	size_t fit = k->size - 1 - k->len < len ? k->size - 1 - k->len : len;
	memcpy(k->out + k->len, data, fit);
	k->len += fit;
	k->out[k->len] = '\0';
	return len;
}

void http_server_get(const struct http_server *s, const char *path, char *out, size_t size)
{
	char url[256];
	struct sink k = { out, size, 0 };
	long status = 0;

	out[0] = '\0';
	snprintf(url, sizeof(url), "%s%s", s->base, path);
	CURL *e = curl_easy_init();
	assert_non_null(e);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &k);
	CURLcode rc = curl_easy_perform(e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(e);
	if (rc != CURLE_OK || status != 200)
		fail_msg("GET %s: %s, status %ld", url, curl_easy_strerror(rc), status);
}

void http_server_counts(const struct http_server *s, long *requests, long *connections)
{
	char text[128];
	http_server_get(s, "/count", text, sizeof(text));
	if (sscanf(text, "requests=%ld connections=%ld", requests, connections) != 2)
		fail_msg("/count answered '%s'", text);
}

int http_unused_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}
