/* SPDX-License-Identifier: GPL-2.0-or-later */
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

void table_set_config(struct alg_table *t, const struct table_config *cfg)
{
	t->cfg = *cfg;
}

const struct table_config *table_get_config(const struct alg_table *t)
{
	return &t->cfg;
}

void table_set_self_ip(struct alg_table *t, uint32_t ip)
{
	t->self_ip = ip;
}

static void report(struct alg_table *t, const struct table_binding *b, enum table_change c)
{
	if (t->on_change)
		t->on_change(t->ctx, (size_t)(b - t->bind), b, c);
}

static struct table_binding *find_priv(struct alg_table *t, struct alg_endpoint priv)
{
	for (size_t i = 0; i < t->bind_top; i++)
		if (t->bind[i].in_use && endpoint_eq(t->bind[i].priv, priv))
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

/* The rate slot of LAN host ip: its own, else the one idle longest. */
static struct table_rate *rate_slot(struct alg_table *t, uint32_t ip)
{
	struct table_rate *oldest = &t->rate[0];

	for (size_t i = 0; i < TABLE_RATE_SLOTS; i++) {
		if (t->rate[i].ip == ip)
			return &t->rate[i];
		if (t->rate[i].second < oldest->second)
			oldest = &t->rate[i];
	}
	*oldest = (struct table_rate){ ip, 0, 0 };
	return oldest;
}

static uint32_t new_this_second(struct alg_table *t, uint32_t ip, int64_t now)
{
	for (size_t i = 0; i < TABLE_RATE_SLOTS; i++)
		if (t->rate[i].ip == ip && t->rate[i].second == now)
			return t->rate[i].n;
	return 0;
}

static void count_new_pinhole(struct alg_table *t, uint32_t ip, int64_t now)
{
	struct table_rate *r = rate_slot(t, ip);

	if (r->second != now) {
		r->second = now;
		r->n = 0;
	}
	r->n++;
}

/* A public port is taken by a binding, by a proposal of this message, or as the implied RTCP
 * port (one up) of a proposed media port. */
static int port_taken(struct table_txn *x, uint16_t p)
{
	if (find_pub(x->t, p))
		return 1;
	for (size_t i = 0; i < x->n_proposed; i++)
		if (x->proposed[i].pub_port == p || (uint16_t)(x->proposed[i].pub_port + 1) == p)
			return 1;
	return 0;
}

/* Port p still carries the flow of an unregistered phone other than priv. */
static int cooling(struct table_txn *x, uint16_t p, struct alg_endpoint priv)
{
	const struct alg_table *t = x->t;

	for (size_t i = 0; i < t->n_cooling; i++)
		if (t->cooling[i].b.pub_port == p && t->cooling[i].until > x->now &&
		    !endpoint_eq(t->cooling[i].b.priv, priv))
			return 1;
	return 0;
}

/* With LAN servers configured, their forwarded SIP ports are theirs: a phone bound there
 * would capture the owner's port forward (both are DNAT of the same public port). */
static int kept_for_server(const struct table_txn *x, uint16_t p, struct alg_endpoint priv)
{
	const struct alg_config *c = x->cfg;

	if (!c || !c->n_lan_servers || alg_is_lan_server(c, priv.ip))
		return 0;
	for (size_t i = 0; i < c->n_server_ports; i++)
		if (c->server_ports[i] == p)
			return 1;
	return 0;
}

/* Port p cannot go to priv: another phone's flow cools on it, or a server's forward has it. */
static int withheld(struct table_txn *x, uint16_t p, struct alg_endpoint priv)
{
	return cooling(x, p, priv) || kept_for_server(x, p, priv);
}

static uint16_t choose_port(struct table_txn *x, struct alg_endpoint priv, enum alg_port_kind kind)
{
	const struct table_config *c = &x->t->cfg;
	int media = kind == ALG_PORT_MEDIA;

	/* The phone's own port when free (and, for media, the RTCP port above it). */
	if (!port_taken(x, priv.port) && (!media || (priv.port < 65535 && !port_taken(x, priv.port + 1))) &&
	    !withheld(x, priv.port, priv))
		return priv.port;
	/* Else an even port of the range with its odd neighbour free (RFC 3550 pairs). */
	for (uint32_t p = c->media_port_min + (c->media_port_min & 1); p + 1 <= c->media_port_max; p += 2)
		if (!port_taken(x, (uint16_t)p) && !port_taken(x, (uint16_t)(p + 1)) &&
		    !withheld(x, (uint16_t)p, priv) && !withheld(x, (uint16_t)(p + 1), priv))
			return (uint16_t)p;
	return 0;
}

static uint16_t nat_public_port(void *ctx, struct alg_endpoint priv, enum alg_port_kind kind)
{
	struct table_txn *x = ctx;
	struct table_binding *b = find_priv(x->t, priv);
	uint16_t p;

	if (b)
		return b->pub_port;
	for (size_t i = 0; i < x->n_proposed; i++)
		if (endpoint_eq(x->proposed[i].priv, priv))
			return x->proposed[i].pub_port;
	p = choose_port(x, priv, kind);
	if (p == 0 || x->n_proposed == TABLE_MAX_PROPOSED)
		return priv.port; /* exhausted: keep the port and let the NAT decide */
	x->proposed[x->n_proposed++] = (struct alg_binding){ priv, p };
	return p;
}

/* FNV-1a: the keys of registrations and pending REGISTERs, so that neither holds message
 * bytes; a collision would at worst merge two of them. */
static uint64_t fnv(uint64_t h, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ull;
	}
	return h;
}

