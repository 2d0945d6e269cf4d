/* table.c: bindings, registrations and dialogs of the ALG (see table.h). Linear scans over
 * fixed arrays: a home router has a handful of phones. */
#include "table.h"

#include <string.h>

void table_init(struct alg_table *t, const struct table_config *cfg, table_change_fn *fn, void *ctx)
{
	memset(t, 0, sizeof(*t));
	t->cfg = *cfg;
	t->on_change = fn;
	t->ctx = ctx;
}

static void report(struct alg_table *t, const struct table_binding *b, enum table_change c)
{
	if (t->on_change)
		t->on_change(t->ctx, b, c);
}

static struct table_binding *find_priv(struct alg_table *t, struct alg_endpoint priv)
{
	for (size_t i = 0; i < t->bind_top; i++)
		if (t->bind[i].in_use && t->bind[i].priv.ip == priv.ip && t->bind[i].priv.port == priv.port)
			return &t->bind[i];
	return NULL;
}

static struct table_binding *find_pub(struct alg_table *t, uint16_t pub)
{
	for (size_t i = 0; i < t->bind_top; i++)
		if (t->bind[i].in_use && t->bind[i].pub_port == pub)
			return &t->bind[i];
	return NULL;
}

/* A public port is taken by a binding, by a proposal of this message, or as the implied RTCP
 * port (one up) of a proposed media port. */
static int port_taken(struct alg_table *t, uint16_t p)
{
	if (find_pub(t, p))
		return 1;
	for (size_t i = 0; i < t->n_proposed; i++)
		if (t->proposed[i].pub_port == p || (uint16_t)(t->proposed[i].pub_port + 1) == p)
			return 1;
	return 0;
}

static uint16_t choose_port(struct alg_table *t, struct alg_endpoint priv, enum alg_port_kind kind)
{
	int media = kind == ALG_PORT_MEDIA;

	/* The phone's own port when free (and, for media, the RTCP port above it). */
	if (!port_taken(t, priv.port) && (!media || (priv.port < 65535 && !port_taken(t, priv.port + 1))))
		return priv.port;
	/* Else an even port of the range with its odd neighbour free (RFC 3550 pairs). */
	for (uint32_t p = t->cfg.port_min + (t->cfg.port_min & 1); p + 1 <= t->cfg.port_max; p += 2)
		if (!port_taken(t, (uint16_t)p) && !port_taken(t, (uint16_t)(p + 1)))
			return (uint16_t)p;
	return 0;
}

static uint16_t nat_public_port(void *ctx, struct alg_endpoint priv, enum alg_port_kind kind)
{
	struct alg_table *t = ctx;
	struct table_binding *b = find_priv(t, priv);
	uint16_t p;

	if (b)
		return b->pub_port;
	for (size_t i = 0; i < t->n_proposed; i++)
		if (t->proposed[i].priv.ip == priv.ip && t->proposed[i].priv.port == priv.port)
			return t->proposed[i].pub_port;
	p = choose_port(t, priv, kind);
	if (p == 0 || t->n_proposed == TABLE_MAX_PROPOSED)
		return priv.port; /* exhausted: keep the port and let the NAT decide */
	t->proposed[t->n_proposed++] = (struct alg_binding){ priv, p };
	return p;
}

static int nat_private_endpoint(void *ctx, uint16_t pub, struct alg_endpoint *priv)
{
	struct alg_table *t = ctx;
	struct table_binding *b = find_pub(t, pub);

	if (!b)
		return -1;
	*priv = b->priv;
	return 0;
}

struct alg_nat table_nat(struct alg_table *t, int64_t now)
{
	struct alg_nat nat = { nat_public_port, nat_private_endpoint, t };

	t->now = now;
	t->n_proposed = 0;
	return nat;
}

static void remove_binding(struct alg_table *t, struct table_binding *b)
{
	report(t, b, TABLE_REMOVED);
	b->in_use = 0;
}

/* Gives b at least `until`, telling the mirror only when it passes what it was told. */
static void extend(struct alg_table *t, struct table_binding *b, int64_t until)
{
	if (until <= b->expires)
		return;
	b->expires = until;
	if (until > b->installed_expires) {
		b->installed_expires = until + TABLE_INSTALL_AHEAD;
		report(t, b, TABLE_UPDATED);
	}
}

/* Finds or adds the binding priv -> pub and gives it at least `until`. */
static struct table_binding *bind(struct alg_table *t, struct alg_endpoint priv, uint16_t pub,
				  enum alg_port_kind kind, int64_t until)
{
	struct table_binding *b = find_priv(t, priv);

