/* websocket.c - the `websocket` generator: the messages of a WebSocket server, reconnecting with
 * backoff. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libwebsockets.h>

#include "builtin.h"
#include "clock.h"
#include "mem.h"
#include "websocket_conn.h"

/* How long a wait between attempts sleeps before looking at stopping(), in ms. */
#define WAIT_SLICE_MS 50
/* The least a connection must last to reset the reconnect count (see stable_ms()). */
#define STABLE_MIN_MS 1000
#define STABLE_MAX_MS 30000

struct ws {
	struct pl__ws_target t;
	int64_t attempts; /* reconnect_attempts; -1: forever */
	int64_t min_ms, max_ms;
	uint64_t rng; /* xorshift64 state, for the jitter */
};

static void target_free(struct pl__ws_target *t)
{
	free(t->address);
	free(t->host_header);
	free(t->path);
	free(t->authorization);
	free(t->shown);
}

static int hex_value(int ch)
{
	return isdigit(ch) ? ch - '0' : isxdigit(ch) ? tolower(ch) - 'a' + 10 : -1;
}

/* A copy of s[0, n) with its %XX escapes decoded, or NULL when out of memory. */
static char *percent_decode(const char *s, size_t n)
{
	char *out = pl_mem_alloc(n + 1), *o = out;
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		if (s[i] == '%' && i + 2 < n && (hi = hex_value((unsigned char)s[i + 1])) >= 0 &&
		    (lo = hex_value((unsigned char)s[i + 2])) >= 0) {
			*o++ = (char)(hi * 16 + lo);
			i += 2;
		} else
			*o++ = s[i];
	}
	*o = '\0';
	return out;
}

/* "Basic base64(userinfo decoded)" for the userinfo s[0, n), or NULL when out of memory. */
static char *basic_auth(const char *s, size_t n)
{
	char *plain = percent_decode(s, n);
	if (plain == NULL)
		return NULL;
	size_t plen = strlen(plain), cap = 6 + (plen + 2) / 3 * 4 + 8;
	char *out = pl_mem_alloc(cap);
	if (out != NULL) {
		memcpy(out, "Basic ", 6);
		if (lws_b64_encode_string(plain, (int)plen, out + 6, (int)(cap - 6)) < 0) {
			free(out);
			out = NULL;
		}
	}
	memset(plain, 0, plen); /* a password */
	free(plain);
	return out;
}

/*
 * Parses ws[s]://[user[:password]@]host[:port][/path][?query] into `t`.
 * Returns 0, or an error recorded with failf() (the URL is not repeated
 * with its password).
 */
static int parse_url(pl_worker *w, const char *url, struct pl__ws_target *t)
{
	const pl_host *h = w->host;
	const char *p;

	for (const char *q = url; *q != '\0'; q++)
		if ((unsigned char)*q <= 0x20 || *q == 0x7f)
			return h->failf(w,
					"'url' holds a space or control character (byte 0x%02x at "
					"offset %zu): percent-encode it (a space is %%20)",
					(unsigned char)*q, (size_t)(q - url));
	if (strncasecmp(url, "ws://", 5) == 0)
		p = url + 5;
	else if (strncasecmp(url, "wss://", 6) == 0) {
		p = url + 6;
		t->tls = 1;
	} else
		return h->failf(w, "'url' must start with ws:// or wss://");
	size_t alen = strcspn(p, "/?#");
	const char *auth_end = p + alen, *at = NULL;
	for (const char *q = p; q < auth_end; q++)
		if (*q == '@')
			at = q;
	const char *hp = at != NULL ? at + 1 : p, *host, *port_text = NULL;
	size_t hlen;
	if (*hp == '[') {
		const char *close = memchr(hp, ']', (size_t)(auth_end - hp));
		if (close == NULL)
			return h->failf(w, "'url' has an IPv6 address without its closing ']'");
		host = hp + 1;
		hlen = (size_t)(close - host);
		if (close + 1 < auth_end) {
			if (close[1] != ':')
				return h->failf(w, "'url' has text after its IPv6 address ']'");
			port_text = close + 2;
		}
	} else {
		const char *colon = memchr(hp, ':', (size_t)(auth_end - hp));
		host = hp;
		hlen = (size_t)((colon != NULL ? colon : auth_end) - hp);
		if (colon != NULL)
			port_text = colon + 1;
	}
	if (hlen == 0)
		return h->failf(w, "'url' names no host");
	t->port = t->tls ? 443 : 80;
	if (port_text != NULL) {
		long port = 0;
		const char *q = port_text;
		for (; q < auth_end && isdigit((unsigned char)*q) && port <= 65535; q++)
			port = port * 10 + (*q - '0');
		if (q == port_text || q != auth_end || port < 1 || port > 65535)
			return h->failf(w, "'url' has a port that is not a number from 1 to 65535");
		t->port = (int)port;
	}
	const char *path = auth_end, *path_end = path + strcspn(path, "#");
	size_t plen = (size_t)(path_end - path);
	int slash = plen == 0 || path[0] != '/';
	size_t hplen = (size_t)(auth_end - hp);
	t->address = pl_mem_strndup(host, hlen);
	t->host_header = pl_mem_strndup(hp, hplen);
	t->path = pl_mem_alloc(plen + 2);
	t->shown = pl_mem_alloc((size_t)(hp - url) + hplen + plen + 2);
	if (at != NULL)
		t->authorization = basic_auth(p, (size_t)(at - p));
	if (t->address == NULL || t->host_header == NULL || t->path == NULL || t->shown == NULL ||
	    (at != NULL && t->authorization == NULL))
		return h->failf(w, "out of memory");
	snprintf(t->path, plen + 2, "%s%.*s", slash ? "/" : "", (int)plen, path);
	snprintf(t->shown, (size_t)(hp - url) + hplen + plen + 2, "%s%.*s%s",
		 t->tls ? "wss://" : "ws://", (int)hplen, hp, t->path);
	return 0;
}

