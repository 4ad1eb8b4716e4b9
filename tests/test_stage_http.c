/* test_stage_http.c - the `http` transform against tests/servers/http_server.py, run by the test.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "builtin.h"
#include "cli_harness.h"
#include "run_child.h"
#include "engine_harness.h"
#include "http_server.h"
#include "http_url.h"
#include "json_depth.h"
#include "stage_harness.h"
#include "stage_test_util.h"

static struct http_server server;
static char scratch[64];

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* A harness of the http stage whose url is the server's base then `path`. */
static void create(pl_harness *h, const char *path)
{
	char url[512];
	snprintf(url, sizeof(url), "%s%s", server.base, path);
	assert_int_equal(pl_harness_create(h, &pl_stage_http), 0);
	assert_int_equal(pl_harness_set(h, "url", url), 0);
}

/* One message through a fresh harness: its result, the output or the failure in `out`. */
static int one(const char *path, const char *msg, char *out, size_t size)
{
	pl_harness h;
	create(&h, path);
	assert_int_equal(pl_harness_init(&h), 0);
	int rc = pl_harness_process_str(&h, msg);
	if (rc == 0) {
		assert_int_equal(h.n_outs, 1);
		snprintf(out, size, "%s", pl_harness_out(&h, 0));
	} else {
		assert_int_equal(h.n_outs, 0);
		snprintf(out, size, "%s", h.fail_msg);
	}
	finish(&h);
	return rc;
}

#define ASSERT_ONE(path, msg, want)                                      \
	do {                                                             \
		char got_[1024];                                         \
		assert_int_equal(one(path, msg, got_, sizeof(got_)), 0); \
		assert_string_equal(got_, want);                         \
	} while (0)

/* The failure of one message, which must contain `want` (printf, the server's base as %1$s
 * not supported: tests pass it themselves). */
static void assert_fails(const char *path, const char *msg, const char *want)
{
	char got[1024];
	assert_int_equal(one(path, msg, got, sizeof(got)), PL_ESTAGE);
	if (strstr(got, want) == NULL)
		fail_msg("the failure '%s' lacks '%s'", got, want);
}

/* ---- The URL template, without a server. ------------------------------------------------- */

static void test_url_template(void **state)
{
	(void)state;
	static const struct {
		const char *src, *msg, *want;
	} ok[] = {
		{ "http://h/{}", "a b/c?d&\xc3\xa9~-._", "http://h/a%20b%2Fc%3Fd%26%C3%A9~-._" },
		{ "{+}", "http://h/x%20y?z=1", "http://h/x%20y?z=1" },
		{ "http://h/{{}}/{}{}", "1", "http://h/{}/11" },
		{ "HTTPS://h/q?a={}", "", "HTTPS://h/q?a=" },
		{ "http{+}", "://h/x", "http://h/x" }, /* the scheme goes on in the message */
	};
	char err[256];
	pl_http_buf b = { 0 };
	for (size_t i = 0; i < N_ELEMS(ok); i++) {
		pl_http_url t;
		assert_int_equal(pl_http_url_parse(&t, ok[i].src, err, sizeof(err)), 0);
		assert_int_equal(pl_http_url_expand(&t, (const unsigned char *)ok[i].msg,
						    strlen(ok[i].msg), &b, err, sizeof(err)),
				 0);
		assert_string_equal(b.data, ok[i].want);
		pl_http_url_free(&t);
	}
	/* A NUL in the message is encoded, not the end of the URL. */
	pl_http_url t;
	assert_int_equal(pl_http_url_parse(&t, "http://h/{}", err, sizeof(err)), 0);
	assert_int_equal(
		pl_http_url_expand(&t, (const unsigned char *)"a\0b", 3, &b, err, sizeof(err)), 0);
	assert_string_equal(b.data, "http://h/a%00b");
	pl_http_url_free(&t);
	pl_http_buf_free(&b);

	static const struct {
		const char *src, *why;
	} bad[] = {
		{ "http://h/{x", "offset 9 is not {}" },
		{ "http://h/{a b}", "offset 9" },
		{ "http://h/{+", "offset 9" },
		{ "ftp://h/{}", "must start with http:// or https://, not 'ftp:'" },
		{ "file:///etc/passwd", "not 'file:'" },
		{ "h:8/{+}", "not 'h:8'" }, /* (curl would guess http) */
		{ "user:pw@h/{}", "not 'user:pw'" },
#ifndef PL_HAVE_JANSSON
		{ "http://h/{id}", "needs JSON support (jansson)" },
#endif
	};
	for (size_t i = 0; i < N_ELEMS(bad); i++) {
		assert_int_equal(pl_http_url_parse(&t, bad[i].src, err, sizeof(err)), PL_EINVAL);
		if (strstr(err, bad[i].why) == NULL)
			fail_msg("'%s': '%s' lacks '%s'", bad[i].src, err, bad[i].why);
	}
}

