/* http.c - the `http` transform: one HTTP request per message (libcurl), emitting the response
 * body. */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "builtin.h"
#include "http_url.h"
#include "mem.h"

/*
 * Each worker has one curl easy handle in one multi handle of its own: the
 * multi handle's connection cache is the worker's connection pool, so that
 * consecutive requests to one server reuse a kept-alive connection.  The
 * multi interface is driven here in a loop that waits at most POLL_MS at a
 * time, so that a request in flight ends within POLL_MS of the worker being
 * told to stop (an easy handle's progress callback may go a second between
 * calls while it waits).
 *
 * curl_global_init() and curl_global_cleanup() are not thread-safe on every
 * libcurl: they are called from init() and fini(), which the runner calls on
 * its main thread, under a lock and a count of the workers that use curl, so
 * that the first init() sets curl up and the last fini() tears it down.
 */

#define POLL_MS      50
#define EXCERPT_MAX  64 /* a failed response's body quoted in its error, at most */
#define URL_SHOW_MAX 120

static pthread_mutex_t global_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned global_users; /* guarded by global_lock */

enum method { M_GET, M_HEAD, M_DELETE, M_POST, M_PUT, M_PATCH };
static const char *const method_names[] = { "GET", "HEAD", "DELETE", "POST", "PUT", "PATCH" };

struct http {
	CURLM *multi;
	CURL *easy;
	struct curl_slist *headers;
	pl_http_url url;
	int method;
	int64_t max_body;
	int64_t timeout_ms;
	pl_http_buf url_buf; /* the URL of the request in flight */
	pl_http_buf body;    /* its response's body */
	int too_big, oom;    /* what the write callback met */
	int follow;          /* follow_redirects */
	const char *ca_file; /* ca_file, or NULL: the system's CAs (borrowed from the params) */
	int see_other;       /* a 303 answered a DELETE, PUT or PATCH (not followed) */
	char reason[64];     /* the reason phrase of the last status line */
	char curl_err[CURL_ERROR_SIZE];
};

/* ---- Setting up. ---------------------------------------------------------- */

