/* SPDX-License-Identifier: GPL-2.0-or-later */
/* table.c: bindings, registrations and dialogs of the ALG (see table.h). Arrays of the
 * capacities the caller chose, with hash indexes (private endpoint, LAN host, Call-ID,
 * registrations, pending REGISTERs) and a direct one for public ports, so that a message
 * costs the same with ten phones as with a hundred thousand. */
#include "table.h"

#include <string.h>

static uint32_t pow2(uint32_t n)
{
	uint32_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

/* The arrays of a table of capacity cap, in that order from base (NULL: only the size). */
static size_t lay_out(struct alg_table *t, const struct table_capacity *cap, unsigned char *base)
{
	uint32_t b = cap->bindings, d = cap->dialogs, r = TABLE_REGS_OF(b), p = TABLE_PENDING_OF(b);
	uint32_t bw = (b + 63) / 64, dw = (d + 63) / 64;
	size_t off = 0;
	struct {
		void **at;
		size_t bytes;
	} a[] = {
		{ t ? (void **)&t->bind : NULL, (size_t)b * sizeof(struct table_binding) },
		{ t ? (void **)&t->dialog : NULL, (size_t)d * sizeof(struct table_dialog) },
		{ t ? (void **)&t->reg : NULL, (size_t)r * sizeof(struct table_reg) },
		{ t ? (void **)&t->pending : NULL, (size_t)p * sizeof(struct table_pending) },
		{ t ? (void **)&t->host : NULL, (size_t)b * sizeof(struct table_host) },
		{ t ? (void **)&t->priv_head : NULL, (size_t)pow2(b) * sizeof(uint32_t) },
		{ t ? (void **)&t->host_head : NULL, (size_t)pow2(b) * sizeof(uint32_t) },
		{ t ? (void **)&t->call_head : NULL, (size_t)pow2(d) * sizeof(uint32_t) },
		{ t ? (void **)&t->reg_priv_head : NULL, (size_t)pow2(r) * sizeof(uint32_t) },
		{ t ? (void **)&t->reg_aor_head : NULL, (size_t)pow2(r) * sizeof(uint32_t) },
		{ t ? (void **)&t->pending_head : NULL, (size_t)pow2(p) * sizeof(uint32_t) },
		{ t ? (void **)&t->pub_slot : NULL, TABLE_PORTS * sizeof(uint32_t) },
		{ t ? (void **)&t->pub_taken : NULL, TABLE_PORTS / 8 },
		{ t ? (void **)&t->bind_slots.used : NULL, (size_t)bw * 8 },
		{ t ? (void **)&t->bind_slots.full : NULL, (size_t)(bw + 63) / 64 * 8 },
		{ t ? (void **)&t->dialog_slots.used : NULL, (size_t)dw * 8 },
		{ t ? (void **)&t->dialog_slots.full : NULL, (size_t)(dw + 63) / 64 * 8 },
		{ t ? (void **)&t->scratch : NULL, (size_t)d * sizeof(int32_t) },
	};

	for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++) {
		if (t)
			*a[i].at = base + off;
		off += (a[i].bytes + 7) & ~(size_t)7;
	}
	if (t) {
		t->cap = *cap;
		t->cap_regs = r;
		t->cap_pending = p;
		t->priv_mask = t->host_mask = pow2(b) - 1;
		t->call_mask = pow2(d) - 1;
		t->reg_mask = pow2(r) - 1;
		t->pending_mask = pow2(p) - 1;
		t->bind_slots.n = b;
		t->dialog_slots.n = d;
	}
	return off;
}

size_t table_memory_size(const struct table_capacity *cap)
{
	return lay_out(NULL, cap, NULL);
}

/* The bits past the last slot count as taken. */
static void slots_init(struct table_slots *s)
{
	if (s->n % 64)
		s->used[s->n / 64] = ~0ull << (s->n % 64);
}

static void slots_set(struct table_slots *s, size_t i, int taken)
{
	size_t w = i / 64;

	if (taken) {
		s->used[w] |= 1ull << (i % 64);
		if (s->used[w] == ~0ull)
			s->full[w / 64] |= 1ull << (w % 64);
	} else {
		s->used[w] &= ~(1ull << (i % 64));
		s->full[w / 64] &= ~(1ull << (w % 64));
	}
}

/* The lowest free slot, or s->n. */
static size_t slots_first_free(const struct table_slots *s)
{
	size_t words = (s->n + 63) / 64;

	for (size_t f = 0; f < (words + 63) / 64; f++) {
		uint64_t open = ~s->full[f];
		size_t w;

		if (!open)
			continue;
		w = f * 64 + (size_t)__builtin_ctzll(open);
		if (w >= words)
			return s->n;
		return w * 64 + (size_t)__builtin_ctzll(~s->used[w]);
	}
	return s->n;
}