static void test_url_redact(void **state)
{
	(void)state;
	static const struct {
		const char *url, *want;
	} cases[] = {
		{ "http://user:pw@h:1/x", "http://***@h:1/x" },
		{ "http://a:p@ss@h/x@y", "http://***@h/x@y" }, /* an '@' in the password */
		{ "https://token@h/", "https://***@h/" },
		{ "http://h/path@x?q=a@b", "http://h/path@x?q=a@b" },
		{ "user:s3cret@h:1/x@y", "***@h:1/x@y" }, /* no scheme: curl guesses http */
		{ "h/a://b@c", "h/a://b@c" },             /* a "://" past the authority */
	};
	char out[64];
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		pl_http_url_redact(cases[i].url, out, sizeof(out));
		assert_string_equal(out, cases[i].want);
	}
	char longer[200];
	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	memcpy(longer, "http://u:p@h/", 13);
	pl_http_url_redact(longer, out, 24);
	assert_string_equal(out, "http://***@h/aaaaaaa...");
}

/* ---- Requests, one worker. ---------------------------------------------------------------- */

static void test_get_templates(void **state)
{
	(void)state;
	ASSERT_ONE("/echo/{}", "hello", "hello");
	ASSERT_ONE("/path/{}", "a b/c?d&\xc3\xa9", "/path/a%20b%2Fc%3Fd%26%C3%A9");
	ASSERT_ONE("/echo/{}", "a b/c", "a b/c"); /* decoded by the server */

	/* {+}: the message as it is, here a whole URL. */
	pl_harness h;
	assert_int_equal(pl_harness_create(&h, &pl_stage_http), 0);
	assert_int_equal(pl_harness_set(&h, "url", "{+}"), 0);
	assert_int_equal(pl_harness_init(&h), 0);
	char url[128];
	snprintf(url, sizeof(url), "%s/path/x%%20y/z", server.base);
	assert_int_equal(pl_harness_process_str(&h, url), 0);
	assert_string_equal(pl_harness_out(&h, 0), "/path/x%20y/z");
	/* A space cannot go in as it is: an error for this message, the next one fine. */
	snprintf(url, sizeof(url), "%s/echo/a b", server.base);
	assert_int_equal(pl_harness_process_str(&h, url), PL_ESTAGE);
	assert_non_null(strstr(h.fail_msg, "the message holds a space or control character"));
	snprintf(url, sizeof(url), "%s/echo/ok", server.base);
	assert_int_equal(pl_harness_process_str(&h, url), 0);
	assert_int_equal(h.n_outs, 2);
	assert_string_equal(pl_harness_out(&h, 1), "ok");
	finish(&h);

	/* An empty message and an empty body. */
	ASSERT_ONE("/echo/{}", "", "");
}

static void test_json_fields(void **state)
{
	(void)state;
#ifdef PL_HAVE_JANSSON
	ASSERT_ONE("/echo/{id}-{+p}", "{\"id\": \"a/b\", \"p\": \"c/d\", \"x\": [1]}", "a/b-c/d");
	ASSERT_ONE("/path/{id}-{+p}", "{\"id\": \"a/b\", \"p\": \"c/d\"}", "/path/a%2Fb-c/d");
	ASSERT_ONE("/path/{n}/{t}/{f}/{r}", "{\"n\": -12, \"t\": true, \"f\": false, \"r\": 1.5}",
		   "/path/-12/true/false/1.5");
	ASSERT_ONE("/item/{id}", "{\"id\": 7}",
		   "{\"id\": \"7\", \"title\": \"item 7\", \"links\": [\"/item/7/1\", "
		   "\"/item/7/2\"]}");
	assert_fails("/echo/{id}", "{\"x\": 1}", "the message has no field 'id' to put in the URL");
	assert_fails("/echo/{id}", "{\"id\": null}",
		     "no field 'id' to put in the URL (it is null)");
	assert_fails("/echo/{id}", "{\"id\": [1]}", "(it is an array: only a string, a number");
	assert_fails("/echo/{id}", "{\"id\": {}}", "(it is an object: only a string, a number");
	/* A fraction in its shortest form that reads back the same, not %.17g's. */
	ASSERT_ONE("/path/{a}/{b}/{c}", "{\"a\": 0.1, \"b\": 1e300, \"c\": 0.30000000000000004}",
		   "/path/0.1/1e%2B300/0.30000000000000004");
	/* Nesting that would overflow a small stack in jansson's recursion: refused first. */
	char deep[2 * (PL_JSON_MAX_DEPTH + 1) + 32];
	int n = snprintf(deep, sizeof(deep), "{\"id\": 1, \"x\": ");
	for (int i = 0; i < PL_JSON_MAX_DEPTH; i++)
		deep[n++] = '[';
	for (int i = 0; i < PL_JSON_MAX_DEPTH; i++)
		deep[n++] = ']';
	snprintf(deep + n, sizeof(deep) - (size_t)n, "}");
	assert_fails("/echo/{id}", deep, "nests arrays and objects deeper than 128 levels");
	assert_fails("/echo/{id}", "[1, 2]", "which is not a JSON object: not an object");
	assert_fails("/echo/{id}", "not json", "which is not a JSON object: ");
	assert_fails("/echo/{+id}", "{\"id\": \"a\\u0000b\"}",
		     "the field 'id' holds a space or control character (byte 0x00 at offset 1)");
#else
	pl_harness h;
	create(&h, "/echo/{id}");
	assert_int_equal(pl_harness_init(&h), PL_ESTAGE);
	assert_non_null(strstr(h.fail_msg, "jansson"));
	finish(&h);
#endif
}

