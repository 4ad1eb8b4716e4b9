/* http_server.c - tests/servers/http_server.py as a throwaway child of a test, and a plain GET of
 * it. */
#include "http_server.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#define SCRIPT PL_SOURCE_DIR "/tests/servers/http_server.py"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void cloexec(int fd)
{
	fcntl(fd, F_SETFD, FD_CLOEXEC);
}

int http_server_start(struct http_server *s)
{
	int in[2], out[2];

	memset(s, 0, sizeof(*s));
	s->stdin_fd = -1;
	if (pipe(in) != 0 || pipe(out) != 0) {
		perror("http_server_start: pipe");
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("http_server_start: fork");
		return -1;
	}
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		execlp("python3", "python3", SCRIPT, "--port", "0", "--exit-on-eof", (char *)NULL);
		perror("http_server_start: python3");
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	cloexec(in[1]); /* (the pipelines a test starts must not keep the server up) */
	s->pid = pid;
	s->stdin_fd = in[1];

	char line[32] = "";
	size_t len = 0;
	double deadline = now_s() + HTTP_SERVER_START_S;
	while (len + 1 < sizeof(line) && memchr(line, '\n', len) == NULL) {
		struct pollfd p = { .fd = out[0], .events = POLLIN };
		int left_ms = (int)((deadline - now_s()) * 1000);
		if (left_ms <= 0 || poll(&p, 1, left_ms) <= 0)
			break;
		ssize_t n = read(out[0], line + len, sizeof(line) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(out[0]); /* (it prints nothing more) */
	line[len] = '\0';
	s->port = atoi(line);
	if (s->port <= 0 || s->port > 65535) {
		fprintf(stderr, "http_server_start: %s printed no port (got '%s')\n", SCRIPT, line);
		http_server_stop(s);
		return -1;
	}
	snprintf(s->base, sizeof(s->base), "http://127.0.0.1:%d", s->port);
	return 0;
}

int http_server_stop(struct http_server *s)
{
	if (s->stdin_fd >= 0)
		close(s->stdin_fd);
	s->stdin_fd = -1;
	if (s->pid <= 0)
		return 0;
	int status;
	for (int i = 0; i < 300; i++) { /* 3 s to exit on EOF */
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			s->pid = 0;
			return 0;
		}
		if (i == 100)
			kill(s->pid, SIGTERM);
		nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
	}
	kill(s->pid, SIGKILL);
	waitpid(s->pid, &status, 0);
	s->pid = 0;
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