int table_init_sized(struct alg_table *t, const struct table_config *cfg, const struct table_capacity *cap,
		     void *mem, size_t mem_len, const struct siphash_key *key, table_change_fn *fn, void *ctx)
{
	if (cap->bindings < 64 || cap->bindings > TABLE_CAPACITY_BINDINGS_MAX || cap->dialogs < 64 ||
	    cap->dialogs > TABLE_CAPACITY_DIALOGS_MAX || !mem || mem_len < table_memory_size(cap))
		return -1;
	memset(t, 0, offsetof(struct alg_table, builtin));
	lay_out(t, cap, mem);
	slots_init(&t->bind_slots);
	slots_init(&t->dialog_slots);
	t->cfg = *cfg;
	t->on_change = fn;
	t->ctx = ctx;
	t->key = *key;
	return 0;
}

void table_init(struct alg_table *t, const struct table_config *cfg, table_change_fn *fn, void *ctx)
{
	static const struct table_capacity cap = { TABLE_MAX_BINDINGS, TABLE_MAX_DIALOGS };
	static const struct siphash_key key = { 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull };

	memset(t->builtin, 0, sizeof(t->builtin));
	table_init_sized(t, cfg, &cap, t->builtin, sizeof(t->builtin), &key, fn, ctx);
}

/* ---- the indexes ---- */

static uint32_t hash_bytes(const struct alg_table *t, const void *p, size_t n)
{
	return (uint32_t)siphash24(&t->key, p, n);
}

static uint32_t hash_endpoint(const struct alg_table *t, struct alg_endpoint e)
{
	const uint8_t k[6] = { (uint8_t)(e.ip >> 24), (uint8_t)(e.ip >> 16), (uint8_t)(e.ip >> 8), (uint8_t)e.ip,
			       (uint8_t)(e.port >> 8), (uint8_t)e.port };

	return hash_bytes(t, k, sizeof(k));
}

static uint32_t hash_ip(const struct alg_table *t, uint32_t ip)
{
	const uint8_t k[4] = { (uint8_t)(ip >> 24), (uint8_t)(ip >> 16), (uint8_t)(ip >> 8), (uint8_t)ip };

	return hash_bytes(t, k, sizeof(k));
}

static uint32_t hash_u64(const struct alg_table *t, uint64_t v)
{
	uint8_t k[8];

	for (int i = 0; i < 8; i++)
		k[i] = (uint8_t)(v >> (8 * i));
	return hash_bytes(t, k, sizeof(k));
}

/* A Call-ID by the bytes a dialog keeps of it, and its whole length. */
static uint32_t hash_call_id(const struct alg_table *t, const char *id, uint32_t len)
{
	uint32_t n = len < TABLE_CALL_ID_MAX ? len : TABLE_CALL_ID_MAX;

	return hash_bytes(t, id, n) ^ (len * 0x9e3779b9u);
}

/* A private endpoint's (host 0) or a LAN host's (host 1) hash, through t->hashed. */
static uint32_t hashed_key(struct alg_table *t, uint32_t ip, uint16_t port, int host)
{
	struct table_hashed *c = &t->hashed;
	uint64_t key = (uint64_t)ip << 32 | (uint32_t)port << 1 | (uint32_t)host;
	uint32_t h;
	unsigned i;

	for (i = 0; i < c->n; i++)
		if (c->key[i] == key)
			return c->hash[i];
	h = host ? hash_ip(t, ip) : hash_endpoint(t, (struct alg_endpoint){ ip, port });
	if (c->n < TABLE_HASHED) {
		i = c->n++;
	} else {
		i = c->next;
		c->next = (c->next + 1) % TABLE_HASHED;
	}
	c->key[i] = key;
	c->hash[i] = h;
	return h;
}

static uint32_t hashed_endpoint(struct alg_table *t, struct alg_endpoint e)
{
	return hashed_key(t, e.ip, e.port, 0);
}

static uint32_t hashed_ip(struct alg_table *t, uint32_t ip)
{
	return hashed_key(t, ip, 0, 1);
}

static uint32_t hashed_call_id(struct alg_table *t, const char *id, uint32_t len)
{
	struct table_hashed *c = &t->hashed;
	uint32_t n = len < TABLE_CALL_ID_MAX ? len : TABLE_CALL_ID_MAX;

	if (c->has_call_id && c->call_id_len == len && memcmp(c->call_id, id, n) == 0)
		return c->call_id_hash;
	c->has_call_id = 1;
	c->call_id_len = len;
	memcpy(c->call_id, id, n);
	c->call_id_hash = hash_call_id(t, id, len);
	return c->call_id_hash;
}