static void test_methods(void **state)
{
	(void)state;
	static const char *const with_body[] = { "POST", "put", "PATCH" };
	for (size_t i = 0; i < N_ELEMS(with_body); i++) {
		pl_harness h;
		create(&h, "/echo");
		assert_int_equal(pl_harness_set(&h, "method", with_body[i]), 0);
		assert_int_equal(pl_harness_init(&h), 0);
		assert_int_equal(pl_harness_process(&h, "a\0b\xff", 4), 0);
		assert_int_equal(pl_harness_process(&h, "", 0), 0);
		char big[70000];
		memset(big, 'b', sizeof(big));
		assert_int_equal(pl_harness_process(&h, big, sizeof(big)), 0);
		assert_int_equal(h.n_outs, 3);
		assert_int_equal(pl_harness_out_len(&h, 0), 4);
		assert_memory_equal(pl_harness_out(&h, 0), "a\0b\xff", 4);
		assert_int_equal(pl_harness_out_len(&h, 1), 0);
		assert_int_equal(pl_harness_out_len(&h, 2), sizeof(big));
		assert_memory_equal(pl_harness_out(&h, 2), big, sizeof(big));
		finish(&h);
	}
	static const struct {
		const char *method, *want;
	} plain[] = { { "GET", "GET" }, { "delete", "DELETE" }, { "HEAD", "" }, { "put", "PUT" } };
	for (size_t i = 0; i < N_ELEMS(plain); i++) {
		pl_harness h;
		create(&h, "/method");
		assert_int_equal(pl_harness_set(&h, "method", plain[i].method), 0);
		assert_int_equal(pl_harness_init(&h), 0);
		assert_int_equal(pl_harness_process_str(&h, "x"), 0);
		assert_int_equal(h.n_outs, 1);
		assert_string_equal(pl_harness_out(&h, 0), plain[i].want);
		finish(&h);
	}
	pl_harness h;
	create(&h, "/method");
	assert_int_equal(pl_harness_set(&h, "method", "FETCH"), 0);
	assert_int_equal(pl_harness_init(&h), PL_ESTAGE);
	assert_string_equal(h.fail_msg,
			    "'method' must be GET, HEAD, DELETE, POST, PUT or PATCH, not 'FETCH'");
	finish(&h);
}

static void test_headers(void **state)
{
	(void)state;
	static const struct {
		const char *path, *method, *headers, *want;
	} cases[] = {
		{ "/header/X-Token", "GET", "X-Token: abc\r\n\n  Accept: text/x  \n", "abc" },
		{ "/header/Accept", "GET", "X-Token: abc\r\n\n  Accept: text/x  \n", "text/x" },
		{ "/header/Content-Type", "POST", NULL, "application/octet-stream" },
		{ "/header/Content-Type", "POST", "content-type: application/json",
		  "application/json" },
		{ "/header/Expect", "POST", NULL, "" },
		{ "/header/User-Agent", "GET", NULL, "pipeline/" PL_VERSION },
	};
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		pl_harness h;
		create(&h, cases[i].path);
		assert_int_equal(pl_harness_set(&h, "method", cases[i].method), 0);
		if (cases[i].headers != NULL)
			assert_int_equal(pl_harness_set(&h, "headers", cases[i].headers), 0);
		assert_int_equal(pl_harness_init(&h), 0);
		char big[2000]; /* (a large POST body: curl would add Expect) */
		memset(big, 'x', sizeof(big));
		assert_int_equal(pl_harness_process(&h, big, sizeof(big)), 0);
		assert_string_equal(pl_harness_out(&h, 0), cases[i].want);
		finish(&h);
	}
	static const char *const bad[] = { "NoColon", ": v", "Bad Name: v", "A: ok\nB:\x01" };
	for (size_t i = 0; i < N_ELEMS(bad); i++) {
		pl_harness h;
		create(&h, "/echo/x");
		assert_int_equal(pl_harness_set(&h, "headers", bad[i]), 0);
		assert_int_equal(pl_harness_init(&h), PL_ESTAGE);
		assert_non_null(strstr(h.fail_msg, "is not 'Name: value'"));
		finish(&h);
	}
}