	if (b && b->pub_port != pub) { /* the NAT moved it: follow */
		remove_binding(t, b);
		b = NULL;
	}
	if (b) {
		extend(t, b, until);
		return b;
	}
	for (size_t i = 0; i < TABLE_MAX_BINDINGS; i++) {
		if (t->bind[i].in_use)
			continue;
		if (i >= t->bind_top)
			t->bind_top = i + 1;
		b = &t->bind[i];
		memset(b, 0, sizeof(*b));
		b->in_use = 1;
		b->kind = kind;
		b->priv = priv;
		b->pub_port = pub;
		b->dialog = -1;
		b->expires = until;
		b->installed_expires = until + TABLE_INSTALL_AHEAD;
		report(t, b, TABLE_ADDED);
		return b;
	}
	return NULL; /* full: the message was translated, the NAT's own mapping will have to do */
}

static struct table_dialog *find_dialog(struct alg_table *t, const char *msg, struct alg_span id,
					int create)
{
	uint32_t n = id.len < TABLE_CALL_ID_MAX ? id.len : TABLE_CALL_ID_MAX;
	struct table_dialog *free_slot = NULL;

	for (size_t i = 0; i < t->dialog_top; i++) {
		struct table_dialog *d = &t->dialog[i];

		if (!d->in_use) {
			if (!free_slot)
				free_slot = d;
			continue;
		}
		if (d->call_id_len == id.len && memcmp(d->call_id, msg + id.off, n) == 0)
			return d;
	}
	if (!create)
		return NULL;
	if (!free_slot && t->dialog_top < TABLE_MAX_DIALOGS)
		free_slot = &t->dialog[t->dialog_top++];
	if (!free_slot)
		return NULL;
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->in_use = 1;
	free_slot->call_id_len = id.len;
	memcpy(free_slot->call_id, msg + id.off, n);
	return free_slot;
}

static int dialog_index(const struct alg_table *t, const struct table_dialog *d)
{
	return (int)(d - t->dialog);
}

static void end_dialog(struct alg_table *t, struct table_dialog *d)
{
	int di = dialog_index(t, d);

	for (size_t i = 0; i < t->bind_top; i++)
		if (t->bind[i].in_use && t->bind[i].kind == ALG_PORT_MEDIA && t->bind[i].dialog == di)
			remove_binding(t, &t->bind[i]);
	d->in_use = 0;
}

/* The media binding (rtcp half or not) of the stream that phone `ip` announced in dialog di.
 * Keyed by phone too: when both ends of a call are behind the ALG, the proxy's two legs
 * share one Call-ID and each phone announces its own stream 0. */
static struct table_binding *stream_binding(struct alg_table *t, int di, uint8_t stream, uint8_t rtcp,
					    uint32_t ip)
{
	for (size_t i = 0; i < t->bind_top; i++) {
		struct table_binding *b = &t->bind[i];

		if (b->in_use && b->kind == ALG_PORT_MEDIA && b->dialog == di && b->stream == stream &&
		    b->rtcp == rtcp && b->priv.ip == ip)
			return b;
	}
	return NULL;
}

static void open_media(struct alg_table *t, struct table_dialog *d, uint8_t stream, uint8_t rtcp,
		       struct alg_endpoint priv, uint16_t pub)
{
	int di = dialog_index(t, d);
	struct table_binding *old = stream_binding(t, di, stream, rtcp, priv.ip), *b;

	if (old && old->priv.port != priv.port)
		remove_binding(t, old); /* a re-offer moved the stream */
	b = bind(t, priv, pub, ALG_PORT_MEDIA, d->expires);
	if (!b)
		return;
	b->dialog = di;
	b->stream = stream;
	b->rtcp = rtcp;
	if (stream < TABLE_MAX_STREAMS && b->peer != d->peer[stream]) {
		b->peer = d->peer[stream];
		report(t, b, TABLE_UPDATED);
	}
}

/* A dialog's media lives as long as the dialog. */
static void refresh_dialog(struct alg_table *t, struct table_dialog *d, int64_t until)
{
	int di = dialog_index(t, d);

	d->expires = until;
	for (size_t i = 0; i < t->bind_top; i++)
		if (t->bind[i].in_use && t->bind[i].kind == ALG_PORT_MEDIA && t->bind[i].dialog == di)
			extend(t, &t->bind[i], until);
}

