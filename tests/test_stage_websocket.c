/* test_stage_websocket.c - the `websocket` generator end to end, against a real WebSocket server.
 *
 * One tests/servers/ws_server.py (python3-websockets) serves the whole program on 127.0.0.1
 * and a free port (ws_server.h); each test writes a config into a scratch directory and runs
 * `pipeline run` on it.  What a connection gets is chosen by its path (see the server's
 * header): /count, /binary, /drop (drops the TCP connection and goes on where it left on the
 * next one), /close?code=C, /refuse, /fail (refuses some handshakes first), /slow, /big
 * (one message in many fragments), /headers.  Ids in the query keep the tests apart.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_harness.h"
#include "run_child.h"
#include "ws_server.h"

static char dir[64];
static struct ws_server server;
static struct result res;

static int setup(void **state)
{
	(void)state;
	if (scratch_setup(dir, "websocket") != 0)
		return -1;
	ws_server_start(&server, dir, 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ws_server_stop(&server);
	return scratch_teardown(dir);
}

/* dir/name, in a static buffer (one at a time). */
static const char *in_dir(const char *name)
{
	static char path[192];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

/*
 * Writes dir/ws.yaml: a `websocket` generator on ws://[userinfo]127.0.0.1:PORT`path` with
 * the extra flow-mapping params `extra` ("" for none), into `sink` (a flow mapping's
 * inside: "stage: stdout"), and returns its path.
 */
static const char *put_config(const char *userinfo, const char *path, const char *extra,
			      const char *sink)
{
	static char yaml_path[192];
	snprintf(yaml_path, sizeof(yaml_path), "%s/ws.yaml", dir);
	FILE *f = fopen(yaml_path, "w");
	assert_non_null(f);
	fprintf(f,
		"version: 1\n"
		"name: ws-test\n"
		"nodes:\n"
		"  - { name: ws, type: generator, stage: websocket, output: m,\n"
		"      params: { url: \"ws://%s127.0.0.1:%d%s\"%s%s } }\n"
		"  - { name: out, type: sink, input: m, %s }\n",
		userinfo, server.port, path, extra[0] != '\0' ? ", " : "", extra, sink);
	assert_int_equal(fclose(f), 0);
	failure_context_set("ws://127.0.0.1:%d%s", server.port, path);
	return yaml_path;
}

/* Fails the test, with the run's stderr, unless `hay` contains `needle`. */
static void assert_has(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("[%s] expected to find\n  %s\nin:\n%s\n(stderr:\n%s)", failure_context(),
			 needle, hay, res.err);
}

/* How many times `needle` occurs in `hay`. */
static int occurrences(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* Checks that `out` is "1\n2\n...n\n". */
static void assert_numbered(const char *out, int n)
{
	const char *p = out;
	for (int i = 1; i <= n; i++) {
		char want[16];
		int len = snprintf(want, sizeof(want), "%d\n", i);
		if (strncmp(p, want, (size_t)len) != 0)
			fail_msg("[%s] line %d is not %d: ...%.40s\n(stderr:\n%s)",
				 failure_context(), i, i, p, res.err);
		p += len;
	}
	if (*p != '\0')
		fail_msg("[%s] more than %d lines: ...%.40s", failure_context(), n, p);
}

/* ---- The stream. --------------------------------------------------------- */

/* Every text frame once, in order; a close with status 1000 ends the run with 0. */
static void test_frames_in_order(void **state)
{
	(void)state;
	RUN(&res, "run", put_config("", "/count?n=2000", "", "stage: stdout"));
	assert_int_equal(res.code, 0);
	assert_numbered(res.out, 2000);
	assert_has(res.err, "nothing lost: each of the 2000 messages");
	assert_null(strstr(res.err, "warning"));
}

/* Binary frames arrive byte for byte (each written with a "\n" after it). */
static void test_binary_exact(void **state)
{
	(void)state;
	enum { N = 40, SIZE = 1000 };
	char sink[256];
	snprintf(sink, sizeof(sink), "stage: file, params: { path: \"%s\" }", in_dir("bin.out"));
	RUN(&res, "run", "-q", put_config("", "/binary?n=40&size=1000", "", sink));
	assert_int_equal(res.code, 0);
	size_t len;
	char *got = read_whole_file(in_dir("bin.out"), &len);
	assert_non_null(got);
	assert_int_equal(len, N * (SIZE + 1));
	for (size_t i = 0; i < N; i++) {
		for (size_t j = 0; j < SIZE; j++)
			if ((unsigned char)got[i * (SIZE + 1) + j] != (i * 7 + j) % 256)
				fail_msg("frame %zu byte %zu differs", i, j);
		assert_int_equal(got[i * (SIZE + 1) + SIZE], '\n');
	}
	free(got);
}

/* One message sent in 40 fragments (of several lws reads each) is one pipeline message. */
static void test_big_fragmented(void **state)
{
	(void)state;
	enum { SIZE = 3000000 };
	char sink[256];
	snprintf(sink, sizeof(sink), "stage: file, params: { path: \"%s\" }", in_dir("big.out"));
	RUN(&res, "run", "-q", put_config("", "/big?size=3000000&frags=40", "", sink));
	assert_int_equal(res.code, 0);
	size_t len;
	char *got = read_whole_file(in_dir("big.out"), &len);
	assert_non_null(got);
	assert_int_equal(len, SIZE + 1 + 4);
	for (size_t j = 0; j < SIZE; j++)
		if ((unsigned char)got[j] != j % 251)
			fail_msg("byte %zu of the big message differs", j);
	assert_memory_equal(got + SIZE, "\nend\n", 5);
	free(got);
}

/* A message over max_message fails the stage (and is not cut into pieces). */
static void test_max_message(void **state)
{
	(void)state;
	RUN(&res, "run", "-q",
	    put_config("", "/big?size=300000&frags=3", "max_message: 100000", "stage: stdout"));
	assert_int_equal(res.code, 1);
	assert_string_equal(res.out, "");
	assert_has(res.err, "pipeline: error: node 'ws' (stage 'websocket'): a message from ws://");
	assert_has(res.err,
		   "is larger than max_message (100000 bytes)"); /* in one frame smaller than what
								    libwebsockets reads at once */
	RUN(&res, "run", "-q", put_config("", "/count?n=20", "max_message: 1", "stage: stdout"));
	assert_int_equal(res.code, 1);
	assert_string_equal(res.out, "1\n2\n3\n4\n5\n6\n7\n8\n9\n");
	assert_has(res.err, "is larger than max_message (1 byte)");
}

/* ---- Losing the connection. -------------------------------------------- */

/* A server that drops the TCP connection every 40 frames, and goes on where it left on the
 * next connection: every frame arrives exactly once, in order, with a warning per drop. */
static void test_drop_reconnects(void **state)
{
	(void)state;
	RUN(&res, "run", "-q",
	    put_config("", "/drop?n=300&after=40&id=drop", "reconnect_min_ms: 10",
		       "stage: stdout"));
	assert_int_equal(res.code, 0);
	assert_numbered(res.out, 300);
	/* 300 frames in runs of 40: dropped after 40, 80, ..., 280 */
	assert_int_equal(occurrences(res.err, "the connection was lost (no close frame); "
					      "reconnecting in "),
			 7);
	assert_has(res.err, "pipeline: warning: node 'ws' (worker 0): ws://127.0.0.1:");
	/* Connections that lasted less than a second (reconnect_max_ms is 10 s) count on. */
	assert_has(res.err, "(attempt 7 of 10)");
	assert_null(strstr(res.err, "attempt 8 of"));
}

/* A server that sends a couple of messages and then fails, every time, runs out of
 * attempts: delivering is not enough to reset the count, lasting is. */
static void test_flapping_runs_out(void **state)
{
	(void)state;
	RUN(&res, "run", "-q",
	    put_config("", "/close?code=1011&n=2",
		       "reconnect_attempts: 3, reconnect_min_ms: 10, reconnect_max_ms: 40",
		       "stage: stdout"));
	assert_int_equal(res.code, 1);
	assert_string_equal(res.out, "1\n2\n1\n2\n1\n2\n1\n2\n");
	assert_has(res.err, "gave up after 3 reconnect attempts");
	/* The backoff grows too, from 0 (1, 2, ... ms), not staying at 0. */
	RUN(&res, "run", "-q",
	    put_config("", "/close?code=1011&n=1",
		       "reconnect_attempts: 12, reconnect_min_ms: 0, reconnect_max_ms: 2000",
		       "stage: stdout"));
	assert_int_equal(res.code, 1);
	assert_int_equal(occurrences(res.out, "1\n"), 13);
	assert_has(res.err, "reconnecting in 0 ms (attempt 1 of 12)");
	assert_has(res.err, "(attempt 12 of 12)");
}

/* A close frame without a status (1005, what `ws.close()` of some servers sends) is a clean
 * closing handshake: the end, as 1000 is. */
static void test_close_without_status(void **state)
{
	(void)state;
	RUN(&res, "run", "-q", put_config("", "/close?code=none&n=3", "", "stage: stdout"));
	assert_int_equal(res.code, 0);
	assert_string_equal(res.out, "1\n2\n3\n");
	assert_null(strstr(res.err, "reconnecting"));
}

/* Refused handshakes are retried with backoff until one succeeds. */
static void test_refused_then_accepted(void **state)
{
	(void)state;
	RUN(&res, "run", "-q",
	    put_config("", "/fail?times=2&n=5&id=fail", "reconnect_min_ms: 10", "stage: stdout"));
	assert_int_equal(res.code, 0);
	assert_string_equal(res.out, "1\n2\n3\n4\n5\n");
	assert_int_equal(occurrences(res.err, "the server refused the WebSocket handshake with "
					      "HTTP 503; reconnecting in "),
			 2);
	assert_has(res.err, "(attempt 2 of 10)");
}

/* A close with a status other than 1000 is a loss; once the attempts run out, exit 1 with
 * the URL, the last reason and the count. */
static void test_attempts_run_out(void **state)
{
	(void)state;
	double start = now_s();
	RUN(&res, "run", "-q",
	    put_config("", "/close?code=1011",
		       "reconnect_attempts: 3, reconnect_min_ms: 20, reconnect_max_ms: 40",
		       "stage: stdout"));
	assert_int_equal(res.code, 1);
	assert_string_equal(res.out, "");
	assert_int_equal(occurrences(res.err, "closed by the server with status 1011 (test); "
					      "reconnecting in "),
			 3);
	char want[256];
	snprintf(want, sizeof(want),
		 "pipeline: error: node 'ws' (stage 'websocket'): "
		 "ws://127.0.0.1:%d/close?code=1011: "
		 "closed by the server with status 1011 (test); gave up after 3 reconnect attempts",
		 server.port);
	assert_has(res.err, want);
	/* waits of 10-20, 20-40 and 20-40 ms, not more */
	assert_true(now_s() - start < 20.0);
}

/* A refused handshake with reconnect_attempts 0 fails at once; user:password never shows. */
static void test_refused_no_retry(void **state)
{
	(void)state;
	RUN(&res, "run", "-q",
	    put_config("alice:s3cret@", "/refuse?status=403", "reconnect_attempts: 0",
		       "stage: stdout"));
	assert_int_equal(res.code, 1);
	char want[256];
	snprintf(want, sizeof(want),
		 "ws://127.0.0.1:%d/refuse?status=403: the server refused the WebSocket handshake "
		 "with HTTP 403 (reconnect_attempts is 0)",
		 server.port);
	assert_has(res.err, want);
	assert_null(strstr(res.err, "s3cret"));
	assert_null(strstr(res.err, "alice"));
	assert_null(strstr(res.err, "warning"));
}

/* Nothing listening: "cannot connect", retried, then given up. */
static void test_nothing_listening(void **state)
{
	(void)state;
	/* A port that was free a moment ago. */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	close(fd);
	char yaml[256];
	snprintf(yaml, sizeof(yaml),
		 "version: 1\n"
		 "nodes:\n"
		 "  - { name: ws, type: generator, stage: websocket, output: m,\n"
		 "      params: { url: \"ws://127.0.0.1:%d/\", reconnect_attempts: 1,\n"
		 "                reconnect_min_ms: 10 } }\n"
		 "  - { name: out, type: sink, stage: stdout, input: m }\n",
		 ntohs(a.sin_port));
	FILE *f = fopen(in_dir("closed.yaml"), "w");
	assert_non_null(f);
	fputs(yaml, f);
	assert_int_equal(fclose(f), 0);
	failure_context_set("nothing listening on port %d", ntohs(a.sin_port));
	RUN(&res, "run", "-q", in_dir("closed.yaml"));
	assert_int_equal(res.code, 1);
	assert_int_equal(occurrences(res.err, ": cannot connect: "), 2);
	assert_has(res.err, "gave up after 1 reconnect attempt\n");
}

/* ---- Stopping. ----------------------------------------------------------- */

/* SIGINT while connected to an endless stream: the run ends promptly with 130, every
 * message produced reaches the sink, and the server sees a close with status 1000. */
static void test_sigint_while_connected(void **state)
{
	(void)state;
	struct child c;
	const char *yaml = put_config("", "/slow?ms=5&id=sigint", "", "stage: stdout");
	CHILD_START(&c, dir, "run", yaml);
	child_wait_ready(&c);
	/* Wait for some messages to have reached the sink. */
	double start = now_s();
	for (;;) {
		struct stat st;
		if (stat(c.out_path, &st) == 0 && st.st_size > 40)
			break;
		if (now_s() - start > 20.0)
			fail_msg("no message arrived within 20 s");
		sleep_s(0.01);
	}
	double sent = now_s();
	child_signal(&c, SIGINT);
	child_wait(&c, NULL, NULL);
	assert_true(c.exited);
	assert_int_equal(c.code, 130);
	assert_true(c.ended - sent < 3.0);
	/* 1, 2, ... k without a gap */
	int k = 0;
	for (const char *p = c.out; *p != '\0'; p = strchr(p, '\n') + 1) {
		assert_int_equal(atoi(p), ++k);
		assert_non_null(strchr(p, '\n'));
	}
	assert_true(k >= 10);
	if (strstr(c.err, "pipeline: nothing lost") == NULL)
		fail_msg("the books do not balance:\n%s", c.err);
	assert_true(ws_server_wait_event(&server, "closed /slow?ms=5&id=sigint code=1000 by=client",
					 5.0));
	child_free(&c);
}

/* ---- The example. -------------------------------------------------------- */

/* pipelines/websocket-tail.yaml, pointed at the test server: the error lines of the feed. */
static void test_example(void **state)
{
	(void)state;
	char url[128];
	snprintf(url, sizeof(url), "WS_URL=ws://127.0.0.1:%d/log?n=35", server.port);
	failure_context_set("pipelines/websocket-tail.yaml with %s", url);
	run_env(&res, (const char *const[]){ url, NULL },
		(const char *const[]){ "run", "pipelines/websocket-tail.yaml", NULL });
	assert_int_equal(res.code, 0);
	assert_string_equal(res.out, "seq=10 level=error msg=\"request 10 served\"\n"
				     "seq=20 level=error msg=\"request 20 served\"\n"
				     "seq=30 level=error msg=\"request 30 served\"\n");
	assert_has(res.err, "nothing lost: each of the 38 messages sent on 2 channels");
}

#ifdef PL_FAULT_INJECTION
/* Each allocation of a run of the example fails in turn (a PL_FAULT_INJECTION build, as
 * tests/test_faults.c does for the examples that need no server): out of memory is
 * reported (exit 1, or 2 before the run), or survived with a warning; never a crash, a leak or a
 * hang. */
static void test_every_allocation(void **state)
{
	(void)state;
	char url[128];
	snprintf(url, sizeof(url), "WS_URL=ws://127.0.0.1:%d/log?n=20", server.port);
	unsigned long n = 1;
	for (;; n++) {
		char fault[64];
		snprintf(fault, sizeof(fault), "PIPELINE_FAULT_ALLOC=%lu", n);
		failure_context_set("%s %s", fault, url);
		run_env(&res, (const char *const[]){ url, fault, NULL },
			(const char *const[]){ "run", "pipelines/websocket-tail.yaml", NULL });
		int fired = strstr(res.err, "pipeline: fault injection: ") != NULL;
		if (strstr(res.err, "Sanitizer") != NULL ||
		    strstr(res.err, "runtime error:") != NULL || res.code > 2 ||
		    (!fired && res.code != 0) ||
		    (fired && res.code == 0 && strstr(res.err, "warning: ") == NULL) ||
		    (fired && res.code != 0 && strstr(res.err, "out of memory") == NULL))
			fail_msg("%s: exit %d:\n%s", fault, res.code, res.err);
		if (!fired)
			break;
		assert_true(n < 5000);
	}
	print_message("  websocket-tail.yaml: %lu allocations failed in turn\n", n - 1);
	assert_true(n > 10);
}
#endif

/* ---- Parameters. --------------------------------------------------------- */

/* user:password@ is sent as basic authentication, subprotocol as Sec-WebSocket-Protocol. */
static void test_auth_and_subprotocol(void **state)
{
	(void)state;
	RUN(&res, "run", "-q",
	    put_config("user%40example:pa%3Ass@", "/headers", "subprotocol: chat",
		       "stage: stdout"));
	assert_int_equal(res.code, 0);
	/* base64("user@example:pa:ss") */
	assert_string_equal(res.out, "Basic dXNlckBleGFtcGxlOnBhOnNz\nchat\n");
}

/* wss:// against a server with the test CA's certificate: refused without ca_file (the
 * system's CAs do not know it), every message with it. */
static void test_wss(void **state)
{
	(void)state;
	struct ws_server tls;
	ws_server_start(&tls, dir, 1);
	static const char *const cas[] = { "", ", ca_file: '" PL_SOURCE_DIR
					       "/tests/servers/tls/ca.pem'" };
	for (size_t i = 0; i < 2; i++) {
		FILE *f = fopen(in_dir("wss.yaml"), "w");
		assert_non_null(f);
		fprintf(f,
			"version: 1\n"
			"nodes:\n"
			"  - { name: ws, type: generator, stage: websocket, output: m,\n"
			"      params: { url: \"wss://127.0.0.1:%d/count?n=5\", "
			"reconnect_attempts: 0%s } }\n"
			"  - { name: out, type: sink, stage: stdout, input: m }\n",
			tls.port, cas[i]);
		assert_int_equal(fclose(f), 0);
		failure_context_set("wss:// %s", i == 0 ? "without ca_file" : "with ca_file");
		RUN(&res, "run", "-q", in_dir("wss.yaml"));
		if (i == 0) {
			assert_int_equal(res.code, 1);
			assert_has(res.err,
				   "a TLS failure; is the server's certificate for this host "
				   "and signed by a CA the system trusts?");
		} else {
			assert_int_equal(res.code, 0);
			assert_string_equal(res.out, "1\n2\n3\n4\n5\n");
		}
	}
	ws_server_stop(&tls);
}

/* A bad URL or backoff is refused before anything runs, with exit 2. */
static void test_bad_params(void **state)
{
	(void)state;
	static const struct {
		const char *url, *extra, *message;
	} cases[] = {
		{ "http://127.0.0.1/", "", "'url' must start with ws:// or wss://" },
		{ "ws:///path", "", "'url' names no host" },
		{ "ws://127.0.0.1:0/", "",
		  "'url' has a port that is not a number from 1 to 65535" },
		{ "ws://127.0.0.1:80x/", "",
		  "'url' has a port that is not a number from 1 to 65535" },
		{ "ws://[::1/", "", "'url' has an IPv6 address without its closing ']'" },
		{ "ws://127.0.0.1/", ", reconnect_min_ms: 500, reconnect_max_ms: 100",
		  "4:59: error: node 'ws' (stage 'websocket'): 'reconnect_min_ms' (500) is larger "
		  "than 'reconnect_max_ms' (100) [PL059]" },
		/* No header can be slipped into the handshake through the URL. */
		{ "ws://127.0.0.1/x\\r\\nAuthorization: Basic ZXZpbA==", "",
		  "'url' holds a space or control character (byte 0x0d at offset 16)" },
		{ "ws://127.0.0.1/a b", "", "(byte 0x20 at offset 16): percent-encode it" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		FILE *f = fopen(in_dir("bad.yaml"), "w");
		assert_non_null(f);
		fprintf(f,
			"version: 1\n"
			"nodes:\n"
			"  - { name: ws, type: generator, stage: websocket, output: m,\n"
			"      params: { url: \"%s\"%s } }\n"
			"  - { name: out, type: sink, stage: stdout, input: m }\n",
			cases[i].url, cases[i].extra);
		assert_int_equal(fclose(f), 0);
		failure_context_set("%s%s", cases[i].url, cases[i].extra);
		RUN(&res, "run", "-q", in_dir("bad.yaml"));
		assert_int_equal(res.code, 2);
		assert_has(res.err, cases[i].message);
		/* validate refuses them too (PL_STAGE_INIT_CHECKS) */
		RUN(&res, "validate", "-q", in_dir("bad.yaml"));
		assert_int_equal(res.code, 1);
		assert_has(res.out, cases[i].message);
	}
	/* url is required, which validate knows from the declared parameters */
	FILE *f = fopen(in_dir("nourl.yaml"), "w");
	assert_non_null(f);
	fputs("version: 1\n"
	      "nodes:\n"
	      "  - { name: ws, type: generator, stage: websocket, output: m }\n"
	      "  - { name: out, type: sink, stage: stdout, input: m }\n",
	      f);
	assert_int_equal(fclose(f), 0);
	RUN(&res, "validate", in_dir("nourl.yaml"));
	assert_int_not_equal(res.code, 0);
	assert_non_null(strstr(res.out, "url"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frames_in_order),
		cmocka_unit_test(test_binary_exact),
		cmocka_unit_test(test_big_fragmented),
		cmocka_unit_test(test_max_message),
		cmocka_unit_test(test_drop_reconnects),
		cmocka_unit_test(test_flapping_runs_out),
		cmocka_unit_test(test_close_without_status),
		cmocka_unit_test(test_refused_then_accepted),
		cmocka_unit_test(test_attempts_run_out),
		cmocka_unit_test(test_refused_no_retry),
		cmocka_unit_test(test_nothing_listening),
		cmocka_unit_test(test_sigint_while_connected),
		cmocka_unit_test(test_example),
#ifdef PL_FAULT_INJECTION
		cmocka_unit_test(test_every_allocation),
#endif
		cmocka_unit_test(test_auth_and_subprotocol),
		cmocka_unit_test(test_wss),
		cmocka_unit_test(test_bad_params),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