static void test_status_errors(void **state)
{
	(void)state;
	char want[256];
	snprintf(want, sizeof(want), "GET %s/status/503: 503 Service Unavailable: \"status 503\"",
		 server.base);
	char got[1024];
	assert_int_equal(one("/status/{}", "503", got, sizeof(got)), PL_ESTAGE);
	assert_string_equal(got, want);
	snprintf(want, sizeof(want), "GET %s/nope: 404 Not Found: \"no such endpoint: /nope\"",
		 server.base);
	assert_int_equal(one("/nope", "x", got, sizeof(got)), PL_ESTAGE);
	assert_string_equal(got, want);
	/* Below 400 is a success, whatever the body. */
	ASSERT_ONE("/status/{}", "299", "status 299");
	/* A long body is quoted in part, with an ellipsis. */
	snprintf(want, sizeof(want),
		 "GET %s/nope/0123456789012345678901234567890123456789: 404 Not Found: "
		 "\"no such endpoint: /nope/012345678901234567890123456789...\"",
		 server.base);
	assert_int_equal(
		one("/nope/0123456789012345678901234567890123456789", "x", got, sizeof(got)),
		PL_ESTAGE);
	assert_string_equal(got, want);
}

static void test_timeout(void **state)
{
	(void)state;
	pl_harness h;
	char want[256];
	create(&h, "/slow/3000");
	assert_int_equal(pl_harness_set(&h, "timeout_ms", "300"), 0);
	assert_int_equal(pl_harness_init(&h), 0);
	double t0 = now_ms();
	assert_int_equal(pl_harness_process_str(&h, "x"), PL_ESTAGE);
	double took = now_ms() - t0;
	snprintf(want, sizeof(want),
		 "GET %s/slow/3000: no response within timeout_ms (300 ms): ", server.base);
	assert_memory_equal(h.fail_msg, want, strlen(want));
	assert_true(took >= 290 && took < 2000);
	finish(&h);
}

static void test_closed_mid_response(void **state)
{
	(void)state;
	char want[256];
	snprintf(want, sizeof(want),
		 "GET %s/close: the connection closed before the whole response came: ",
		 server.base);
	assert_fails("/close", "x", want);
	assert_fails("/close", "x", "90 bytes remaining");
}

static void test_unreachable(void **state)
{
	(void)state;
	pl_harness h;
	char url[128], want[512];
	int port = http_unused_port();
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/x", port);
	assert_int_equal(pl_harness_create(&h, &pl_stage_http), 0);
	assert_int_equal(pl_harness_set(&h, "url", url), 0);
	assert_int_equal(pl_harness_init(&h), 0);
	assert_int_equal(pl_harness_process_str(&h, "x"), PL_ESTAGE);
	snprintf(want, sizeof(want), "GET %s: Failed to connect to 127.0.0.1 port %d", url, port);
	assert_memory_equal(h.fail_msg, want, strlen(want));
	finish(&h);

	/* A scheme curl is not allowed to use, from a message. */
	assert_int_equal(pl_harness_create(&h, &pl_stage_http), 0);
	assert_int_equal(pl_harness_set(&h, "url", "{+}"), 0);
	assert_int_equal(pl_harness_init(&h), 0);
	assert_int_equal(pl_harness_process_str(&h, "file:///etc/passwd"), PL_ESTAGE);
	assert_string_equal(h.fail_msg,
			    "the URL does not start with http:// or https://: file:///etc/passwd");
	assert_int_equal(h.n_outs, 0);
	finish(&h);
}

static void test_password_hidden(void **state)
{
	(void)state;
	pl_harness h;
	char url[128], want[512];
	snprintf(url, sizeof(url), "http://alice:s3cr%%40t@127.0.0.1:%d/status/{}", server.port);
	assert_int_equal(pl_harness_create(&h, &pl_stage_http), 0);
	assert_int_equal(pl_harness_set(&h, "url", url), 0);
	assert_int_equal(pl_harness_init(&h), 0);
	assert_int_equal(pl_harness_process_str(&h, "401"), PL_ESTAGE);
	snprintf(want, sizeof(want),
		 "GET http://***@127.0.0.1:%d/status/401: 401 Unauthorized: \"status 401\"",
		 server.port);
	assert_string_equal(h.fail_msg, want);
	finish(&h);
}

static void test_max_body(void **state)
{
	(void)state;
	pl_harness h;
	create(&h, "/big/{+}");
	assert_int_equal(pl_harness_set(&h, "max_body", "100"), 0);
	assert_int_equal(pl_harness_init(&h), 0);
	assert_int_equal(pl_harness_process_str(&h, "100"), 0);
	assert_int_equal(pl_harness_out_len(&h, 0), 100);
	assert_int_equal(pl_harness_process_str(&h, "101"), PL_ESTAGE);
	assert_non_null(strstr(h.fail_msg, "/big/101: the response is larger than max_body (100 "
					   "bytes)"));
	/* Without a Content-Length, the bytes are counted as they come. */
	assert_int_equal(pl_harness_process_str(&h, "101?chunked=1"), PL_ESTAGE);
	assert_non_null(strstr(h.fail_msg, "the response is larger than max_body (100 bytes)"));
	assert_int_equal(pl_harness_process_str(&h, "100?chunked=1"), 0);
	assert_int_equal(pl_harness_out_len(&h, 1), 100);
	/* An error's status is the news, whatever the size of its body. */
	assert_int_equal(pl_harness_process_str(&h, "101?status=500"), PL_ESTAGE);
	assert_non_null(strstr(h.fail_msg, "/big/101?status=500: 500 Internal Server Error (a body "
					   "larger than max_body, 100 bytes, not read)"));
	assert_int_equal(h.n_outs, 2);
	finish(&h);
	/* 2 MiB, past the buffer the worker keeps. */
	create(&h, "/big/{}");
	assert_int_equal(pl_harness_init(&h), 0);
	assert_int_equal(pl_harness_process_str(&h, "2097152"), 0);
	assert_int_equal(pl_harness_process_str(&h, "3"), 0);
	assert_int_equal(pl_harness_out_len(&h, 0), 2097152);
	assert_string_equal(pl_harness_out(&h, 1), "xxx");
	finish(&h);
}