/* Removes slot + 1 `item` from the chain at *head, whose links next_of gives. */
#define CHAIN_REMOVE(head, item, link_of)                                                          \
	do {                                                                                       \
		uint32_t *at_ = (head);                                                            \
		while (*at_ && *at_ != (item))                                                     \
			at_ = &(link_of(*at_));                                                    \
		if (*at_)                                                                          \
			*at_ = link_of(item);                                                      \
	} while (0)

#define BIND_NEXT_PRIV(s) (t->bind[(s) - 1].next_priv)
#define BIND_NEXT_IN_DIALOG(s) (t->bind[(s) - 1].next_in_dialog)
#define DIALOG_NEXT(s) (t->dialog[(s) - 1].next_call_id)
#define REG_NEXT_PRIV(s) (t->reg[(s) - 1].next_priv)
#define REG_NEXT_AOR(s) (t->reg[(s) - 1].next_aor)
#define HOST_NEXT(s) (t->host[(s) - 1].next)
#define PENDING_NEXT(s) (t->pending[(s) - 1].next)

static struct table_host *host_of(struct alg_table *t, uint32_t ip, int create)
{
	uint32_t *head = &t->host_head[hashed_ip(t, ip) & t->host_mask], h;

	for (h = *head; h; h = t->host[h - 1].next)
		if (t->host[h - 1].ip == ip)
			return &t->host[h - 1];
	if (!create)
		return NULL;
	if (t->host_free) {
		h = t->host_free;
		t->host_free = t->host[h - 1].next;
	} else {
		h = ++t->host_top; /* a host per binding at most: never past the capacity */
	}
	t->host[h - 1] = (struct table_host){ ip, { 0, 0 }, *head };
	*head = h;
	return &t->host[h - 1];
}

static void host_count(struct alg_table *t, uint32_t ip, enum alg_port_kind kind, int add)
{
	struct table_host *h = host_of(t, ip, add);
	uint32_t slot;

	if (!h)
		return;
	if (add) {
		h->n[kind]++;
		return;
	}
	h->n[kind]--;
	if (h->n[0] || h->n[1])
		return;
	slot = (uint32_t)(h - t->host) + 1;
	CHAIN_REMOVE(&t->host_head[hashed_ip(t, ip) & t->host_mask], slot, HOST_NEXT);
	h->next = t->host_free;
	t->host_free = slot;
}

static uint32_t host_bindings(struct alg_table *t, uint32_t ip, enum alg_port_kind kind)
{
	const struct table_host *h = host_of(t, ip, 0);

	return h ? h->n[kind] : 0;
}

/* Binding slot `slot`, just filled, joins the indexes and the counts. */
static void link_binding(struct alg_table *t, size_t slot)
{
	struct table_binding *b = &t->bind[slot];
	uint32_t *head = &t->priv_head[hashed_endpoint(t, b->priv) & t->priv_mask];

	b->next_priv = *head;
	*head = (uint32_t)slot + 1;
	t->pub_slot[b->pub_port] = (uint32_t)slot + 1;
	t->pub_taken[b->pub_port / 64] |= 1ull << (b->pub_port % 64);
	slots_set(&t->bind_slots, slot, 1);
	if (slot >= t->bind_top)
		t->bind_top = slot + 1;
	t->n_bound[b->kind]++;
	host_count(t, b->priv.ip, b->kind, 1);
}

static void dialog_unlink_binding(struct alg_table *t, struct table_binding *b)
{
	if (b->dialog >= 0 && (size_t)b->dialog < t->cap.dialogs)
		CHAIN_REMOVE(&t->dialog[b->dialog].first_binding, (uint32_t)(b - t->bind) + 1, BIND_NEXT_IN_DIALOG);
	b->next_in_dialog = 0;
}

/* b now belongs to dialog di (its media list). */
static void set_binding_dialog(struct alg_table *t, struct table_binding *b, int di)
{
	dialog_unlink_binding(t, b);
	b->dialog = di;
	b->next_in_dialog = t->dialog[di].first_binding;
	t->dialog[di].first_binding = (uint32_t)(b - t->bind) + 1;
}