static int global_acquire(void)
{
	int rc = 0;
	pthread_mutex_lock(&global_lock);
	if (global_users == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		rc = PL_EIO;
	if (rc == 0)
		global_users++;
	pthread_mutex_unlock(&global_lock);
	return rc;
}

static void global_release(void)
{
	pthread_mutex_lock(&global_lock);
	if (--global_users == 0)
		curl_global_cleanup();
	pthread_mutex_unlock(&global_lock);
}

static int is_token_char(int c)
{
	return isalnum(c) || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Adds the `headers` parameter's lines ("Name: value", one a line) to
 * s->headers, then what a method with a body needs.  Returns 0 or an error
 * (recorded with failf). */
static int add_headers(pl_worker *w, struct http *s, const char *text)
{
	const pl_host *h = w->host;
	int has_type = 0, has_expect = 0;
	unsigned line = 0;

	for (const char *p = text; p != NULL && *p != '\0';) {
		const char *end = strchr(p, '\n');
		size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
		const char *next = end != NULL ? end + 1 : NULL;
		line++;
		while (n > 0 && isspace((unsigned char)p[n - 1]))
			n--;
		while (n > 0 && isspace((unsigned char)*p)) {
			p++;
			n--;
		}
		if (n == 0) {
			p = next;
			continue;
		}
		size_t name = 0;
		while (name < n && is_token_char((unsigned char)p[name]))
			name++;
		int bad = name == 0 || name == n || p[name] != ':';
		for (size_t i = name; i < n && !bad; i++)
			bad = (unsigned char)p[i] < 0x20 && p[i] != '\t';
		if (bad)
			return h->failf(w, "'headers' line %u (%.*s) is not 'Name: value'", line,
					n > 40 ? 40 : (int)n, p);
		has_type |= name == 12 && strncasecmp(p, "Content-Type", 12) == 0;
		has_expect |= name == 6 && strncasecmp(p, "Expect", 6) == 0;
		char *one = pl_mem_strndup(p, n);
		struct curl_slist *l = one != NULL ? curl_slist_append(s->headers, one) : NULL;
		free(one);
		if (l == NULL)
			return h->failf(w, "out of memory");
		s->headers = l;
		p = next;
	}
	if (s->method >= M_POST) {
		/* curl would send a form's type, and with a large body wait a
		 * second for a "100 Continue" that many servers never send. */
		static const char *const extra[] = { "Content-Type: application/octet-stream",
						     "Expect:" };
		for (int i = 0; i < 2; i++) {
			if (i == 0 ? has_type : has_expect)
				continue;
			struct curl_slist *l = curl_slist_append(s->headers, extra[i]);
			if (l == NULL)
				return h->failf(w, "out of memory");
			s->headers = l;
		}
	}
	return 0;
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct http *s = arg;
	size_t len = size * n;

	if ((int64_t)(s->body.len + len) > s->max_body) {
		s->too_big = 1;
		return 0; /* != len: curl fails the transfer */
	}
	if (pl_http_buf_append(&s->body, data, len) != 0) {
		s->oom = 1;
		return 0;
	}
	return len;
}

/* Keeps the reason phrase of each status line ("HTTP/1.1 503 Service
 * Unavailable": "Service Unavailable"), the last one (after redirects) being
 * the response's.  HTTP/2 has none. */
static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	struct http *s = arg;
	size_t len = size * n;

	if (len > 5 && memcmp(data, "HTTP/", 5) == 0) {
		size_t i = 0, spaces = 0, o = 0;
		while (i < len && spaces < 2)
			spaces += data[i++] == ' ';
		/* A 303 means "GET the result there": a DELETE, PUT or PATCH kept
		 * as it is (CURLOPT_CUSTOMREQUEST applies to every request of a
		 * transfer) would repeat itself at the new place.  Stopped, and
		 * a stage error (CURLE_WRITE_ERROR).  The code follows the first
		 * space, whatever follows it (a reason, a space, or nothing). */
		const char *sp = memchr(data, ' ', len);
		size_t at = sp != NULL ? (size_t)(sp - data) + 1 : len;
		if (s->follow && (s->method == M_DELETE || s->method >= M_PUT) && at + 3 <= len &&
		    memcmp(data + at, "303", 3) == 0 &&
		    (at + 3 == len || !isdigit((unsigned char)data[at + 3]))) {
			s->see_other = 1;
			return 0;
		}
		while (i < len && o + 1 < sizeof(s->reason) && data[i] != '\r' && data[i] != '\n') {
			char c = data[i++];
			if (c < 0x20 || c == 0x7f)
				c = '?'; /* (a byte above 0x7f, a negative char here, is kept) */
			s->reason[o++] = c;
		}
		s->reason[o] = '\0';
	}
	return len;
}

static void http_free(struct http *s)
{
	if (s->multi != NULL)
		curl_multi_cleanup(s->multi); /* (the easy handle is never left in it) */
	if (s->easy != NULL)
		curl_easy_cleanup(s->easy);
	curl_slist_free_all(s->headers);
	pl_http_url_free(&s->url);
	pl_http_buf_free(&s->url_buf);
	pl_http_buf_free(&s->body);
	free(s);
}

/* Checks the template's literal text, so that a mistake in the config is
 * refused before the run rather than by every message: no space or control
 * character anywhere, and, when the text before the first placeholder
 * holds the scheme and the whole authority ("http://h:99999/items/"), what
 * curl's URL parser says of it.  Returns 0 or an error (failf). */
static int check_template(pl_worker *w, struct http *s)
{
	for (size_t i = 0; i < s->url.n_parts; i++) {
		const pl_http_part *p = &s->url.parts[i];
		if (p->kind != PL_HTTP_TEXT)
			continue;
		for (size_t k = 0; k < p->len; k++)
			if ((unsigned char)p->text[k] <= 0x20 || p->text[k] == 0x7f)
				return w->host->failf(
					w,
					"'url' holds a space or control character "
					"(byte 0x%02x) in its text: percent-encode it "
					"(a space is %%20)",
					(unsigned char)p->text[k]);
	}
	if (s->url.n_parts == 0 || s->url.parts[0].kind != PL_HTTP_TEXT)
		return 0;
	const char *text = s->url.parts[0].text;
	const char *auth = strstr(text, "://");
	if (s->url.n_parts > 1 && (auth == NULL || strpbrk(auth + 3, "/?#") == NULL))
		return 0; /* the authority goes on in a placeholder */
	CURLU *u = curl_url();
	if (u == NULL)
		return w->host->failf(w, "out of memory");
	CURLUcode uc = curl_url_set(u, CURLUPART_URL, text, 0);
	curl_url_cleanup(u);
	if (uc == CURLUE_OK)
		return 0;
	char shown[URL_SHOW_MAX];
	pl_http_url_redact(text, shown, sizeof(shown));
	return w->host->failf(w, "'url' is not a valid URL: %s (%s%s)", curl_url_strerror(uc),
			      shown, s->url.n_parts > 1 ? " before its first placeholder" : "");
}

/* Sets what every request of the worker shares.  0 or a curl error. */
static CURLcode set_options(struct http *s, int follow)
{
	CURL *e = s->easy;
	CURLcode rc = CURLE_OK;

#define SET(opt, val)                                       \
	do {                                                \
		if (rc == CURLE_OK)                         \
			rc = curl_easy_setopt(e, opt, val); \
	} while (0)
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, (long)follow);
	SET(CURLOPT_MAXREDIRS, 10L);
	SET(CURLOPT_TIMEOUT_MS, (long)s->timeout_ms);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)s->max_body);
	SET(CURLOPT_ACCEPT_ENCODING, "");
	SET(CURLOPT_USERAGENT, "pipeline/" PL_VERSION);
	SET(CURLOPT_ERRORBUFFER, s->curl_err);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, s);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, s);
	if (s->headers != NULL)
		SET(CURLOPT_HTTPHEADER, s->headers);
	if (s->ca_file != NULL)
		SET(CURLOPT_CAINFO, s->ca_file);
	switch (s->method) {
	case M_HEAD:
		SET(CURLOPT_NOBODY, 1L);
		break;
	case M_DELETE:
		SET(CURLOPT_CUSTOMREQUEST, "DELETE");
		break;
	case M_POST:
	case M_PUT:
	case M_PATCH:
		SET(CURLOPT_POST, 1L);
		if (s->method != M_POST) {
			SET(CURLOPT_CUSTOMREQUEST, method_names[s->method]);
			/* A PUT or PATCH keeps its body through a 301, 302,
			 * 307 or 308, as it keeps its method (a 303 is
			 * refused in on_header()).  A POST is left to curl:
			 * it becomes a GET after a 301, 302 or 303, as in
			 * browsers, and stays a POST after a 307 or 308. */
			SET(CURLOPT_POSTREDIR, (long)CURL_REDIR_POST_ALL);
		}
		break;
	default:
		SET(CURLOPT_HTTPGET, 1L);
		break;
	}