static uint64_t span_hash(const char *msg, struct alg_span s)
{
	return fnv(1469598103934665603ull, msg + s.off, s.len) | 1;
}

static uint64_t request_key(const char *msg, struct alg_span call_id, uint32_t cseq)
{
	char n[4] = { (char)cseq, (char)(cseq >> 8), (char)(cseq >> 16), (char)(cseq >> 24) };

	return fnv(span_hash(msg, call_id), n, sizeof(n)) | 1;
}

static struct table_pending *find_pending(struct alg_table *t, uint64_t key, int64_t now)
{
	for (size_t i = 0; i < t->pending_top; i++)
		if (t->pending[i].key == key && t->pending[i].until > now)
			return &t->pending[i];
	return NULL;
}

static int nat_request_contact(void *ctx, const char *msg, struct alg_span call_id, uint32_t cseq,
			       uint16_t pub, struct alg_endpoint *priv, uint16_t *written)
{
	struct table_txn *x = ctx;
	struct table_pending *p = find_pending(x->t, request_key(msg, call_id, cseq), x->now);

	for (size_t i = 0; p && i < p->n; i++)
		if (p->contact[i].pub_port == pub) {
			*priv = p->contact[i].priv;
			*written = p->written[i];
			return 0;
		}
	return -1;
}

static int nat_private_endpoint(void *ctx, uint16_t pub, struct alg_endpoint *priv)
{
	struct table_txn *x = ctx;
	struct table_binding *b = find_pub(x->t, pub);

	if (!b)
		return -1;
	*priv = b->priv;
	return 0;
}

static int nat_media_private(void *ctx, uint16_t pub, struct alg_endpoint *priv)
{
	struct table_txn *x = ctx;
	struct table_binding *b = find_pub(x->t, pub);

	if (!b || b->kind != ALG_PORT_MEDIA)
		return -1;
	*priv = b->priv;
	return 0;
}

void table_begin(struct table_txn *x, struct alg_table *t, int64_t now)
{
	x->t = t;
	x->cfg = NULL;
	x->now = now;
	x->n_proposed = 0;
	x->n_added = 0;
}

struct alg_nat table_nat(struct table_txn *x)
{
	return (struct alg_nat){ .public_port = nat_public_port, .private_endpoint = nat_private_endpoint,
				 .request_contact = nat_request_contact, .media_private = nat_media_private,
				 .ctx = x };
}

static void remove_binding(struct alg_table *t, struct table_binding *b)
{
	if (b->kind == ALG_PORT_SIGNALING) /* its registrations go with it */
		for (size_t i = 0; i < t->reg_top; i++)
			if (t->reg[i].aor && endpoint_eq(t->reg[i].priv, b->priv))
				t->reg[i].aor = 0;
	report(t, b, TABLE_REMOVED);
	b->in_use = 0;
	t->n_bound[b->kind]--;
}

/* Gives b at least `until`. */
static void extend(struct alg_table *t, struct table_binding *b, int64_t until)
{
	if (until <= b->expires)
		return;
	b->expires = until;
	report(t, b, TABLE_EXTENDED);
}