static void unlink_binding(struct alg_table *t, struct table_binding *b)
{
	uint32_t slot = (uint32_t)(b - t->bind) + 1;

	CHAIN_REMOVE(&t->priv_head[hashed_endpoint(t, b->priv) & t->priv_mask], slot, BIND_NEXT_PRIV);
	dialog_unlink_binding(t, b);
	t->pub_slot[b->pub_port] = 0;
	t->pub_taken[b->pub_port / 64] &= ~(1ull << (b->pub_port % 64));
	slots_set(&t->bind_slots, slot - 1, 0);
	t->n_bound[b->kind]--;
	host_count(t, b->priv.ip, b->kind, 0);
}

static void link_dialog(struct alg_table *t, size_t slot)
{
	struct table_dialog *d = &t->dialog[slot];
	uint32_t *head = &t->call_head[hashed_call_id(t, d->call_id, d->call_id_len) & t->call_mask];

	d->next_call_id = *head;
	*head = (uint32_t)slot + 1;
	slots_set(&t->dialog_slots, slot, 1);
	if (slot >= t->dialog_top)
		t->dialog_top = slot + 1;
	t->n_lan_calls += d->from_lan != 0;
}

/* Dialog d leaves the indexes; its bindings leave its list. */
static void unlink_dialog(struct alg_table *t, struct table_dialog *d)
{
	uint32_t slot = (uint32_t)(d - t->dialog) + 1;

	CHAIN_REMOVE(&t->call_head[hashed_call_id(t, d->call_id, d->call_id_len) & t->call_mask], slot, DIALOG_NEXT);
	slots_set(&t->dialog_slots, slot - 1, 0);
	t->n_lan_calls -= d->from_lan != 0;
	while (d->first_binding) {
		struct table_binding *b = &t->bind[d->first_binding - 1];

		d->first_binding = b->next_in_dialog;
		b->next_in_dialog = 0;
	}
}

static const struct table_binding *find_private_hashed(const struct alg_table *t, struct alg_endpoint priv,
							uint32_t hash)
{
	for (uint32_t s = t->priv_head[hash & t->priv_mask]; s; s = t->bind[s - 1].next_priv)
		if (endpoint_eq(t->bind[s - 1].priv, priv))
			return &t->bind[s - 1];
	return NULL;
}

const struct table_binding *table_find_private(const struct alg_table *t, struct alg_endpoint priv)
{
	return find_private_hashed(t, priv, hash_endpoint(t, priv));
}

static const struct table_dialog *find_call_id_hashed(const struct alg_table *t, const char *id, uint32_t len,
						      uint32_t hash)
{
	uint32_t n = len < TABLE_CALL_ID_MAX ? len : TABLE_CALL_ID_MAX;

	for (uint32_t s = t->call_head[hash & t->call_mask]; s; s = t->dialog[s - 1].next_call_id)
		if (t->dialog[s - 1].call_id_len == len && memcmp(t->dialog[s - 1].call_id, id, n) == 0)
			return &t->dialog[s - 1];
	return NULL;
}

const struct table_dialog *table_find_call_id(const struct alg_table *t, const char *id, uint32_t len)
{
	return find_call_id_hashed(t, id, len, hash_call_id(t, id, len));
}

void table_place_binding(struct alg_table *t, size_t slot)
{
	struct table_binding *b = &t->bind[slot];
	int di = b->dialog;

	link_binding(t, slot);
	b->dialog = -1;
	b->next_in_dialog = 0;
	if (di >= 0)
		set_binding_dialog(t, b, di);
	t->next_expiry = 0;
}

void table_place_dialog(struct alg_table *t, size_t slot)
{
	t->dialog[slot].first_binding = 0;
	link_dialog(t, slot);
	t->next_expiry = 0;
}