static void note_peer(struct alg_table *t, struct table_dialog *d, uint8_t stream, uint32_t peer)
{
	int di = dialog_index(t, d);

	if (peer == t->self_ip)
		peer = 0;
	if (stream >= TABLE_MAX_STREAMS || d->peer[stream] == peer)
		return;
	d->peer[stream] = peer;
	for (size_t i = 0; i < t->bind_top; i++) {
		struct table_binding *b = &t->bind[i];

		if (b->in_use && b->kind == ALG_PORT_MEDIA && b->dialog == di && b->stream == stream) {
			b->peer = peer;
			report(t, b, TABLE_UPDATED);
		}
	}
}

void table_apply(struct alg_table *t, const struct alg_result *res, const char *msg, int64_t now)
{
	for (size_t i = 0; i < res->n_actions; i++) {
		const struct alg_action *a = &res->actions[i];
		int opens = a->kind == ALG_ACT_MEDIA_OPEN || a->kind == ALG_ACT_MEDIA_PEER;
		struct table_dialog *d = NULL;
		struct table_binding *b;

		if (a->kind != ALG_ACT_SIGNALING && a->kind != ALG_ACT_REGISTERED) {
			d = find_dialog(t, msg, a->call_id, opens);
			if (!d)
				continue;
			if (!d->media_seen)
				d->media_seen = now;
			if (opens || a->kind == ALG_ACT_ANSWERED)
				refresh_dialog(t, d, now + t->cfg.dialog_idle);
		}
		switch (a->kind) {
		case ALG_ACT_SIGNALING:
			bind(t, a->priv, a->pub_port, ALG_PORT_SIGNALING, now + t->cfg.signaling_idle);
			break;
		case ALG_ACT_REGISTERED:
			b = find_priv(t, a->priv);
			if (a->expires == 0) {
				if (b && b->kind == ALG_PORT_SIGNALING)
					remove_binding(t, b);
				break;
			}
			b = bind(t, a->priv, a->pub_port, ALG_PORT_SIGNALING,
				 now + a->expires + t->cfg.register_grace);
			if (!b)
				break;
			b->registered = 1;
			if (t->cfg.registrar_only && b->peer != a->from) {
				b->peer = a->from;
				report(t, b, TABLE_UPDATED);
			}
			break;
		case ALG_ACT_MEDIA_OPEN:
			open_media(t, d, a->stream, 0, a->priv, a->pub_port);
			if (a->rtcp.port)
				open_media(t, d, a->stream, 1, a->rtcp, a->rtcp_pub_port);
			break;
		case ALG_ACT_MEDIA_PEER:
			note_peer(t, d, a->stream, a->priv.ip);
			break;
		case ALG_ACT_ANSWERED:
			if (!d->answered)
				d->media_seen = now; /* media is due from now on */
			d->answered = 1;
			break;
		case ALG_ACT_MEDIA_CLOSE:
			/* A failed re-INVITE leaves an answered call as it was (RFC 3261 14.1). */
			if (a->status == 0 || !d->answered)
				end_dialog(t, d);
			break;
		}
	}
}

void table_media_seen(struct alg_table *t, int di, int64_t now)
{
	if (di >= 0 && (size_t)di < t->dialog_top && t->dialog[di].in_use && now > t->dialog[di].media_seen)
		t->dialog[di].media_seen = now;
}

int64_t table_expire(struct alg_table *t, int64_t now)
{
	int64_t next = INT64_MAX;

	for (size_t i = 0; i < t->dialog_top; i++) {
		struct table_dialog *d = &t->dialog[i];
		int64_t end = d->expires;

		if (!d->in_use)
			continue;
		if (d->answered && t->cfg.media_timeout && d->media_seen + t->cfg.media_timeout < end)
			end = d->media_seen + t->cfg.media_timeout;
		if (end <= now)
			end_dialog(t, d);
		else if (end < next)
			next = end;
	}
	for (size_t i = 0; i < t->bind_top; i++) {
		struct table_binding *b = &t->bind[i];

		if (!b->in_use)
			continue;
		if (b->expires <= now)
			remove_binding(t, b);
		else if (b->expires < next)
			next = b->expires;
	}
	return next;
}

void table_clear(struct alg_table *t)
{
	for (size_t i = 0; i < t->dialog_top; i++)
		t->dialog[i].in_use = 0;
	for (size_t i = 0; i < t->bind_top; i++)
		if (t->bind[i].in_use)
			remove_binding(t, &t->bind[i]);
}
