/* nats_conn.c - connecting a NATS channel's bridge node: options, credentials, what is logged. */
#include "nats_conn.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "engine_int.h"
#include "error.h"

/* Connections open in the process: the library is closed with the last. */
static atomic_int users;

/* Copies the comma-separated `urls` into `out`, each user:password@ or
 * token@ replaced by ***@. */
static void redact(const char *urls, char *out, size_t len)
{
	size_t o = 0;
	const char *p = urls;
	while (*p != '\0' && o + 1 < len) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		/* The user part ends at the last '@' before the path: a password may
		 * hold '@' itself. */
		const char *scheme = strstr(p, "://");
		const char *at = NULL;
		for (const char *q = scheme != NULL ? scheme + 3 : p + n; q < p + n && *q != '/';
		     q++)
			if (*q == '@')
				at = q;
		if (scheme != NULL && scheme < p + n && at != NULL)
			o += (size_t)snprintf(out + o, len - o, "%.*s***%.*s",
					      (int)(scheme + 3 - p), p, (int)(p + n - at), at);
		else
			o += (size_t)snprintf(out + o, len - o, "%.*s", (int)n, p);
		if (o >= len)
			break;
		if (end == NULL)
			break;
		o += (size_t)snprintf(out + o, len - o, ",");
		p = end + 1;
	}
	out[o < len ? o : len - 1] = '\0';
}

void pl__nats_why(natsStatus s, char *out, size_t len)
{
	natsStatus last = NATS_OK;
	const char *text = nats_GetLastError(&last);
	if (text != NULL && text[0] != '\0' && last == s) {
		/* "(js.c:2133): what" : the library's source line is not for users. */
		const char *colon = text[0] == '(' ? strstr(text, "): ") : NULL;
		snprintf(out, len, "%s", colon != NULL ? colon + 3 : text);
	} else
		snprintf(out, len, "%s", natsStatus_GetText(s));
}

static void on_disconnected(natsConnection *nc, void *closure)
{
	(void)nc;
	struct pl__nats_conn *c = closure;
	if (atomic_load(&c->closing))
		return;
	fprintf(stderr,
		"pipeline: warning: channel '%s': disconnected from NATS at %s; reconnecting "
		"(reconnect: attempts %lld, wait_ms %lld)\n",
		c->ch->name, c->where, (long long)c->ch->nats.reconnect_attempts,
		(long long)c->ch->nats.reconnect_wait_ms);
}

static void on_reconnected(natsConnection *nc, void *closure)
{
	(void)nc;
	struct pl__nats_conn *c = closure;
	fprintf(stderr, "pipeline: info: channel '%s': reconnected to NATS at %s\n", c->ch->name,
		c->where);
}

/* The connection closed: reconnects used up, or pl__nats_disconnect().
 * The last the library does with `c`. */
static void on_closed(natsConnection *nc, void *closure)
{
	(void)nc;
	struct pl__nats_conn *c = closure;
	atomic_store(&c->lost, 1);
	atomic_store(&c->closed, 1);
}

static void on_error(natsConnection *nc, natsSubscription *sub, natsStatus err, void *closure)
{
	(void)nc;
	(void)sub;
	struct pl__nats_conn *c = closure;
	char why[256];
	pl__nats_why(err, why, sizeof(why));
	fprintf(stderr, "pipeline: warning: channel '%s': NATS at %s: %s\n", c->ch->name, c->where,
		why);
}

/* Applies the channel's options to `o`; NATS_OK or the first failure. */
static natsStatus set_options(natsOptions *o, struct pl__nats_conn *c, const char *role)
{
	const pl_cfg_nats *n = &c->ch->nats;
	natsStatus s = natsOptions_SetURL(o, n->url != NULL ? n->url : PL_NATS_DEFAULT_URL);
	if (s == NATS_OK)
		s = natsOptions_SetName(o, role);
	if (s == NATS_OK)
		s = natsOptions_SetMaxReconnect(o, (int)n->reconnect_attempts);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectWait(o, n->reconnect_wait_ms);
	if (s == NATS_OK)
		s = natsOptions_SetDisconnectedCB(o, on_disconnected, c);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectedCB(o, on_reconnected, c);
	if (s == NATS_OK)
		s = natsOptions_SetClosedCB(o, on_closed, c);
	if (s == NATS_OK)
		s = natsOptions_SetErrorHandler(o, on_error, c);
	if (s == NATS_OK && n->creds != NULL)
		s = natsOptions_SetUserCredentialsFromFiles(o, n->creds, NULL);
	return s;
}