/* What an empty table holds: nothing in any slot or index. */
void table_empty(struct alg_table *t)
{
	memset(t->bind, 0, t->bind_top * sizeof(t->bind[0]));
	memset(t->dialog, 0, t->dialog_top * sizeof(t->dialog[0]));
	memset(t->reg, 0, t->reg_top * sizeof(t->reg[0]));
	memset(t->pending, 0, t->pending_top * sizeof(t->pending[0]));
	memset(t->host, 0, t->host_top * sizeof(t->host[0]));
	memset(t->priv_head, 0, ((size_t)t->priv_mask + 1) * sizeof(uint32_t));
	memset(t->host_head, 0, ((size_t)t->host_mask + 1) * sizeof(uint32_t));
	memset(t->call_head, 0, ((size_t)t->call_mask + 1) * sizeof(uint32_t));
	memset(t->reg_priv_head, 0, ((size_t)t->reg_mask + 1) * sizeof(uint32_t));
	memset(t->reg_aor_head, 0, ((size_t)t->reg_mask + 1) * sizeof(uint32_t));
	memset(t->pending_head, 0, ((size_t)t->pending_mask + 1) * sizeof(uint32_t));
	memset(t->pub_slot, 0, TABLE_PORTS * sizeof(uint32_t));
	memset(t->pub_taken, 0, TABLE_PORTS / 8);
	memset(t->bind_slots.used, 0, (t->bind_slots.n + 63) / 64 * 8);
	memset(t->bind_slots.full, 0, ((t->bind_slots.n + 63) / 64 + 63) / 64 * 8);
	memset(t->dialog_slots.used, 0, (t->dialog_slots.n + 63) / 64 * 8);
	memset(t->dialog_slots.full, 0, ((t->dialog_slots.n + 63) / 64 + 63) / 64 * 8);
	slots_init(&t->bind_slots);
	slots_init(&t->dialog_slots);
	t->bind_top = t->dialog_top = t->reg_top = t->pending_top = 0;
	t->host_top = t->host_free = t->reg_free = 0;
	t->n_bound[ALG_PORT_SIGNALING] = t->n_bound[ALG_PORT_MEDIA] = 0;
	t->n_lan_calls = 0;
	t->next_expiry = 0;
}

/* ---- expiry: table_expire scans only when something may be due ---- */

/* Something now ends at `when`, earlier than before. */
static void expiry_lowered(struct alg_table *t, int64_t when)
{
	if (t->next_expiry && when < t->next_expiry)
		t->next_expiry = when;
}

/* Something that ended at `was` ends later, or is gone: if it was the earliest, the next
 * scan finds the new earliest. */
static void expiry_raised(struct alg_table *t, int64_t was)
{
	if (was <= t->next_expiry)
		t->next_expiry = 0;
}

/* When dialog d ends unless refreshed: its expiry, or its media timeout once answered. */
static int64_t dialog_end(const struct alg_table *t, const struct table_dialog *d)
{
	int64_t end = d->expires;

	if (d->answered && t->cfg.media_timeout && d->media_seen + t->cfg.media_timeout < end)
		end = d->media_seen + t->cfg.media_timeout;
	return end;
}

static void dialog_end_moved(struct alg_table *t, int64_t was, int64_t now_end)
{
	if (now_end < was)
		expiry_lowered(t, now_end);
	else if (now_end > was)
		expiry_raised(t, was);
}

void table_set_config(struct alg_table *t, const struct table_config *cfg)
{
	t->cfg = *cfg;
	t->next_expiry = 0; /* media_timeout may have changed */
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
	return (struct table_binding *)find_private_hashed(t, priv, hashed_endpoint(t, priv));
}

