/* nats_end.c - a NATS channel's end-of-stream markers: sending, counting, keeping, clearing. */
#include "nats_end.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "mem.h"

/* The markers' subject, "_PIPELINE.end." and the channel's. */
static void end_subject(const char *subject, char *out, size_t len)
{
	snprintf(out, len, "%s%s", PL_NATS_END_PREFIX, subject);
}

/* Counts the marker `m` once per producer, and says so. */
static void note(struct pl__nats_ends *e, natsMsg *m)
{
	const char *who = NULL, *count = "?", *failed = NULL;
	if (natsMsgHeader_Get(m, "Pipeline-Producer", &who) != NATS_OK)
		return; /* not one of ours */
	(void)natsMsgHeader_Get(m, "Pipeline-Count", &count);
	if (natsMsgHeader_Get(m, "Pipeline-Failed", &failed) != NATS_OK)
		failed = NULL;
	pthread_mutex_lock(&e->mu);
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->ids[i], who) == 0) {
			pthread_mutex_unlock(&e->mu);
			return;
		}
	char *id = NULL;
	if (e->n == e->cap) {
		size_t cap = e->cap ? 2 * e->cap : 8;
		char **ids = pl_mem_realloc(e->ids, cap * sizeof(*ids));
		if (ids != NULL) {
			e->ids = ids;
			e->cap = cap;
		}
	}
	if (e->n < e->cap)
		id = pl_mem_strdup(who);
	if (id == NULL) {
		pthread_mutex_unlock(&e->mu);
		fprintf(stderr, "pipeline: error: out of memory counting the end of a stream\n");
		return;
	}
	e->ids[e->n++] = id;
	size_t n = e->n;
	e->failed += failed != NULL;
	pthread_mutex_unlock(&e->mu);
	const pl_cfg_chan *ch = e->conn->ch;
	if (failed != NULL)
		fprintf(stderr,
			"pipeline: warning: channel '%s': producer %s was stopped before its input "
			"ended, after %s messages\n",
			ch->name, who, count);
	fprintf(stderr,
		"pipeline: info: channel '%s': producer %s ended the stream after %s messages "
		"(%zu of %lld)\n",
		ch->name, who, count, n, (long long)ch->nats.producers);
}

/* A marker as it is sent (the library's thread). */
static void on_marker(natsConnection *nc, natsSubscription *sub, natsMsg *m, void *closure)
{
	(void)nc;
	(void)sub;
	note(closure, m);
	natsMsg_Destroy(m);
}

/* The subscription will call back no more (the library's thread). */
static void on_complete(void *closure)
{
	struct pl__nats_ends *e = closure;
	atomic_store(&e->closed, 1);
}

/* Counts the markers kept in the channel's stream of ends. */
static void read_kept(struct pl__nats_ends *e, const char *stream)
{
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	if (js_GetStreamInfo(&si, e->js, stream, NULL, &jerr) != NATS_OK)
		return;
	uint64_t first = si->State.FirstSeq, last = si->State.LastSeq;
	uint64_t msgs = si->State.Msgs;
	jsStreamInfo_Destroy(si);
	for (uint64_t seq = first; msgs > 0 && seq <= last && seq != 0; seq++) {
		natsMsg *m = NULL;
		if (js_GetMsg(&m, e->js, stream, seq, NULL, &jerr) == NATS_OK)
			note(e, m);
		natsMsg_Destroy(m);
	}
}

int pl__nats_ends_listen(struct pl__nats_ends *e, struct pl__nats_conn *conn, jsCtx *js, char *err,
			 size_t len)
{
	e->conn = conn;
	e->js = js;
	atomic_init(&e->closed, 0);
	if (pthread_mutex_init(&e->mu, NULL) != 0)
		return PL_ENOMEM;
	e->has_mu = 1;
	char subject[256], why[256];
	end_subject(conn->subject, subject, sizeof(subject));
	natsStatus s = natsConnection_Subscribe(&e->sub, conn->nc, subject, on_marker, e);
	if (s == NATS_OK)
		s = natsSubscription_SetOnCompleteCB(e->sub, on_complete, e);
	if (s != NATS_OK) {
		pl__nats_why(s, why, sizeof(why));
		snprintf(err, len, "cannot subscribe to '%s': %s", subject, why);
		return PL_EIO;
	}
	if (js == NULL)
		return 0;
	/* Subscribed first: a marker sent meanwhile is counted either way, once. */
	char stream[PL_NATS_STREAM_MAX];
	pl__nats_stream_name(PL_NATS_END_STREAM, conn->subject, stream, sizeof(stream));
	if (pl__nats_ensure_stream(js, stream, subject, 0, err, len) != 0)
		return PL_EIO;
	read_kept(e, stream);
	return 0;
}