/* One request with `method` and the message "body" to `path`, following redirects: its
 * result, the output or the failure in `out`. */
static int one_method(const char *method, const char *path, char *out, size_t size)
{
	pl_harness h;
	create(&h, path);
	assert_int_equal(pl_harness_set(&h, "method", method), 0);
	assert_int_equal(pl_harness_init(&h), 0);
	int rc = pl_harness_process_str(&h, "body");
	snprintf(out, size, "%s", rc == 0 ? pl_harness_out(&h, 0) : h.fail_msg);
	finish(&h);
	return rc;
}

/* Redirects keep a request what it was, except where HTTP says otherwise: a 303 makes a GET
 * of the target (refused for DELETE, PUT and PATCH, whose method curl would keep), a POST
 * becomes a GET after a 301, 302 or 303 (as in browsers), and every method keeps its method
 * and body through a 307 or 308. */
static void test_redirects(void **state)
{
	(void)state;
	static const struct {
		const char *method, *code, *want;
	} cases[] = {
		{ "GET", "302", "GET " },         { "HEAD", "301", "" },
		{ "POST", "302", "GET " },        { "POST", "303", "GET " },
		{ "POST", "307", "POST body" },   { "POST", "308", "POST body" },
		{ "PUT", "301", "PUT body" },     { "PUT", "302", "PUT body" },
		{ "PUT", "307", "PUT body" },     { "PATCH", "302", "PATCH body" },
		{ "PATCH", "308", "PATCH body" }, { "DELETE", "302", "DELETE " },
		{ "DELETE", "307", "DELETE " },
	};
	char path[64], got[1024];
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		snprintf(path, sizeof(path), "/redirect/%s/request", cases[i].code);
		failure_context_set("%s after a %s", cases[i].method, cases[i].code);
		if (one_method(cases[i].method, path, got, sizeof(got)) != 0)
			fail_msg("%s: %s", failure_context(), got);
		assert_string_equal(got, cases[i].want);
	}
	static const char *const no_303[] = { "PUT", "PATCH", "DELETE" };
	for (size_t i = 0; i < N_ELEMS(no_303); i++) {
		assert_int_equal(one_method(no_303[i], "/redirect/303/request", got, sizeof(got)),
				 PL_ESTAGE);
		if (strstr(got, "/redirect/303/request: 303 See Other, which is not followed") ==
		    NULL)
			fail_msg("%s after a 303: %s", no_303[i], got);
		/* A status line without its reason ("HTTP/1.1 303") is a 303 all the same. */
		assert_int_equal(
			one_method(no_303[i], "/bare-redirect/303/request", got, sizeof(got)),
			PL_ESTAGE);
		if (strstr(got, "303 See Other, which is not followed") == NULL)
			fail_msg("%s after a bare 303: %s", no_303[i], got);
	}
	/* Not followed: the redirect is the answer (its body, empty here). */
	pl_harness h;
	create(&h, "/redirect/303/request");
	assert_int_equal(pl_harness_set(&h, "method", "PUT"), 0);
	assert_int_equal(pl_harness_set(&h, "follow_redirects", "false"), 0);
	assert_int_equal(pl_harness_init(&h), 0);
	assert_int_equal(pl_harness_process_str(&h, "body"), 0);
	assert_int_equal(pl_harness_out_len(&h, 0), 0);
	finish(&h);
}

/* A mistake in the URL's own text is refused by init(), before any message. */
static void test_url_checked_at_init(void **state)
{
	(void)state;
	static const struct {
		const char *url, *why;
	} bad[] = {
		{ "http://127.0.0.1:99999/{}",
		  "'url' is not a valid URL: Port number was not a decimal "
		  "number between 0 and 65535 (http://127.0.0.1:99999/ "
		  "before its first placeholder)" },
		{ "http://h/a b/{}", "'url' holds a space or control character (byte 0x20)" },
		{ "http://h/{}/x\ty", "(byte 0x09)" },
		{ "http://user:pw@/x", "'url' is not a valid URL: " },
	};
	for (size_t i = 0; i < N_ELEMS(bad); i++) {
		pl_harness h;
		assert_int_equal(pl_harness_create(&h, &pl_stage_http), 0);
		assert_int_equal(pl_harness_set(&h, "url", bad[i].url), 0);
		assert_int_equal(pl_harness_init(&h), PL_ESTAGE);
		if (strstr(h.fail_msg, bad[i].why) == NULL)
			fail_msg("'%s': '%s' lacks '%s'", bad[i].url, h.fail_msg, bad[i].why);
		assert_null(strstr(h.fail_msg, "pw"));
		finish(&h);
	}
}