int pl__nats_connect(struct pl__nats_conn *c, const pl_cfg_chan *ch, const char *role, char *err,
		     size_t len)
{
	c->ch = ch;
	c->subject = ch->nats.subject != NULL ? ch->nats.subject : ch->name;
	redact(ch->nats.url != NULL ? ch->nats.url : PL_NATS_DEFAULT_URL, c->where,
	       sizeof(c->where));
	atomic_init(&c->lost, 0);
	atomic_init(&c->closed, 0);
	atomic_init(&c->opened, 0);
	atomic_init(&c->closing, 0);
	char why[256];
	natsStatus s = nats_Open(-1);
	if (s != NATS_OK) {
		pl__nats_why(s, why, sizeof(why));
		snprintf(err, len, "channel '%s': the NATS library cannot start: %s", ch->name,
			 why);
		return PL_EIO;
	}
	atomic_fetch_add(&users, 1);
	atomic_store(&c->opened, 1);
	natsOptions *o = NULL;
	s = natsOptions_Create(&o);
	if (s == NATS_OK)
		s = set_options(o, c, role);
	if (s != NATS_OK) {
		pl__nats_why(s, why, sizeof(why));
		snprintf(err, len, "channel '%s': bad NATS options%s%s: %s", ch->name,
			 ch->nats.creds ? " (creds " : "", ch->nats.creds ? ch->nats.creds : "",
			 why);
		natsOptions_Destroy(o);
		return PL_EIO;
	}
	s = natsConnection_Connect(&c->nc, o);
	natsOptions_Destroy(o);
	if (s == NATS_OK)
		return 0;
	pl__nats_why(s, why, sizeof(why));
	/* The library's text may quote the URL it tried: never show a password. */
	if (strchr(why, '@') != NULL) {
		char safe[256];
		redact(why, safe, sizeof(safe));
		snprintf(why, sizeof(why), "%s", safe);
	}
	const char *hint =
		s == NATS_NO_SERVER
			? "is nats-server running there? (set the channel's 'url', or NATS_URL "
			  "when the config uses ${NATS_URL})"
		: strstr(why, "uthoriz") != NULL || strstr(why, "uthentic") != NULL
			? "check the user and password in 'url', or the 'creds' file"
			: "check the channel's 'url' and that the server is reachable";
	snprintf(err, len, "channel '%s': cannot connect to NATS at %s: %s; %s", ch->name, c->where,
		 why, hint);
	c->nc = NULL;
	return PL_EIO;
}

void pl__nats_lost_why(const struct pl__nats_conn *c, char *out, size_t len)
{
	snprintf(out, len,
		 "channel '%s': the connection to NATS at %s is closed and reconnecting failed "
		 "(reconnect: attempts %lld, wait_ms %lld)",
		 c->ch->name, c->where, (long long)c->ch->nats.reconnect_attempts,
		 (long long)c->ch->nats.reconnect_wait_ms);
}

void pl__nats_disconnect(struct pl__nats_conn *c)
{
	if (c->nc != NULL) {
		atomic_store(&c->closing, 1);
		natsConnection_Close(c->nc);
		/* The library calls on_closed() last, on its own thread, after
		 * Close() returned: `c` must outlive that call (at most 5 s). */
		for (int i = 0; i < 5000 && !atomic_load(&c->closed); i++) {
			struct timespec ms = { 0, 1000000 };
			nanosleep(&ms, NULL);
		}
		natsConnection_Destroy(c->nc);
		c->nc = NULL;
	}
	if (atomic_exchange(&c->opened, 0) && atomic_fetch_sub(&users, 1) == 1)
		nats_CloseAndWait(2000);
}

void pl__nats_stream_name(const char *prefix, const char *subject, char *out, size_t len)
{
	snprintf(out, len, "%s%s", prefix, subject);
	for (char *p = out; *p != '\0'; p++)
		if (*p == '.')
			*p = '_';
}

/* Does the existing stream `name` capture `subject`?  Two subjects may
 * map to one name (a.b, a_b). */
static int captures(jsCtx *js, const char *name, const char *subject)
{
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	if (js_GetStreamInfo(&si, js, name, NULL, &jerr) != NATS_OK)
		return 1; /* cannot tell: the publishes will */
	int found = 0;
	for (int i = 0; i < si->Config->SubjectsLen && !found; i++)
		found = strcmp(si->Config->Subjects[i], subject) == 0;
	jsStreamInfo_Destroy(si);
	return found;
}

int pl__nats_ensure_stream(jsCtx *js, const char *name, const char *subject, int work_queue,
			   char *err, size_t len)
{
	jsStreamConfig sc;
	jsStreamConfig_Init(&sc);
	const char *subjects[] = { subject };
	sc.Name = name;
	sc.Subjects = subjects;
	sc.SubjectsLen = 1;
	sc.Storage = js_FileStorage;
	if (work_queue) {
		sc.Retention = js_WorkQueuePolicy;
	} else {
		sc.Retention = js_LimitsPolicy;
		sc.MaxMsgs = 10000;
	}
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	natsStatus s = js_AddStream(&si, js, &sc, NULL, &jerr);
	jsStreamInfo_Destroy(si);
	if (s == NATS_OK)
		return 0;
	if (jerr == JSStreamNameExistErr) {
		if (captures(js, name, subject))
			return 0;
		snprintf(err, len,
			 "the JetStream stream %s exists for another subject (subjects that "
			 "differ only in '.' and '_' share a stream name): rename one",
			 name);
		return PL_EIO;
	}
	char why[256];
	pl__nats_why(s, why, sizeof(why));
	snprintf(err, len,
		 "cannot create the JetStream stream %s for subject '%s': %s (is JetStream "
		 "enabled on the server? nats-server -js)",
		 name, subject, why);
	return PL_EIO;
}

const pl_cfg_chan *pl__nats_chan_of(pl_worker *w, const pl_config **cfg)
{
	const struct en_worker *ew = (const struct en_worker *)w;
	*cfg = ew->node->engine->cfg;
	return &(*cfg)->chans[ew->node->cfg->bridge_chan];
}