static struct table_binding *find_pub(struct alg_table *t, uint16_t pub)
{
	return t->pub_slot[pub] ? &t->bind[t->pub_slot[pub] - 1] : NULL;
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
	/* Else the lowest even port of the range with its odd neighbour free (RFC 3550 pairs).
	 * Words of 64 ports where no binding leaves a pair free are skipped whole. */
	for (uint32_t p = c->media_port_min + (c->media_port_min & 1); p + 1 <= c->media_port_max; p += 2) {
		uint64_t open = ~x->t->pub_taken[p / 64];

		open &= (open >> 1) & 0x5555555555555555ull; /* bit k (even): ports k and k + 1 free */
		open &= ~0ull << (p % 64);
		if (!open) {
			p = (p / 64 + 1) * 64 - 2;
			continue;
		}
		p = p / 64 * 64 + (uint32_t)__builtin_ctzll(open);
		if (p + 1 > c->media_port_max)
			break;
		if (!port_taken(x, (uint16_t)p) && !port_taken(x, (uint16_t)(p + 1)) &&
		    !withheld(x, (uint16_t)p, priv) && !withheld(x, (uint16_t)(p + 1), priv))
			return (uint16_t)p;
	}
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
	for (uint32_t s = t->pending_head[hash_u64(t, key) & t->pending_mask]; s; s = t->pending[s - 1].next)
		if (t->pending[s - 1].key == key && t->pending[s - 1].until > now)
			return &t->pending[s - 1];
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

static int nat_signaling_public(void *ctx, struct alg_endpoint priv, uint16_t *pub)
{
	struct table_txn *x = ctx;
	struct table_binding *b = find_priv(x->t, priv);

	if (!b || b->kind != ALG_PORT_SIGNALING)
		return -1;
	*pub = b->pub_port;
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
	t->hashed.n = t->hashed.next = 0;
	t->hashed.has_call_id = 0;
	x->cfg = NULL;
	x->now = now;
	x->n_proposed = 0;
	x->n_added = 0;
}

struct alg_nat table_nat(struct table_txn *x)
{
	return (struct alg_nat){ .public_port = nat_public_port, .private_endpoint = nat_private_endpoint,
				 .request_contact = nat_request_contact, .media_private = nat_media_private,
				 .signaling_public = nat_signaling_public, .ctx = x };
}

/* Registration r (slot + 1) ends: out of both indexes, into the free list. */
static void reg_free(struct alg_table *t, uint32_t r)
{
	struct table_reg *g = &t->reg[r - 1];

	CHAIN_REMOVE(&t->reg_priv_head[hashed_endpoint(t, g->priv) & t->reg_mask], r, REG_NEXT_PRIV);
	CHAIN_REMOVE(&t->reg_aor_head[hash_u64(t, g->aor) & t->reg_mask], r, REG_NEXT_AOR);
	g->aor = 0;
	g->next_aor = 0;
	g->next_priv = t->reg_free;
	t->reg_free = r;
}

static void remove_binding(struct alg_table *t, struct table_binding *b)
{
	if (b->kind == ALG_PORT_SIGNALING) { /* its registrations go with it */
		uint32_t *head = &t->reg_priv_head[hashed_endpoint(t, b->priv) & t->reg_mask];

		for (uint32_t r = *head, next; r; r = next) {
			next = t->reg[r - 1].next_priv;
			if (endpoint_eq(t->reg[r - 1].priv, b->priv))
				reg_free(t, r);
		}
	}
	report(t, b, TABLE_REMOVED);
	unlink_binding(t, b);
	b->in_use = 0;
	expiry_raised(t, b->expires);
}

/* Gives b at least `until`. */
static void extend(struct alg_table *t, struct table_binding *b, int64_t until)
{
	if (until <= b->expires)
		return;
	expiry_raised(t, b->expires);
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
	size_t i = slots_first_free(&t->bind_slots);

	if (i == t->cap.bindings || find_pub(t, pub))
		return NULL; /* full: table_admit keeps messages that need more from being translated */
	b = &t->bind[i];
	memset(b, 0, sizeof(*b));
	b->in_use = 1;
	b->kind = kind;
	b->priv = priv;
	b->pub_port = pub;
	b->dialog = -1;
	b->expires = until;
	link_binding(t, i);
	expiry_lowered(t, until);
	if (kind == ALG_PORT_MEDIA)
		count_new_pinhole(t, priv.ip, x->now);
	if (x->n_added < TABLE_MAX_ADDED)
		x->added[x->n_added++] = (uint32_t)i;
	report(t, b, TABLE_ADDED);
	return b;
}

enum dialog_create { DIALOG_FIND, DIALOG_FROM_LAN, DIALOG_FROM_WAN };

/* A slot for a new dialog: a free one, else the one the WAN side spoke of longest ago (it
 * holds no pinhole), so that strangers' INVITEs cannot crowd out the LAN's calls. */
static struct table_dialog *dialog_slot(struct alg_table *t)
{
	struct table_dialog *oldest = NULL;
	size_t i = slots_first_free(&t->dialog_slots);

	if (i < t->cap.dialogs)
		return &t->dialog[i];
	/* Full: a scan, which only a table full of calls pays. */
	for (i = 0; i < t->dialog_top; i++)
		if (!t->dialog[i].from_lan && (!oldest || t->dialog[i].expires < oldest->expires))
			oldest = &t->dialog[i];
	if (oldest) {
		unlink_dialog(t, oldest);
		expiry_raised(t, dialog_end(t, oldest));
	}
	return oldest;
}

static struct table_dialog *find_dialog(struct alg_table *t, const char *msg, struct alg_span id,
					enum dialog_create create)
{
	uint32_t n = id.len < TABLE_CALL_ID_MAX ? id.len : TABLE_CALL_ID_MAX;
	struct table_dialog *d = (struct table_dialog *)find_call_id_hashed(
		t, msg + id.off, id.len, hashed_call_id(t, msg + id.off, id.len));