/* Finds or adds the binding priv -> pub and gives it at least `until`. */
static struct table_binding *bind(struct table_txn *x, struct alg_endpoint priv, uint16_t pub,
				  enum alg_port_kind kind, int64_t until)
{
	struct alg_table *t = x->t;
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
		t->n_bound[kind]++;
		if (kind == ALG_PORT_MEDIA)
			count_new_pinhole(t, priv.ip, x->now);
		if (x->n_added < TABLE_MAX_ADDED)
			x->added[x->n_added++] = (uint32_t)i;
		report(t, b, TABLE_ADDED);
		return b;
	}
	return NULL; /* full: table_admit keeps messages that need more from being translated */
}

enum dialog_create { DIALOG_FIND, DIALOG_FROM_LAN, DIALOG_FROM_WAN };

/* A slot for a new dialog: a free one, else the one the WAN side spoke of longest ago (it
 * holds no pinhole), so that strangers' INVITEs cannot crowd out the LAN's calls. */
static struct table_dialog *dialog_slot(struct alg_table *t, struct table_dialog *free_slot)
{
	struct table_dialog *oldest = NULL;

	if (free_slot)
		return free_slot;
	if (t->dialog_top < TABLE_MAX_DIALOGS)
		return &t->dialog[t->dialog_top++];
	for (size_t i = 0; i < t->dialog_top; i++)
		if (!t->dialog[i].from_lan && (!oldest || t->dialog[i].expires < oldest->expires))
			oldest = &t->dialog[i];
	return oldest;
}

static struct table_dialog *find_dialog(struct alg_table *t, const char *msg, struct alg_span id,
					enum dialog_create create)
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
	if (create == DIALOG_FIND)
		return NULL;
	free_slot = dialog_slot(t, free_slot);
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

/* The binding old of a stream gives way to a new one: at once, or, while a re-offer waits for
 * its answer, at the answer (TABLE_STREAM_REPLACED). */
static void replace_media(struct alg_table *t, struct table_binding *old, int deferred)
{
	if (deferred && !old->offered)
		old->stream |= TABLE_STREAM_REPLACED;
	else
		remove_binding(t, old);
}

/* deferred: the message is a re-offer in an answered call (see TABLE_STREAM_REPLACED). */
static void open_media(struct table_txn *x, struct table_dialog *d, uint8_t stream, uint8_t rtcp,
		       struct alg_endpoint priv, uint16_t pub, int deferred)
{
	struct alg_table *t = x->t;
	int di = dialog_index(t, d);
	struct table_binding *old = stream_binding(t, di, stream, rtcp, priv.ip), *b;
	int existed;

	if (old && old->priv.port != priv.port)
		replace_media(t, old, deferred); /* a re-offer moved the stream */
	existed = find_priv(t, priv) != NULL;
	b = bind(x, priv, pub, ALG_PORT_MEDIA, d->expires);
	if (!b)
		return;
	if (b->stream & TABLE_STREAM_REPLACED) /* offered back where it was */
		b->offered = 0;
	else if (!existed)
		b->offered = (uint8_t)deferred;
	b->dialog = di;
	b->stream = stream;
	b->rtcp = rtcp;
	if (stream < TABLE_MAX_STREAMS && b->peer != d->peer[stream]) {
		b->peer = d->peer[stream];
		report(t, b, TABLE_UPDATED);
	}
}

/* A stream offered without RTCP now (muxed, or T.38's udptl): its RTCP binding goes. */
static void drop_rtcp(struct alg_table *t, struct table_dialog *d, uint8_t stream, uint32_t ip, int deferred)
{
	struct table_binding *old = stream_binding(t, dialog_index(t, d), stream, 1, ip);

	if (old)
		replace_media(t, old, deferred);
}

/* The answer to a re-offer: a 2xx removes what it replaced; a failure removes what it
 * offered and gives the replaced bindings their streams back. */