/* https:// against the test server with its own CA: refused without ca_file (the system's
 * CAs do not know it), fetched with it. */
static void test_https(void **state)
{
	(void)state;
	struct http_server tls;
	assert_int_equal(http_server_start(&tls, 1), 0);
	char url[128];
	snprintf(url, sizeof(url), "%s/echo/{}", tls.base);
	pl_harness h;
	assert_int_equal(pl_harness_create(&h, &pl_stage_http), 0);
	assert_int_equal(pl_harness_set(&h, "url", url), 0);
	assert_int_equal(pl_harness_init(&h), 0);
	assert_int_equal(pl_harness_process_str(&h, "x"), PL_ESTAGE);
	/* (curl's words: the CA is unknown, or, on a machine without ca-certificates, the
	 * system's CA file is missing.) */
	if (strstr(h.fail_msg, "SSL certificate problem") == NULL &&
	    strstr(h.fail_msg, "error setting certificate file") == NULL)
		fail_msg("without ca_file: %s", h.fail_msg);
	finish(&h);
	assert_int_equal(pl_harness_create(&h, &pl_stage_http), 0);
	assert_int_equal(pl_harness_set(&h, "url", url), 0);
	assert_int_equal(pl_harness_set(&h, "ca_file", PL_SOURCE_DIR "/tests/servers/tls/ca.pem"),
			 0);
	assert_int_equal(pl_harness_init(&h), 0);
	assert_int_equal(pl_harness_process_str(&h, "over tls"), 0);
	assert_string_equal(pl_harness_out(&h, 0), "over tls");
	finish(&h);
	http_server_stop(&tls);
}

static void *stop_later(void *arg)
{
	pl_harness *h = arg;
	nanosleep(&(struct timespec){ .tv_nsec = 200000000 }, NULL);
	atomic_store(&h->stopping, 1);
	return NULL;
}

/* A request in flight ends soon after the worker is told to stop; its message is dropped. */
static void test_stopping(void **state)
{
	(void)state;
	pl_harness h;
	pthread_t t;
	create(&h, "/slow/5000");
	assert_int_equal(pl_harness_init(&h), 0);
	double t0 = now_ms();
	assert_int_equal(pthread_create(&t, NULL, stop_later, &h), 0);
	assert_int_equal(pl_harness_process_str(&h, "x"), 0);
	double took = now_ms() - t0;
	pthread_join(t, NULL);
	assert_int_equal(h.n_outs, 0);
	assert_int_equal(h.n_fails, 0);
	assert_true(took >= 190 && took < 1000);
	finish(&h);
}

/* ---- In the engine. ----------------------------------------------------------------------- */

/* rec: a sink keeping each message ("text", or "text|error|attempts" for a dead letter). */
#define REC_MAX 4096
static struct {
	pthread_mutex_t mu;
	char *line[REC_MAX];
	size_t n;
} rec = { .mu = PTHREAD_MUTEX_INITIALIZER };

static void rec_reset(void)
{
	for (size_t i = 0; i < rec.n; i++)
		free(rec.line[i]);
	rec.n = 0;
}

/* Ownership: takes `msg` (frees it). */
static int rec_process(pl_worker *w, pl_msg *msg)
{
	const pl_host *h = w->host;
	const char *err = h->msg_meta(msg, "error");
	const char *att = h->msg_meta(msg, "attempts");
	size_t len = h->msg_len(msg);
	char *line = malloc(len + (err ? strlen(err) : 0) + 64);
	assert_non_null(line);
	memcpy(line, h->msg_data(msg), len);
	if (err != NULL)
		snprintf(line + len, strlen(err) + 64, "|%s|%s", err, att ? att : "?");
	else
		line[len] = '\0';
	h->msg_free(msg);
	pthread_mutex_lock(&rec.mu);
	assert_true(rec.n < REC_MAX);
	rec.line[rec.n++] = line;
	pthread_mutex_unlock(&rec.mu);
	return 0;
}

static const pl_stage rec_stage = {
	PL_STAGE_HEADER,          .kind = PL_STAGE_SINK,  .name = "rec",
	.description = "records", .process = rec_process,
};
static const pl_stage *const stages[] = { &rec_stage };

/* Runs `yaml` with every BASE in it replaced by the server's base URL. */
static void run_http(const char *yaml, struct run *r)
{
	char text[2048];
	size_t o = 0;
	rec_reset();
	for (const char *p = yaml; *p != '\0' && o + 64 < sizeof(text);) {
		if (strncmp(p, "BASE", 4) == 0) {
			o += (size_t)snprintf(text + o, sizeof(text) - o, "%s", server.base);
			p += 4;
		} else {
			text[o++] = *p++;
		}
	}
	text[o] = '\0';
	run_yaml_with(text, stages, 1, NULL, NULL, r);
}