	if (d || create == DIALOG_FIND)
		return d;
	d = dialog_slot(t);
	if (!d)
		return NULL;
	memset(d, 0, sizeof(*d));
	d->in_use = 1;
	d->call_id_len = id.len;
	memcpy(d->call_id, msg + id.off, n);
	link_dialog(t, (size_t)(d - t->dialog));
	return d;
}

static int dialog_index(const struct alg_table *t, const struct table_dialog *d)
{
	return (int)(d - t->dialog);
}

/* The media bindings of dialog d: s is slot + 1, next taken first (the body may remove b). */
#define for_each_dialog_binding(t, d, s, next, b)                                                  \
	for (uint32_t s = (d)->first_binding, next; s && ((b) = &(t)->bind[s - 1], next = (b)->next_in_dialog, 1); \
	     s = next)

static void end_dialog(struct alg_table *t, struct table_dialog *d)
{
	struct table_binding *b;

	expiry_raised(t, dialog_end(t, d));
	for_each_dialog_binding(t, d, s, next, b)
		if (b->kind == ALG_PORT_MEDIA)
			remove_binding(t, b);
	unlink_dialog(t, d);
	d->in_use = 0;
}

/* The media binding (rtcp half or not) of the stream that phone `ip` announced in dialog di.
 * Keyed by phone too: when both ends of a call are behind the ALG, the proxy's two legs
 * share one Call-ID and each phone announces its own stream 0. */
static struct table_binding *stream_binding(struct alg_table *t, int di, uint8_t stream, uint8_t rtcp,
					    uint32_t ip)
{
	struct table_binding *b;

	for_each_dialog_binding(t, &t->dialog[di], s, next, b)
		if (b->kind == ALG_PORT_MEDIA && b->stream == stream && b->rtcp == rtcp && b->priv.ip == ip)
			return b;
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
	set_binding_dialog(t, b, di);
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
	struct table_binding *b;

	for_each_dialog_binding(t, d, s, next, b) {
		if (b->kind != ALG_PORT_MEDIA)
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
	int64_t was = d->expires ? dialog_end(t, d) : INT64_MAX; /* 0: new, no end yet */
	struct table_binding *b;

	d->expires = until;
	dialog_end_moved(t, was, dialog_end(t, d));
	for_each_dialog_binding(t, d, s, next, b)
		if (b->kind == ALG_PORT_MEDIA)
			extend(t, b, until);
}

static void note_peer(struct alg_table *t, struct table_dialog *d, uint8_t stream, uint32_t peer)
{
	struct table_binding *b;

	if (peer == 0)
		return; /* c=0.0.0.0 (RFC 2543 hold) names nobody: it must not open the pinhole to all */
	if (peer == t->self_ip)
		peer = 0;
	if (stream >= TABLE_MAX_STREAMS || d->peer[stream] == peer)
		return;
	d->peer[stream] = peer;
	for_each_dialog_binding(t, d, s, next, b)
		if (b->kind == ALG_PORT_MEDIA && b->stream == stream) {
			b->peer = peer;
			report(t, b, TABLE_UPDATED);
		}
}

/* Live bindings of a kind, of one host (ip 0: any) and of one dialog (di -1: any). */
static uint32_t count_bindings(struct alg_table *t, enum alg_port_kind kind, uint32_t ip, int di)
{
	const struct table_binding *b;
	uint32_t n = 0;

	if (di < 0)
		return ip ? host_bindings(t, ip, kind) : t->n_bound[kind];
	for_each_dialog_binding(t, &t->dialog[di], s, next, b)
		n += b->kind == kind && (!ip || b->priv.ip == ip);
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
				if (over(c->max_calls, t->n_lan_calls, 1))
					return ALG_LIMIT_DIALOGS;
				if (t->n_lan_calls + 1 > t->cap.dialogs)
					return ALG_TABLE_FULL; /* max_calls above what the table holds */
			}
		}
	}
	if (ad.n && t->n_bound[ALG_PORT_SIGNALING] + t->n_bound[ALG_PORT_MEDIA] + ad.n > t->cap.bindings)
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
		uint32_t *head;

		if (t->pending_top < t->cap_pending) {
			p = &t->pending[t->pending_top++];
		} else {
			p = &t->pending[0];
			for (size_t i = 1; i < t->cap_pending && p->until > x->now; i++)
				if (t->pending[i].until < p->until)
					p = &t->pending[i];
			CHAIN_REMOVE(&t->pending_head[hash_u64(t, p->key) & t->pending_mask],
				     (uint32_t)(p - t->pending) + 1, PENDING_NEXT);
		}
		memset(p, 0, sizeof(*p));
		p->key = key;
		head = &t->pending_head[hash_u64(t, key) & t->pending_mask];
		p->next = *head;
		*head = (uint32_t)(p - t->pending) + 1;
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
	uint32_t *priv_head = &t->reg_priv_head[hashed_endpoint(t, priv) & t->reg_mask];
	uint32_t *aor_head = &t->reg_aor_head[hash_u64(t, aor) & t->reg_mask];
	uint32_t r;

	for (r = *priv_head; r; r = t->reg[r - 1].next_priv)
		if (t->reg[r - 1].aor == aor && t->reg[r - 1].expires > now && endpoint_eq(t->reg[r - 1].priv, priv)) {
			t->reg[r - 1].expires = until;
			return;
		}
	if (t->reg_free) {
		r = t->reg_free;
		t->reg_free = t->reg[r - 1].next_priv;
	} else if (t->reg_top < t->cap_regs) {
		r = (uint32_t)++t->reg_top;
	} else { /* full: one that has expired gives way (a scan, paid only when full) */
		for (r = 1; r <= t->reg_top && !(t->reg[r - 1].expires <= now); r++)
			;
		if (r > t->reg_top)
			return; /* the binding is registered all the same, only not per AOR */
		reg_free(t, r);
		t->reg_free = t->reg[r - 1].next_priv;
	}
	t->reg[r - 1] = (struct table_reg){ aor, priv, until, *priv_head, *aor_head };
	*priv_head = r;
	*aor_head = r;
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
	for (uint32_t r = t->reg_priv_head[hashed_endpoint(t, priv) & t->reg_mask]; r; r = t->reg[r - 1].next_priv)
		if (t->reg[r - 1].aor && t->reg[r - 1].expires > now && endpoint_eq(t->reg[r - 1].priv, priv))
			return;
	if (host_bindings(t, priv.ip, ALG_PORT_MEDIA)) {
		b->registered = 0;
		if (b->expires > now + t->cfg.signaling_idle) {
			b->expires = now + t->cfg.signaling_idle;
			expiry_lowered(t, b->expires);
		}
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
	/* From the index's head again after each: unregistered() may end others of the chain. */
	for (;;) {
		uint32_t r = t->reg_aor_head[hash_u64(t, p->aor) & t->reg_mask];
		struct alg_endpoint priv;

		for (; r; r = t->reg[r - 1].next_aor) {
			const struct table_reg *g = &t->reg[r - 1];

			if (g->aor == p->aor && g->priv.ip == p->ip && !confirmed(res, g->priv) &&
			    (a->n_contacts || asked_removal(p, g->priv)))
				break;
		}
		if (!r)
			break;
		priv = t->reg[r - 1].priv;
		reg_free(t, r);
		unregistered(t, priv, x->now);
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
			if (create == DIALOG_FROM_LAN && !d->from_lan) {
				d->from_lan = 1;
				t->n_lan_calls++;
			}
			if (!d->media_seen)
				d->media_seen = now; /* before it is answered: no end of its own yet */
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
			if (a->from_port)
				b->registrar = (struct alg_endpoint){ a->from, a->from_port };
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
		case ALG_ACT_MEDIA_DECLINE:
			for (uint8_t rtcp = 0; rtcp < 2; rtcp++) {
				b = stream_binding(t, dialog_index(t, d), a->stream, rtcp, a->priv.ip);
				if (b)
					replace_media(t, b, a->offer && d->answered);
			}
			break;
		case ALG_ACT_REGISTER:
			note_register(x, a, msg);
			break;
		case ALG_ACT_REGISTER_END:
			end_register(x, res, msg, a);
			break;
		case ALG_ACT_ANSWERED: {
			int64_t was = dialog_end(t, d);

			if (!d->answered)
				d->media_seen = now; /* media is due from now on */
			d->answered = 1;
			settle_offer(t, d, 1);
			dialog_end_moved(t, was, dialog_end(t, d));
			break;
		}
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

const struct table_binding *table_dialog_media(const struct alg_table *t, const struct table_dialog *d,
					       const struct table_binding *prev)
{
	uint32_t s = prev ? prev->next_in_dialog : d->first_binding;

	return s ? &t->bind[s - 1] : NULL;
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
	if (di >= 0 && (size_t)di < t->dialog_top && t->dialog[di].in_use && now > t->dialog[di].media_seen) {
		int64_t was = dialog_end(t, &t->dialog[di]);

		t->dialog[di].media_seen = now;
		dialog_end_moved(t, was, dialog_end(t, &t->dialog[di]));
	}
}

int64_t table_expire(struct alg_table *t, int64_t now)
{
	int64_t next = INT64_MAX;

	if (t->next_expiry && now < t->next_expiry)
		return t->next_expiry; /* nothing is due: no scan */

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
	t->next_expiry = next;
	return next;
}

void table_clear(struct alg_table *t)
{
	for (size_t i = 0; i < t->dialog_top; i++)
		if (t->dialog[i].in_use) {
			unlink_dialog(t, &t->dialog[i]);
			t->dialog[i].in_use = 0;
		}
	for (size_t i = 0; i < t->bind_top; i++)
		if (t->bind[i].in_use)
			remove_binding(t, &t->bind[i]);
	t->next_expiry = 0;
}