size_t pl__nats_ends_count(struct pl__nats_ends *e, size_t *failed)
{
	pthread_mutex_lock(&e->mu);
	size_t n = e->n;
	if (failed != NULL)
		*failed = e->failed;
	pthread_mutex_unlock(&e->mu);
	return n;
}

void pl__nats_ends_clear(struct pl__nats_ends *e)
{
	if (e->js == NULL)
		return;
	char stream[PL_NATS_STREAM_MAX];
	pl__nats_stream_name(PL_NATS_END_STREAM, e->conn->subject, stream, sizeof(stream));
	jsErrCode jerr = 0;
	(void)js_PurgeStream(e->js, stream, NULL, &jerr);
}

void pl__nats_ends_close(struct pl__nats_ends *e)
{
	if (e->sub != NULL) {
		/* on_complete() comes once no callback runs or will: then `e` may go. */
		if (natsSubscription_Unsubscribe(e->sub) == NATS_OK)
			for (int i = 0; i < 5000 && !atomic_load(&e->closed); i++) {
				struct timespec ms = { 0, 1000000 };
				nanosleep(&ms, NULL);
			}
		natsSubscription_Destroy(e->sub);
		e->sub = NULL;
	}
	for (size_t i = 0; i < e->n; i++)
		free(e->ids[i]);
	free(e->ids);
	e->ids = NULL;
	e->n = e->cap = 0;
	if (e->has_mu) {
		pthread_mutex_destroy(&e->mu);
		e->has_mu = 0;
	}
}

int pl__nats_end_prepare(jsCtx *js, const char *subject, int64_t producers, char *err, size_t len)
{
	char stream[PL_NATS_STREAM_MAX], markers[256];
	pl__nats_stream_name(PL_NATS_END_STREAM, subject, stream, sizeof(stream));
	end_subject(subject, markers, sizeof(markers));
	if (pl__nats_ensure_stream(js, stream, markers, 0, err, len) != 0)
		return PL_EIO;
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	if (js_GetStreamInfo(&si, js, stream, NULL, &jerr) != NATS_OK)
		return 0;
	int stale = si->State.Msgs >= (uint64_t)producers;
	jsStreamInfo_Destroy(si);
	if (stale)
		(void)js_PurgeStream(js, stream, NULL, &jerr);
	return 0;
}

natsStatus pl__nats_end_send(struct pl__nats_conn *conn, jsCtx *js, const char *producer,
			     uint64_t count, int failed)
{
	char subject[256], n[24];
	end_subject(conn->subject, subject, sizeof(subject));
	snprintf(n, sizeof(n), "%" PRIu64, count);
	natsMsg *m = NULL;
	natsStatus s = natsMsg_Create(&m, subject, NULL, NULL, 0);
	s = pl__nats_header(s, m, "Pipeline-Producer", producer);
	s = pl__nats_header(s, m, "Pipeline-Count", n);
	if (failed)
		s = pl__nats_header(s, m, "Pipeline-Failed", "true");
	if (s == NATS_OK && js != NULL) {
		jsPubAck *ack = NULL;
		jsErrCode jerr = 0;
		s = js_PublishMsg(&ack, js, m, NULL, &jerr); /* kept, and sent to subscribers */
		jsPubAck_Destroy(ack);
	} else if (s == NATS_OK) {
		s = natsConnection_PublishMsg(conn->nc, m);
	}
	natsMsg_Destroy(m);
	if (s == NATS_OK)
		s = natsConnection_FlushTimeout(conn->nc, 10000);
	return s;
}