#undef SET
	return rc;
}

static int http_init(pl_worker *w, const pl_params *params)
{
	const pl_host *h = w->host;
	const char *url, *method = "GET", *headers = NULL;
	char err[256];
	int follow = 1;

	if (h->param_string(params, "url", &url) != 0)
		return h->failf(w, "parameter 'url' is required");
	h->param_string(params, "method", &method);
	h->param_string(params, "headers", &headers);
	h->param_bool(params, "follow_redirects", &follow);
	struct http *s = pl_mem_calloc(1, sizeof(*s));
	if (s == NULL)
		return h->failf(w, "out of memory");
	s->method = -1;
	for (int i = 0; i < (int)(sizeof(method_names) / sizeof(method_names[0])); i++)
		if (strcasecmp(method, method_names[i]) == 0)
			s->method = i;
	if (h->param_int(params, "timeout_ms", &s->timeout_ms) != 0)
		s->timeout_ms = 30000;
	if (h->param_int(params, "max_body", &s->max_body) != 0)
		s->max_body = 16 << 20;
	int rc = 0;
	if (s->method < 0) {
		rc = h->failf(w,
			      "'method' must be GET, HEAD, DELETE, POST, PUT or PATCH, not '%.32s'",
			      method);
	} else if (pl_http_url_parse(&s->url, url, err, sizeof(err)) != 0) {
		rc = h->failf(w, "%s", err);
	} else if ((rc = check_template(w, s)) != 0 || (rc = add_headers(w, s, headers)) != 0) {
		/* (recorded) */
	} else if (global_acquire() != 0) {
		rc = h->failf(w, "libcurl could not be initialised");
	} else {
		s->easy = curl_easy_init();
		s->multi = curl_multi_init();
		s->follow = follow;
		if (h->param_string(params, "ca_file", &s->ca_file) != 0 || s->ca_file[0] == '\0')
			s->ca_file = NULL;
		CURLcode cc = s->easy != NULL && s->multi != NULL ? set_options(s, follow)
								  : CURLE_OUT_OF_MEMORY;
		if (cc != CURLE_OK) {
			rc = h->failf(w, "libcurl: %s", curl_easy_strerror(cc));
			http_free(s); /* (its handles before curl's global state) */
			global_release();
			return rc;
		}
	}
	if (rc != 0) {
		http_free(s);
		return rc;
	}
	w->state = s;
	return 0;
}

