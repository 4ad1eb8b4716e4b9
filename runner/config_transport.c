/* config_transport.c - decoding how a channel's messages travel: `transport` and a NATS
 * channel's options (docs/distributed.md). */
#include <string.h>

#include "config_decode_int.h"

/* The keys only a `transport: nats` channel may have. */
static const char *const nats_keys[] = { "url",         "subject",     "durable",
					 "producers",   "creds",       "idle_timeout_ms",
					 "ack_wait_ms", "max_pending", "reconnect" };
static const char *const reconnect_keys[] = { "attempts", "wait_ms" };

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* `durable: true | false`; 0 and an error when it is neither. */
static int get_bool(struct pl__decoder *dec, const yaml_node_t *v, const char *key, int *out)
{
	if (v->type == YAML_SCALAR_NODE && v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    (strcmp(scalar(v), "true") == 0 || strcmp(scalar(v), "false") == 0)) {
		*out = strcmp(scalar(v), "true") == 0;
		return 1;
	}
	ERR(dec, BAD_VALUE, pl_yaml_pos(v), "'%s' must be true or false, got %s%s%s", key,
	    v->type == YAML_SCALAR_NODE ? "'" : "",
	    v->type == YAML_SCALAR_NODE ? scalar(v) : pl_yaml_kind(v),
	    v->type == YAML_SCALAR_NODE ? "'" : "");
	return 0;
}

/*
 * A subject is what we can also name a JetStream stream after: tokens of
 * [A-Za-z0-9_-] joined by dots.  Wildcards are refused: a channel is one
 * stream of messages, and its consumers must all see the same one.
 */
static int subject_ok(const char *s)
{
	size_t token = 0, len = 0;
	for (; s[len] != '\0'; len++) {
		char ch = s[len];
		if (ch == '.') {
			if (token == 0)
				return 0;
			token = 0;
		} else if (pl__is_name(&ch, 1)) {
			token++;
		} else {
			return 0;
		}
	}
	return token > 0 && len <= 200 && strncmp(s, "_PIPELINE", 9) != 0;
}

/* Each of the comma-separated servers starts nats:// or tls://. */
static int url_ok(const char *s)
{
	for (;;) {
		while (*s == ' ')
			s++;
		if (strncmp(s, "nats://", 7) != 0 && strncmp(s, "tls://", 6) != 0)
			return 0;
		s = strchr(s, ',');
		if (s == NULL)
			return 1;
		s++;
	}
}

static void decode_reconnect(struct pl__decoder *dec, pl_cfg_nats *n, const yaml_node_t *v)
{
	if (!pl__dec_expect_mapping(dec, v, "'reconnect'"))
		return;
	pl__dec_check_keys(dec, v, reconnect_keys, COUNT(reconnect_keys), "'reconnect'");
	const yaml_node_t *a = pl__dec_lookup(dec, v, "attempts");
	const yaml_node_t *w = pl__dec_lookup(dec, v, "wait_ms");
	if (a != NULL)
		(void)pl__dec_get_int(dec, a, "attempts", -1, 1000000, &n->reconnect_attempts);
	if (w != NULL)
		(void)pl__dec_get_int(dec, w, "wait_ms", 0, 3600000, &n->reconnect_wait_ms);
}