static void ws_fini(pl_worker *w)
{
	struct ws *s = w->state;
	if (s == NULL)
		return;
	target_free(&s->t);
	free(s);
	w->state = NULL;
}

static int ws_init(pl_worker *w, const pl_params *params)
{
	const pl_host *h = w->host;
	const char *url, *subprotocol = NULL;
	int64_t max_message;

	/* libwebsockets writes to stderr by default: what matters reaches the
	 * log through this stage.  (Process-wide; init runs on the main thread
	 * before any worker starts.) */
	lws_set_log_level(0, NULL);
	if (h->param_string(params, "url", &url) != 0)
		return h->failf(w, "parameter 'url' is required");
	struct ws *s = pl_mem_calloc(1, sizeof(*s));
	if (s == NULL)
		return h->failf(w, "out of memory");
	w->state = s;
	if (h->param_int(params, "reconnect_attempts", &s->attempts) != 0 ||
	    h->param_int(params, "reconnect_min_ms", &s->min_ms) != 0 ||
	    h->param_int(params, "reconnect_max_ms", &s->max_ms) != 0 ||
	    h->param_int(params, "max_message", &max_message) != 0) {
		ws_fini(w);
		return h->failf(w, "the reconnect_* parameters and max_message must be integers");
	}
	if (s->min_ms > s->max_ms) {
		int rc = h->failf(w,
				  "'reconnect_min_ms' (%" PRId64
				  ") is larger than 'reconnect_max_ms' (%" PRId64 ")",
				  s->min_ms, s->max_ms);
		ws_fini(w);
		return rc;
	}
	if (h->param_string(params, "subprotocol", &subprotocol) == 0 && subprotocol[0] != '\0')
		s->t.subprotocol = subprotocol;
	if (h->param_string(params, "ca_file", &s->t.ca_file) != 0 || s->t.ca_file[0] == '\0')
		s->t.ca_file = NULL;
	s->t.max_message = (size_t)max_message;
	if (parse_url(w, url, &s->t) != 0) {
		ws_fini(w);
		return PL_ESTAGE;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	s->rng = ((uint64_t)ts.tv_sec * 1000000007u) ^ (uint64_t)ts.tv_nsec ^ (uintptr_t)s;
	if (s->rng == 0)
		s->rng = 1;
	return 0;
}

static uint64_t next_random(struct ws *s)
{
	uint64_t x = s->rng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return s->rng = x;
}

/* The wait before reconnect attempt `n` (from 1): reconnect_min_ms doubled
 * n-1 times (0 becoming 1 ms), at most reconnect_max_ms; half of it, plus a random part of the
 * other half (so that many clients dropped at once do not come back at once). */
static int64_t backoff_ms(struct ws *s, int64_t n)
{
	int64_t base = s->min_ms;
	for (int64_t k = 1; k < n && base < s->max_ms; k++) /* (at most 23 turns: 1 ms to 1 h) */
		base = base > 0 ? base * 2 : 1;
	if (base > s->max_ms)
		base = s->max_ms;
	int64_t half = base / 2;
	return half + (int64_t)(next_random(s) % (uint64_t)(base - half + 1));
}

/* How long a connection must last, delivering, to count as a success that
 * resets the count of reconnects and the backoff: the longest wait between
 * reconnects, at least STABLE_MIN_MS and at most STABLE_MAX_MS (a long
 * reconnect_max_ms must not make a feed behind a proxy that recycles its
 * connections every few minutes run out of attempts).  A server that sends
 * a few messages and then fails, every time, still runs out of them. */
static int64_t stable_ms(const struct ws *s)
{
	return s->max_ms < STABLE_MIN_MS   ? STABLE_MIN_MS
	       : s->max_ms > STABLE_MAX_MS ? STABLE_MAX_MS
					   : s->max_ms;
}

/* Sleeps `ms`, looking at stopping() meanwhile.  Returns 0, or 1 when stopping. */
static int wait_ms(pl_worker *w, int64_t ms)
{
	while (!w->host->stopping(w)) {
		if (ms <= 0)
			return 0;
		int64_t slice = ms < WAIT_SLICE_MS ? ms : WAIT_SLICE_MS;
		struct timespec ts = { 0, (long)slice * 1000000L };
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
		ms -= slice;
	}
	return 1;
}

/* Connects, emits, and connects again after each loss until the server
 * closes normally, the pipeline stops, or the attempts run out. */
static int ws_generate(pl_worker *w)
{
	const pl_host *h = w->host;
	struct ws *s = w->state;
	struct pl__ws_conn *c;
	char why[256];
	int64_t failures = 0; /* in a row: a connection that lasted resets it */
	int rc = pl__ws_conn_create(w, &s->t, &c);

	if (rc != 0)
		return rc;
	for (;;) {
		uint64_t delivered = 0;
		int64_t began = pl__now_ms();
		enum pl__ws_end end = pl__ws_conn_run(c, &delivered, why, sizeof(why));
		if (end == PL__WS_NORMAL || end == PL__WS_STOPPED)
			break;
		if (end == PL__WS_FAILED) {
			rc = PL_ESTAGE;
			break;
		}
		if (delivered > 0 && pl__now_ms() - began >= stable_ms(s))
			failures = 0;
		if (s->attempts >= 0 && failures >= s->attempts) {
			if (s->attempts == 0)
				rc = h->failf(w, "%s: %s (reconnect_attempts is 0)", s->t.shown,
					      why);
			else
				rc = h->failf(
					w, "%s: %s; gave up after %" PRId64 " reconnect attempt%s",
					s->t.shown, why, s->attempts, s->attempts == 1 ? "" : "s");
			break;
		}
		failures++;
		int64_t delay = backoff_ms(s, failures);
		if (s->attempts < 0)
			h->log(w, PL_LOG_WARN,
			       "%s: %s; reconnecting in %" PRId64 " ms (attempt %" PRId64 ")",
			       s->t.shown, why, delay, failures);
		else
			h->log(w, PL_LOG_WARN,
			       "%s: %s; reconnecting in %" PRId64 " ms (attempt %" PRId64
			       " of %" PRId64 ")",
			       s->t.shown, why, delay, failures, s->attempts);
		if (wait_ms(w, delay))
			break;
	}
	pl__ws_conn_destroy(c);
	return rc;
}

static const pl_param_spec ws_params[] = {
	{ .name = "url",
	  .type = PL_PARAM_STRING,
	  .flags = PL_PARAM_REQUIRED,
	  .description =
		  "ws://host[:port]/path or wss://...; user:password@ is sent as basic auth" },
	{ .name = "subprotocol",
	  .type = PL_PARAM_STRING,
	  .description = "the Sec-WebSocket-Protocol to ask for; none when not given" },
	{ .name = "ca_file",
	  .type = PL_PARAM_STRING,
	  .description = "wss://: a PEM file of the CAs to check the server with, instead of the "
			 "system's" },
	{ .name = "reconnect_attempts",
	  .type = PL_PARAM_INT,
	  .flags = PL_PARAM_RANGE,
	  .default_value = "10",
	  .description = "reconnects in a row before giving up (-1: forever; a connection that "
			 "delivered and lasted reconnect_max_ms, 1 s to 30 s, resets it)",
	  .min = -1,
	  .max = INT32_MAX },
	{ .name = "reconnect_min_ms",
	  .type = PL_PARAM_INT,
	  .flags = PL_PARAM_RANGE,
	  .default_value = "100",
	  .description = "the wait before the first reconnect, doubled after each failure",
	  .min = 0,
	  .max = 3600000 },
	{ .name = "reconnect_max_ms",
	  .type = PL_PARAM_INT,
	  .flags = PL_PARAM_RANGE,
	  .default_value = "10000",
	  .description = "the longest wait between reconnects",
	  .min = 0,
	  .max = 3600000 },
	{ .name = "max_message",
	  .type = PL_PARAM_INT,
	  .flags = PL_PARAM_RANGE,
	  .default_value = "16777216",
	  .description =
		  "the largest message (fragments joined) in bytes; a larger one fails the stage",
	  .min = 1,
	  .max = 1073741824 },
};

/* Connects to `url` and emits each WebSocket message (text or binary,
 * fragments joined) as one message; reconnects after a loss with backoff;
 * ends when the server closes with status 1000.  One worker: one stream. */
const pl_stage pl_stage_websocket = {
	PL_STAGE_HEADER,
	.kind = PL_STAGE_GENERATOR,
	.name = "websocket",
	.description = "emits each message of a WebSocket server (ws:// or wss://), reconnecting "
		       "with backoff",
	.params = ws_params,
	.n_params = sizeof(ws_params) / sizeof(ws_params[0]),
	.max_workers = 1,
	.init = ws_init,
	.generate = ws_generate,
	.fini = ws_fini,
	.flags = PL_STAGE_INIT_CHECKS,
	.example_params = "{ url: \"ws://127.0.0.1:8765/feed\" }",
};