/* ---- One request. --------------------------------------------------------- */

/* Runs the easy handle's transfer to its end, or until the worker is told to
 * stop (*stopped set, the transfer abandoned).  Returns curl's result. */
static CURLcode transfer(pl_worker *w, struct http *s, int *stopped)
{
	CURLMcode mc = curl_multi_add_handle(s->multi, s->easy);
	CURLcode result = CURLE_OK;
	int running = 1;

	*stopped = 0;
	while (mc == CURLM_OK) {
		mc = curl_multi_perform(s->multi, &running);
		if (mc != CURLM_OK || running == 0)
			break;
		if (w->host->stopping(w)) {
			*stopped = 1;
			break;
		}
		mc = curl_multi_poll(s->multi, NULL, 0, POLL_MS, NULL);
	}
	if (mc != CURLM_OK) {
		snprintf(s->curl_err, sizeof(s->curl_err), "%s", curl_multi_strerror(mc));
		result = CURLE_FAILED_INIT;
	} else if (!*stopped) {
		int left;
		const CURLMsg *m;
		while ((m = curl_multi_info_read(s->multi, &left)) != NULL)
			if (m->msg == CURLMSG_DONE && m->easy_handle == s->easy)
				result = m->data.result;
	}
	curl_multi_remove_handle(s->multi, s->easy);
	return result;
}

/* Writes the start of the body as a quoted C-like string, at most `size`
 * bytes with its NUL, "..." before the closing quote when cut. */
static void excerpt(const pl_http_buf *b, char *out, size_t size)
{
	size_t o = 0, i = 0;

	out[o++] = '"';
	for (; i < b->len && o + 9 < size; i++) {
		unsigned char c = (unsigned char)b->data[i];
		if (c == '"' || c == '\\')
			o += (size_t)snprintf(out + o, size - o, "\\%c", c);
		else if (c >= 0x20 && c < 0x7f)
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
	}
	snprintf(out + o, size - o, "%s\"", i < b->len ? "..." : "");
}

/* Records why the request failed: curl's `result`, or else the status. */
static int fail_request(pl_worker *w, struct http *s, CURLcode result, long status)
{
	const pl_host *h = w->host;
	const char *m = method_names[s->method];
	char url[URL_SHOW_MAX], text[EXCERPT_MAX];
	const char *why = s->curl_err[0] != '\0' ? s->curl_err : curl_easy_strerror(result);

	pl_http_url_redact(s->url_buf.data, url, sizeof(url));
	switch (result) {
	case CURLE_OK:
		if (s->body.len == 0)
			return h->failf(w, "%s %s: %ld %s", m, url, status, s->reason);
		excerpt(&s->body, text, sizeof(text));
		return h->failf(w, "%s %s: %ld %s: %s", m, url, status, s->reason, text);
	case CURLE_OPERATION_TIMEDOUT:
		return h->failf(w, "%s %s: no response within timeout_ms (%lld ms): %s", m, url,
				(long long)s->timeout_ms, why);
	case CURLE_WRITE_ERROR:
	case CURLE_FILESIZE_EXCEEDED:
		if (s->see_other)
			return h->failf(w,
					"%s %s: 303 See Other, which is not followed for a %s (it "
					"would become a GET); with follow_redirects: false the "
					"303 is the answer",
					m, url, m);
		if (s->oom)
			return h->failf(w, "%s %s: out of memory for the response", m, url);
		if (s->too_big || result == CURLE_FILESIZE_EXCEEDED) {
			long code = 0;
			curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &code);
			if (code >= 400) /* the status is the news, not the size */
				return h->failf(w,
						"%s %s: %ld %s (a body larger than max_body, "
						"%lld bytes, not read)",
						m, url, code, s->reason, (long long)s->max_body);
			return h->failf(w,
					"%s %s: the response is larger than max_body (%lld bytes)",
					m, url, (long long)s->max_body);
		}
		break;
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
		return h->failf(w,
				"%s %s: the connection closed before the whole response came: %s",
				m, url, why);
	default:
		break;
	}
	return h->failf(w, "%s %s: %s", m, url, why);
}