static int cmp_int_lines(const void *a, const void *b)
{
	long x = atol(*(char *const *)a), y = atol(*(char *const *)b);
	return (x > y) - (x < y);
}

/* 2000 messages through 32 workers: each answered once, over at most one kept-alive
 * connection per worker. */
static void test_many_workers(void **state)
{
	(void)state;
	struct run r;
	char text[64];
	http_server_get(&server, "/reset", text, sizeof(text));
	run_http("version: 1\nnodes:\n"
		 "  - {name: g, type: generator, stage: seq, params: {count: 2000}, output: a}\n"
		 "  - {name: f, type: fan-out, workers: 32, stage: http,"
		 " params: {url: \"BASE/echo/{}\"}, input: a, output: b}\n"
		 "  - {name: s, type: sink, stage: rec, input: b}\n",
		 &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(run_node(&r, "f")->out, 2000);
	assert_int_equal(rec.n, 2000);
	qsort(rec.line, rec.n, sizeof(rec.line[0]), cmp_int_lines);
	for (size_t i = 0; i < rec.n; i++)
		assert_int_equal(atol(rec.line[i]), (long)i + 1);
	long requests, connections;
	http_server_counts(&server, &requests, &connections);
	assert_int_equal(requests, 2000);
	print_message("[          ] 2000 requests over %ld connections\n", connections - 1);
	assert_true(connections >= 2 && connections <= 33); /* (the count's own included) */
}

static void test_on_error_skip(void **state)
{
	(void)state;
	struct run r;
	char want[256];
	run_http("version: 1\nnodes:\n"
		 "  - {name: g, type: generator, stage: seq,"
		 " params: {start: 200, step: 100, count: 4}, output: a}\n"
		 "  - {name: f, type: fan-out, workers: 1, stage: http,"
		 " params: {url: \"BASE/status/{}\"}, on_error: skip, input: a, output: b}\n"
		 "  - {name: s, type: sink, stage: rec, input: b}\n",
		 &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(run_node(&r, "f")->out, 2);
	assert_int_equal(run_node(&r, "f")->skipped, 2);
	assert_int_equal(rec.n, 2);
	assert_string_equal(rec.line[0], "status 200");
	assert_string_equal(rec.line[1], "status 300");
	snprintf(want, sizeof(want),
		 "node 'f' (stage 'http'): 2 failures skipped (on_error); the first: GET "
		 "%s/status/400: 400 Bad Request: \"status 400\"",
		 server.base);
	if (strstr(r.errors, want) == NULL)
		fail_msg("'%s' lacks '%s'", r.errors, want);
}

static void test_retry(void **state)
{
	(void)state;
	struct run r;
	run_http("version: 1\nnodes:\n"
		 "  - {name: g, type: generator, stage: seq, params: {count: 6}, output: a}\n"
		 "  - {name: f, type: fan-out, workers: 4, stage: http,"
		 " params: {url: \"BASE/flaky/r{}/2\"},"
		 " retry: {attempts: 3, backoff_ms: 1}, input: a, output: b}\n"
		 "  - {name: s, type: sink, stage: rec, input: b}\n",
		 &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(run_node(&r, "f")->out, 6);
	assert_int_equal(run_node(&r, "f")->retries, 12);
	assert_int_equal(rec.n, 6);
	for (size_t i = 0; i < rec.n; i++)
		assert_memory_equal(rec.line[i], "ok r", 4);
}

static void test_dead_letter(void **state)
{
	(void)state;
	struct run r;
	char want[256];
	run_http("version: 1\nnodes:\n"
		 "  - {name: g, type: generator, stage: seq, params: {count: 5}, output: a}\n"
		 "  - {name: f, type: fan-out, workers: 2, stage: http,"
		 " params: {url: \"BASE/flaky/d{}/5\"},"
		 " retry: {attempts: 3, backoff_ms: 1}, on_error: {dead-letter: dl}, input: a,"
		 " output: b}\n"
		 "  - {name: s, type: sink, stage: null, input: b}\n"
		 "  - {name: dlq, type: sink, stage: rec, input: dl}\n",
		 &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(run_node(&r, "f")->dead, 5);
	assert_int_equal(rec.n, 5);
	qsort(rec.line, rec.n, sizeof(rec.line[0]), cmp_int_lines);
	for (size_t i = 0; i < rec.n; i++) {
		snprintf(want, sizeof(want),
			 "%zu|GET %s/flaky/d%zu/5: 503 Service Unavailable: \"try again\"|3", i + 1,
			 server.base, i + 1);
		assert_string_equal(rec.line[i], want);
	}
}

/* Writes scratch/get.yaml: lines of scratch/urls.txt, then http on `path` (with a password
 * in the URL), then stdout. */
static void write_get_yaml(char *path, size_t size, const char *url_path)
{
	char yaml[1024];
	snprintf(path, size, "%s/get.yaml", scratch);
	snprintf(yaml, sizeof(yaml),
		 "version: 1\nnodes:\n"
		 "  - {name: urls, type: generator, stage: lines, params: {path: %s/urls.txt},"
		 " output: a}\n"
		 "  - {name: get, type: fan-out, workers: 2, stage: http,"
		 " params: {url: \"http://bob:hunter2@127.0.0.1:%d%s\"}, input: a, output: b}\n"
		 "  - {name: out, type: sink, stage: stdout, input: b}\n",
		 scratch, server.port, url_path);
	write_file(path, yaml, strlen(yaml));
}

/* The binary, with a password in the URL that its error must not show. */
static void test_cli(void **state)
{
	(void)state;
	char path[128];
	struct result res;
	snprintf(path, sizeof(path), "%s/urls.txt", scratch);
	write_file(path, "a\nb c\n", 6);
	write_get_yaml(path, sizeof(path), "/echo/{}");
	RUN(&res, "run", "-q", path);
	assert_int_equal(res.code, 0);
	assert_true(strcmp(res.out, "a\nb c\n") == 0 || strcmp(res.out, "b c\na\n") == 0);

	write_get_yaml(path, sizeof(path), "/status/404?{}");
	RUN(&res, "run", "-q", path);
	assert_int_equal(res.code, 1);
	assert_non_null(strstr(res.err, "node 'get' (stage 'http'"));
	assert_non_null(strstr(res.err, "http://***@127.0.0.1:"));
	assert_null(strstr(res.err, "hunter2"));
	assert_null(strstr(res.err, "bob"));

	RUN(&res, "validate", "--set", "get.params.timeout_ms=0", path);
	assert_int_equal(res.code, 1);
	/* (diagnostics go to stdout, the summary to stderr) */
	if (strstr(res.out, "'timeout_ms' of stage 'http': 0 is out of range [1, 86400000]") ==
	    NULL)
		fail_msg("validate said: %s", res.out);

	/* A parameter init() refuses is pointed at, not the node's first one. */
	snprintf(path, sizeof(path), "%s/method.yaml", scratch);
	static const char yaml[] = "version: 1\n"
				   "nodes:\n"
				   "  - {name: g, type: generator, stage: seq, output: a}\n"
				   "  - name: h\n"
				   "    type: fan-out\n"
				   "    stage: http\n"
				   "    params:\n"
				   "      url: \"http://127.0.0.1:1/{}\"\n"
				   "      method: FETCH\n"
				   "    input: a\n"
				   "    output: b\n"
				   "  - {name: s, type: sink, stage: null, input: b}\n";
	write_file(path, yaml, strlen(yaml));
	RUN(&res, "run", path);
	assert_int_equal(res.code, 2);
	if (strstr(res.err, "method.yaml:9:15: error: node 'h' (stage 'http'): "
			    "'method' must be GET, HEAD, DELETE, POST, PUT or PATCH, not 'FETCH' "
			    "[PL059]") == NULL)
		fail_msg("run said: %s", res.err);
}

/* pipelines/crawl.yaml against the test's server: every page's title printed once, the
 * 32 workers overlapping the 50 ms answers (the 200 of them one after another take 10 s). */
static void test_crawl_example(void **state)
{
	(void)state;
#ifdef PL_HAVE_JANSSON
	char env[128];
	snprintf(env, sizeof(env), "CRAWL_URL=%s", server.base);
	struct result res;
	double t0 = now_s();
	run_env(&res, (const char *const[]){ env, NULL },
		(const char *const[]){ "run", "-q", "pipelines/crawl.yaml", NULL });
	double took = now_s() - t0;
	assert_int_equal(res.code, 0);
	for (int i = 1; i <= 200; i++) {
		char line[32];
		snprintf(line, sizeof(line), "item %d\n", i);
		if (strstr(res.out, line) == NULL)
			fail_msg("'item %d' missing from the crawl's output:\n%s", i, res.out);
	}
	size_t lines = 0;
	for (const char *p = res.out; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	assert_int_equal(lines, 200);
	assert_true(took < 8.0);
#else
	skip(); /* (json is in no build without jansson; crawl.yaml is refused there, PL058) */
#endif
}

static int setup(void **state)
{
	(void)state;
	if (scratch_setup(scratch, "http") != 0)
		return -1;
	return http_server_start(&server, 0);
}

static int teardown(void **state)
{
	(void)state;
	rec_reset();
	http_server_stop(&server);
	return scratch_teardown(scratch);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_template),
		cmocka_unit_test(test_url_redact),
		cmocka_unit_test(test_get_templates),
		cmocka_unit_test(test_json_fields),
		cmocka_unit_test(test_methods),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_status_errors),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_closed_mid_response),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_password_hidden),
		cmocka_unit_test(test_max_body),
		cmocka_unit_test(test_redirects),
		cmocka_unit_test(test_https),
		cmocka_unit_test(test_url_checked_at_init),
		cmocka_unit_test(test_stopping),
		cmocka_unit_test(test_many_workers),
		cmocka_unit_test(test_on_error_skip),
		cmocka_unit_test(test_retry),
		cmocka_unit_test(test_dead_letter),
		cmocka_unit_test(test_cli),
		cmocka_unit_test(test_crawl_example),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