static void decode_nats(struct pl__decoder *dec, pl_cfg_chan *c, const yaml_node_t *v)
{
	pl_cfg_nats *n = &c->nats;
	const yaml_node_t *k;
	if ((k = pl__dec_lookup(dec, v, "url")) != NULL &&
	    pl__dec_get_string(dec, k, "url", &n->url)) {
		n->url_pos = pl_yaml_pos(k);
		if (!url_ok(n->url))
			ERR(dec, BAD_VALUE, n->url_pos,
			    "'url' must be nats://HOST:PORT or tls://HOST:PORT (several: "
			    "comma-separated), got something else");
	}
	if ((k = pl__dec_lookup(dec, v, "subject")) != NULL &&
	    pl__dec_get_string(dec, k, "subject", &n->subject)) {
		n->subject_pos = pl_yaml_pos(k);
		if (!subject_ok(n->subject))
			ERR(dec, BAD_VALUE, n->subject_pos,
			    "'subject' must be words of letters, digits, '_' and '-' joined by "
			    "dots, like jobs.resize (no wildcards, at most 200 characters, not "
			    "starting _PIPELINE), got '%s'",
			    n->subject);
	} else if (k == NULL && !subject_ok(c->name)) {
		ERR(dec, BAD_VALUE, c->transport_pos,
		    "channel '%s' needs a 'subject': its name cannot be one (it starts "
		    "_PIPELINE)",
		    c->name);
	}
	if ((k = pl__dec_lookup(dec, v, "creds")) != NULL)
		(void)pl__dec_get_string(dec, k, "creds", &n->creds);
	if ((k = pl__dec_lookup(dec, v, "durable")) != NULL)
		(void)get_bool(dec, k, "durable", &n->durable);
	if ((k = pl__dec_lookup(dec, v, "producers")) != NULL)
		(void)pl__dec_get_int(dec, k, "producers", 1, 100000, &n->producers);
	if ((k = pl__dec_lookup(dec, v, "idle_timeout_ms")) != NULL)
		(void)pl__dec_get_int(dec, k, "idle_timeout_ms", 0, INT64_C(31536000000),
				      &n->idle_timeout_ms);
	if ((k = pl__dec_lookup(dec, v, "ack_wait_ms")) != NULL)
		(void)pl__dec_get_int(dec, k, "ack_wait_ms", 100, INT64_C(86400000),
				      &n->ack_wait_ms);
	if ((k = pl__dec_lookup(dec, v, "max_pending")) != NULL)
		(void)pl__dec_get_int(dec, k, "max_pending", 1, INT32_MAX, &n->max_pending);
	if ((k = pl__dec_lookup(dec, v, "reconnect")) != NULL)
		decode_reconnect(dec, n, k);
}

void pl__dec_chan_transport(struct pl__decoder *dec, pl_cfg_chan *c, const yaml_node_t *v)
{
	c->nats = (pl_cfg_nats){ .producers = 1,
				 .idle_timeout_ms = 300000,
				 .ack_wait_ms = 30000,
				 .max_pending = 65536,
				 .reconnect_attempts = 60,
				 .reconnect_wait_ms = 2000 };
	const yaml_node_t *t = pl__dec_lookup(dec, v, "transport");
	int bad = 0; /* `transport` has an error of its own */
	if (t != NULL) {
		c->transport_pos = pl_yaml_pos(t);
		const char *word = t->type == YAML_SCALAR_NODE ? scalar(t) : NULL;
		if (word != NULL && strcmp(word, "nats") == 0) {
			c->transport = PL_TRANSPORT_NATS;
		} else if (word == NULL || strcmp(word, "local") != 0) {
			bad = 1;
			ERR(dec, BAD_VALUE, c->transport_pos,
			    "'transport' must be local (the default) or nats, got %s%s%s",
			    word ? "'" : "", word ? word : pl_yaml_kind(t), word ? "'" : "");
		}
	}
	for (size_t i = 0; i < COUNT(nats_keys) && c->remote_key == NULL; i++) {
		const yaml_node_t *k = pl__dec_lookup(dec, v, nats_keys[i]);
		if (k != NULL) {
			c->remote_key = nats_keys[i];
			c->remote_key_pos = pl_yaml_pos(k);
		}
	}
	if (c->transport != PL_TRANSPORT_NATS) {
		if (c->remote_key != NULL && !bad)
			ERR(dec, TRANSPORT_KEY, c->remote_key_pos,
			    "'%s' is an option of NATS channels; add 'transport: nats' to channel "
			    "'%s', or remove '%s'",
			    c->remote_key, c->name, c->remote_key);
		return;
	}
#ifndef PL_HAVE_NATS
	ERR(dec, NATS_UNAVAILABLE, c->transport_pos,
	    "channel '%s' uses transport: nats, but this pipeline was built without NATS "
	    "support (libnats was not found): install libnats-dev (scripts/deps.sh does) and "
	    "build again",
	    c->name);
#endif
	decode_nats(dec, c, v);
}