/* Ownership: takes `msg`; frees it once its request is done, emitting the
 * response's body as a new message on success; frees it also on failure,
 * and when the worker is told to stop meanwhile (the request abandoned, 0). */
static int http_process(pl_worker *w, pl_msg *msg)
{
	const pl_host *h = w->host;
	struct http *s = w->state;
	const unsigned char *data = h->msg_data(msg);
	size_t len = h->msg_len(msg);
	char err[256];
	int stopped = 0;

	int rc = pl_http_url_expand(&s->url, data, len, &s->url_buf, err, sizeof(err));
	if (rc != 0) {
		h->msg_free(msg);
		return h->failf(w, "%s", err);
	}
	s->body.len = 0;
	s->too_big = s->oom = s->see_other = 0;
	s->reason[0] = s->curl_err[0] = '\0';
	CURLcode cc = curl_easy_setopt(s->easy, CURLOPT_URL, s->url_buf.data);
	if (cc == CURLE_OK && s->method >= M_POST) {
		cc = curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		if (cc == CURLE_OK)
			cc = curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS,
					      len > 0 ? (const char *)data : "");
	}
	if (cc == CURLE_OK)
		cc = transfer(w, s, &stopped);
	h->msg_free(msg); /* (its bytes were the body: kept until here) */
	if (stopped)
		return 0;
	long status = 0;
	if (cc == CURLE_OK)
		curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
	if (cc != CURLE_OK || status >= 400)
		return fail_request(w, s, cc, status);
	pl_msg *out = h->msg_new(s->body.len);
	if (out == NULL)
		return h->failf(w, "out of memory");
	if (s->body.len > 0)
		memcpy(h->msg_data(out), s->body.data, s->body.len);
	if (s->body.cap > (1u << 20)) /* a large body: its buffer goes with it */
		pl_http_buf_free(&s->body);
	return pl_builtin_emit_result(w, h->emit(w, out));
}

static void http_fini(pl_worker *w)
{
	if (w->state == NULL)
		return;
	http_free(w->state);
	w->state = NULL;
	global_release();
}

static const pl_param_spec http_params[] = {
	{ .name = "url",
	  .type = PL_PARAM_STRING,
	  .flags = PL_PARAM_REQUIRED,
	  .description = "the URL of each request: {} is the message percent-encoded, {+} the "
			 "message as is, {name} a field of the message as a JSON object" },
	{ .name = "method",
	  .type = PL_PARAM_STRING,
	  .default_value = "GET",
	  .description = "GET, HEAD, DELETE, or POST, PUT, PATCH (which send the message as the "
			 "body)" },
	{ .name = "headers",
	  .type = PL_PARAM_STRING,
	  .description = "request headers, one 'Name: value' a line" },
	{ .name = "timeout_ms",
	  .type = PL_PARAM_INT,
	  .flags = PL_PARAM_RANGE,
	  .default_value = "30000",
	  .description = "the longest a request may take, connecting included",
	  .min = 1,
	  .max = 86400000 },
	{ .name = "max_body",
	  .type = PL_PARAM_INT,
	  .flags = PL_PARAM_RANGE,
	  .default_value = "16777216",
	  .description = "the largest response body in bytes; a larger one is a stage error",
	  .min = 0,
	  .max = 1073741824 },
	{ .name = "ca_file",
	  .type = PL_PARAM_STRING,
	  .description = "a PEM file of the CAs to check an https:// server with, instead of the "
			 "system's" },
	{ .name = "follow_redirects",
	  .type = PL_PARAM_BOOL,
	  .default_value = "true",
	  .description = "follow up to 10 redirects (3xx with a Location)" },
};

/* One request per message, its response's body passed on as a message; a
 * status of 400 or more, or a transport failure, is a stage error (so
 * on_error and retry apply).  Each worker keeps its connections alive. */
const pl_stage pl_stage_http = {
	PL_STAGE_HEADER,
	.kind = PL_STAGE_TRANSFORM,
	.name = "http",
	.description = "makes one HTTP request per message (libcurl) and emits the response body",
	.params = http_params,
	.n_params = sizeof(http_params) / sizeof(http_params[0]),
	.init = http_init,
	.process = http_process,
	.fini = http_fini,
	.flags = PL_STAGE_INIT_CHECKS,
	.example_params = "{ url: \"http://127.0.0.1:8089/item/{}\", timeout_ms: 5000 }",
};