static void settle_offer(struct alg_table *t, struct table_dialog *d, int accepted)
{
	int di = dialog_index(t, d);

	for (size_t i = 0; i < t->bind_top; i++) {
		struct table_binding *b = &t->bind[i];

		if (!b->in_use || b->kind != ALG_PORT_MEDIA || b->dialog != di)
			continue;
		if (accepted ? (b->stream & TABLE_STREAM_REPLACED) != 0 : b->offered) {
			remove_binding(t, b);
			continue;
		}
		b->offered = 0;
		b->stream &= (uint8_t)~TABLE_STREAM_REPLACED;
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

	if (peer == 0)
		return; /* c=0.0.0.0 (RFC 2543 hold) names nobody: it must not open the pinhole to all */
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

/* Live bindings of a kind, of one host (ip 0: any) and of one dialog (di -1: any). */
static uint32_t count_bindings(const struct alg_table *t, enum alg_port_kind kind, uint32_t ip, int di)
{
	uint32_t n = 0;

	if (!ip && di < 0)
		return t->n_bound[kind];
	for (size_t i = 0; i < t->bind_top; i++) {
		const struct table_binding *b = &t->bind[i];

		n += b->in_use && b->kind == kind && (!ip || b->priv.ip == ip) && (di < 0 || b->dialog == di);
	}
	return n;
}

static int over(uint32_t limit, uint32_t have, uint32_t adding)
{
	return limit && adding && have + adding > limit;
}

/* The endpoints a message would bind anew: signaling and media, each with its host. */
struct admission {
	size_t n;
	struct {
		struct alg_endpoint ep;
		enum alg_port_kind kind;
	} e[2 * ALG_MAX_ACTIONS];
};

static void admit_add(struct alg_table *t, struct admission *ad, struct alg_endpoint ep,
		      enum alg_port_kind kind)
{
	if (!ep.port || find_priv(t, ep))
		return;
	for (size_t i = 0; i < ad->n; i++)
		if (endpoint_eq(ad->e[i].ep, ep))
			return;
	ad->e[ad->n].ep = ep;
	ad->e[ad->n++].kind = kind;
}

static uint32_t admit_count(const struct admission *ad, enum alg_port_kind kind, uint32_t ip)
{
	uint32_t n = 0;

	for (size_t i = 0; i < ad->n; i++)
		n += ad->e[i].kind == kind && (!ip || ad->e[i].ep.ip == ip);
	return n;
}

enum alg_reason table_admit(struct table_txn *x, const struct alg_result *res, const char *msg)
{
	struct alg_table *t = x->t;
	const struct table_config *c = &t->cfg;
	struct table_dialog *d = NULL;
	struct admission ad = { 0 };
	uint32_t media;

	for (size_t i = 0; i < res->n_actions; i++) {
		const struct alg_action *a = &res->actions[i];

		if (a->kind == ALG_ACT_SIGNALING)
			admit_add(t, &ad, a->priv, ALG_PORT_SIGNALING);
		if (a->kind != ALG_ACT_MEDIA_OPEN)
			continue;
		admit_add(t, &ad, a->priv, ALG_PORT_MEDIA);
		admit_add(t, &ad, a->rtcp, ALG_PORT_MEDIA);
		if (!d) {
			d = find_dialog(t, msg, a->call_id, DIALOG_FIND);
			if (!d || !d->from_lan) { /* a new call from the LAN's point of view */
				uint32_t calls = 0;

				for (size_t k = 0; k < t->dialog_top; k++)
					calls += t->dialog[k].in_use && t->dialog[k].from_lan;
				if (over(c->max_calls, calls, 1))
					return ALG_LIMIT_DIALOGS;
			}
		}
	}
	if (ad.n && t->n_bound[ALG_PORT_SIGNALING] + t->n_bound[ALG_PORT_MEDIA] + ad.n > TABLE_MAX_BINDINGS)
		return ALG_TABLE_FULL; /* translated, it would announce bindings there is no room for */
	for (size_t i = 0; i < ad.n; i++) {
		uint32_t ip = ad.e[i].ep.ip;

		if (ad.e[i].kind == ALG_PORT_SIGNALING) {
			if (over(c->max_registrations_per_host, count_bindings(t, ALG_PORT_SIGNALING, ip, -1),
				 admit_count(&ad, ALG_PORT_SIGNALING, ip)))
				return ALG_LIMIT_REGISTRATIONS;
			continue;
		}
		media = admit_count(&ad, ALG_PORT_MEDIA, ip);
		if (over(c->max_pinholes_per_host, count_bindings(t, ALG_PORT_MEDIA, ip, -1), media))
			return ALG_LIMIT_HOST_PINHOLES;
		if (over(c->max_new_pinholes_per_second, new_this_second(t, ip, x->now), media))
			return ALG_LIMIT_PINHOLE_RATE;
	}
	media = admit_count(&ad, ALG_PORT_MEDIA, 0);
	if (over(c->max_pinholes_per_call,
		 d && d->from_lan ? count_bindings(t, ALG_PORT_MEDIA, 0, dialog_index(t, d)) : 0, media))
		return ALG_LIMIT_CALL_PINHOLES;
	if (over(c->max_pinholes, t->n_bound[ALG_PORT_MEDIA], media))
		return ALG_LIMIT_PINHOLES;
	return ALG_OK;
}

/* A REGISTER from a LAN phone: remember its translated contacts until the 2xx. */
static void note_register(struct table_txn *x, const struct alg_action *a, const char *msg)
{
	struct alg_table *t = x->t;
	uint64_t key = request_key(msg, a->call_id, a->cseq);
	struct table_pending *p = find_pending(t, key, x->now);

	if (!p) {
		if (t->pending_top < TABLE_MAX_PENDING) {
			p = &t->pending[t->pending_top++];
		} else {
			p = &t->pending[0];
			for (size_t i = 1; i < TABLE_MAX_PENDING && p->until > x->now; i++)
				if (t->pending[i].until < p->until)
					p = &t->pending[i];
		}
		memset(p, 0, sizeof(*p));
		p->key = key;
		p->aor = span_hash(msg, a->aor);
		p->ip = a->priv.ip;
		p->until = x->now + TABLE_PENDING_TTL;
	}
	if (p->ip != a->priv.ip)
		return;
	if (!a->priv.port) {
		p->star = 1;
		return;
	}
	for (size_t i = 0; i < p->n; i++)
		if (endpoint_eq(p->contact[i].priv, a->priv))
			return;
	if (p->n == TABLE_PENDING_CONTACTS)
		return;
	if (a->expires == 0)
		p->remove |= (uint8_t)(1u << p->n);
	p->written[p->n] = a->written_port;
	p->contact[p->n++] = (struct alg_binding){ a->priv, a->pub_port };
}

/* The REGISTER asked to remove priv's contact (expires 0, or Contact: *). */
static int asked_removal(const struct table_pending *p, struct alg_endpoint priv)
{
	if (p->star)
		return 1;
	for (size_t i = 0; i < p->n; i++)
		if (endpoint_eq(p->contact[i].priv, priv))
			return (p->remove >> i) & 1;
	return 0;
}

static void set_reg(struct alg_table *t, uint64_t aor, struct alg_endpoint priv, int64_t until,
		    int64_t now)
{
	struct table_reg *free_slot = NULL;

	for (size_t i = 0; i < t->reg_top; i++) {
		struct table_reg *r = &t->reg[i];

		if (r->aor == aor && r->expires > now && endpoint_eq(r->priv, priv)) {
			r->expires = until;
			return;
		}
		if (!free_slot && (!r->aor || r->expires <= now))
			free_slot = r;
	}
	if (!free_slot && t->reg_top < TABLE_MAX_REGS)
		free_slot = &t->reg[t->reg_top++];
	if (free_slot) /* else full: the binding is registered all the same, only not per AOR */
		*free_slot = (struct table_reg){ aor, priv, until };
}

/* The 2xx listed priv's contact with an expiry (the REGISTERED actions before this one). */
static int confirmed(const struct alg_result *res, struct alg_endpoint priv)
{
	for (size_t i = 0; i < res->n_actions; i++)
		if (res->actions[i].kind == ALG_ACT_REGISTERED && res->actions[i].expires &&
		    endpoint_eq(res->actions[i].priv, priv))
			return 1;
	return 0;
}

static void cool(struct alg_table *t, const struct table_binding *b, int64_t now)
{
	struct table_cooling *c = &t->cooling[0];

	if (t->n_cooling < TABLE_COOLING) {
		c = &t->cooling[t->n_cooling++];
	} else {
		for (size_t i = 1; i < TABLE_COOLING; i++)
			if (t->cooling[i].until < c->until)
				c = &t->cooling[i];
	}
	*c = (struct table_cooling){ { b->priv, b->pub_port }, now + TABLE_PORT_COOLDOWN };
}

/* priv is registered for no account any more: its binding goes, unless its phone is in a call
 * (requests of the call still come to it): then it lives by the signaling idle time. */
static void unregistered(struct alg_table *t, struct alg_endpoint priv, int64_t now)
{
	struct table_binding *b = find_priv(t, priv);

	if (!b || b->kind != ALG_PORT_SIGNALING)
		return;
	for (size_t i = 0; i < t->reg_top; i++)
		if (t->reg[i].aor && t->reg[i].expires > now && endpoint_eq(t->reg[i].priv, priv))
			return;
	for (size_t i = 0; i < t->bind_top; i++)
		if (t->bind[i].in_use && t->bind[i].kind == ALG_PORT_MEDIA && t->bind[i].priv.ip == priv.ip) {
			b->registered = 0;
			if (b->expires > now + t->cfg.signaling_idle)
				b->expires = now + t->cfg.signaling_idle;
			return;
		}
	cool(t, b, now);
	remove_binding(t, b);
}

/* The registrar answered a REGISTER with a 2xx, which lists every contact the address of
 * record keeps (RFC 3261 10.3 step 8): the phone's contacts of that AOR are now exactly those
 * listed with an expiry. Those it omits or lists with expires=0 are gone: an unregister
 * (Expires: 0, ;expires=0, Contact: *), or an old port of the phone after a reboot. A 2xx
 * that lists no contact at all (some registrars never do) ends only what the REGISTER asked
 * to end. It runs again on a retransmitted 2xx, to the same effect. */
static void end_register(struct table_txn *x, const struct alg_result *res, const char *msg,
			 const struct alg_action *a)
{
	struct alg_table *t = x->t;
	struct table_pending *p = find_pending(t, request_key(msg, a->call_id, a->cseq), x->now);

	if (!p)
		return;
	for (size_t i = 0; i < t->reg_top; i++) {
		struct table_reg *r = &t->reg[i];

		if (r->aor == p->aor && r->priv.ip == p->ip && !confirmed(res, r->priv) &&
		    (a->n_contacts || asked_removal(p, r->priv))) {
			r->aor = 0;
			unregistered(t, r->priv, x->now);
		}
	}
	for (size_t i = 0; i < p->n; i++)
		if (!confirmed(res, p->contact[i].priv) && (a->n_contacts || ((p->remove >> i) & 1)))
			unregistered(t, p->contact[i].priv, x->now);
}

void table_apply(struct table_txn *x, const struct alg_result *res, const char *msg)
{
	struct alg_table *t = x->t;
	int64_t now = x->now;

	for (size_t i = 0; i < res->n_actions; i++) {
		const struct alg_action *a = &res->actions[i];
		enum dialog_create create = a->kind == ALG_ACT_MEDIA_OPEN ? DIALOG_FROM_LAN :
					    a->kind == ALG_ACT_MEDIA_PEER ? DIALOG_FROM_WAN : DIALOG_FIND;
		struct table_dialog *d = NULL;
		struct table_binding *b;
		struct table_pending *p;

		if (a->kind != ALG_ACT_SIGNALING && a->kind != ALG_ACT_REGISTERED &&
		    a->kind != ALG_ACT_REGISTER && a->kind != ALG_ACT_REGISTER_END) {
			d = find_dialog(t, msg, a->call_id, create);
			if (!d)
				continue;
			if (create == DIALOG_FROM_LAN)
				d->from_lan = 1;
			if (!d->media_seen)
				d->media_seen = now;
			if (create != DIALOG_FIND || a->kind == ALG_ACT_ANSWERED)
				refresh_dialog(t, d, now + (d->from_lan ? t->cfg.dialog_idle : TABLE_UNCONFIRMED_IDLE));
		}
		switch (a->kind) {
		case ALG_ACT_SIGNALING:
			bind(x, a->priv, a->pub_port, ALG_PORT_SIGNALING, now + t->cfg.signaling_idle);
			break;
		case ALG_ACT_REGISTERED:
			/* The WAN side confirms a binding the phone's REGISTER made; it never makes one. */
			b = find_priv(t, a->priv);
			if (!b || b->kind != ALG_PORT_SIGNALING || b->pub_port != a->pub_port)
				break;
			p = find_pending(t, request_key(msg, a->call_id, a->cseq), now);
			if (a->expires == 0) {
				if (!p) /* else the 2xx's end decides, knowing all its contacts */
					remove_binding(t, b);
				break;
			}
			if (p)
				set_reg(t, p->aor, a->priv, now + a->expires + t->cfg.register_grace, now);
			extend(t, b, now + a->expires + t->cfg.register_grace);
			b->registered = 1;
			/* inbound_calls is about phones: a LAN server's own registration (a PBX's
			 * trunk) leaves it open to whom the owner forwards to it. */
			if (t->cfg.inbound_calls == INBOUND_REGISTRAR && b->peer != a->from &&
			    !(x->cfg && alg_is_lan_server(x->cfg, a->priv.ip))) {
				b->peer = a->from;
				report(t, b, TABLE_UPDATED);
			}
			break;
		case ALG_ACT_MEDIA_OPEN:
			open_media(x, d, a->stream, 0, a->priv, a->pub_port, a->offer && d->answered);
			if (a->rtcp.port)
				open_media(x, d, a->stream, 1, a->rtcp, a->rtcp_pub_port, a->offer && d->answered);
			else
				drop_rtcp(t, d, a->stream, a->priv.ip, a->offer && d->answered);
			break;
		case ALG_ACT_MEDIA_PEER:
			note_peer(t, d, a->stream, a->priv.ip);
			break;
		case ALG_ACT_REGISTER:
			note_register(x, a, msg);
			break;
		case ALG_ACT_REGISTER_END:
			end_register(x, res, msg, a);
			break;
		case ALG_ACT_ANSWERED:
			if (!d->answered)
				d->media_seen = now; /* media is due from now on */
			d->answered = 1;
			settle_offer(t, d, 1);
			break;
		case ALG_ACT_MEDIA_CLOSE:
			/* A failed re-INVITE leaves an answered call as it was (RFC 3261 14.1). */
			if (a->status == 0 || !d->answered)
				end_dialog(t, d);
			else
				settle_offer(t, d, 0);
			break;
		}
	}
}

/* A call whose messages a LAN server sends or receives is that server's (status shows it). */
static void note_server(struct alg_table *t, const struct alg_config *cfg, const struct alg_packet *pkt,
			const struct alg_result *res)
{
	uint32_t server = pkt->dir == ALG_OUT ? pkt->src.ip : pkt->dst.ip;
	struct table_dialog *d;

	if (!cfg->n_lan_servers || !alg_is_lan_server(cfg, server))
		return;
	for (size_t i = 0; i < res->n_actions; i++) {
		enum alg_action_kind k = res->actions[i].kind;

		if (k != ALG_ACT_MEDIA_OPEN && k != ALG_ACT_MEDIA_PEER && k != ALG_ACT_ANSWERED)
			continue;
		d = find_dialog(t, pkt->msg, res->actions[i].call_id, DIALOG_FIND);
		if (d)
			d->server = server;
		return;
	}
}

void table_translate(struct table_txn *x, struct alg_table *t, const struct alg_config *cfg,
		     const struct alg_packet *pkt, int64_t now, char *out, size_t out_cap,
		     struct alg_result *res)
{
	struct alg_config c = *cfg;

	table_begin(x, t, now);
	x->cfg = cfg;
	c.nat = table_nat(x);
	alg_translate(&c, pkt, out, out_cap, res);
	if (res->reason == ALG_OK)
		res->reason = table_admit(x, res, pkt->msg);
	if (res->reason == ALG_OK) {
		table_apply(x, res, pkt->msg);
		note_server(t, cfg, pkt, res);
	}
}

int table_find_public(const struct alg_table *t, uint16_t pub, uint32_t from, struct alg_endpoint *priv)
{
	/* find_pub only reads; it is not const because the message path edits what it finds. */
	const struct table_binding *b = find_pub((struct alg_table *)t, pub);

	if (!b || b->kind != ALG_PORT_SIGNALING)
		return -1;
	if (b->peer && b->peer != from)
		return -2; /* inbound_calls 'registrar': as the binding's DNAT element, from it only */
	*priv = b->priv;
	return 0;
}

void table_commit(struct table_txn *x)
{
	x->n_added = 0;
}

void table_undo(struct table_txn *x)
{
	struct alg_table *t = x->t;

	for (size_t i = 0; i < x->n_added; i++)
		if (t->bind[x->added[i]].in_use)
			remove_binding(t, &t->bind[x->added[i]]);
	x->n_added = 0;
}

const struct table_binding *table_binding_at(const struct alg_table *t, size_t *slot)
{
	for (size_t i = *slot; i < t->bind_top; i++)
		if (t->bind[i].in_use) {
			*slot = i;
			return &t->bind[i];
		}
	return NULL;
}

const struct table_dialog *table_dialog_at(const struct alg_table *t, size_t *id)
{
	for (size_t i = *id; i < t->dialog_top; i++)
		if (t->dialog[i].in_use) {
			*id = i;
			return &t->dialog[i];
		}
	return NULL;
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
