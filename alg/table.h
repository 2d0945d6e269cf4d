/* SPDX-License-Identifier: GPL-2.0-or-later */
/* table.h: the ALG's NAT bindings, registrations and dialogs, as plain data with explicit
 * expiry. Pure: the caller passes the time in and mirrors the changes it reports (into
 * nftables, in the daemon). It also answers the core's questions about public ports. */
#ifndef SIPALG_TABLE_H
#define SIPALG_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "alg.h"
#include "siphash.h"

/* The capacities of table_init's table (a home router's); table_init_sized takes others. */
#define TABLE_MAX_BINDINGS 4096
#define TABLE_MAX_DIALOGS 1024
/* The largest capacities table_init_sized takes. */
#define TABLE_CAPACITY_BINDINGS_MAX (1u << 21)
#define TABLE_CAPACITY_DIALOGS_MAX (1u << 20)
#define TABLE_MAX_STREAMS 8
#define TABLE_CALL_ID_MAX 128
#define TABLE_MAX_PROPOSED 32
/* A stream's binding that a re-offer replaces: it lives on until the answer (a 2xx removes
 * it; a failed answer gives it its stream back), so a refused re-INVITE (a T.38 fax offer
 * refused with 488) keeps the call's media where it was. */
#define TABLE_STREAM_REPLACED 0x80
/* A message adds at most two bindings per action (RTP and RTCP). */
#define TABLE_MAX_ADDED (2 * ALG_MAX_ACTIONS)
#define TABLE_RATE_SLOTS 64
/* Registrations (address of record on a signaling binding): one per two bindings; and
 * REGISTERs awaiting their 2xx, one per 16 bindings but at least 256: the oldest pending one
 * gives way. */
#define TABLE_REGS_OF(bindings) ((bindings) / 2)
#define TABLE_PENDING_OF(bindings) ((bindings) / 16 > 256 ? (bindings) / 16 : 256)
#define TABLE_MAX_REGS TABLE_REGS_OF(TABLE_MAX_BINDINGS)
#define TABLE_MAX_PENDING TABLE_PENDING_OF(TABLE_MAX_BINDINGS)
#define TABLE_PENDING_CONTACTS 8
/* RFC 3261's Timer F (64 * T1): a REGISTER's transaction is over by then. */
#define TABLE_PENDING_TTL 32
/* The public port of an unregistered phone is given to no other phone for this long: the
 * router's conntrack keeps the phone's flow on it (OpenWrt's UDP stream timeout, 180 s), and
 * a new flow on the same public port to the same server would be dropped as a clash. */
#define TABLE_PORT_COOLDOWN 180
#define TABLE_COOLING 32
/* A call only the WAN side has spoken of (an INVITE's offer) is kept this long unless a LAN
 * phone takes part: RFC 3261's Timer C, the longest an INVITE may ring at a proxy. */
#define TABLE_UNCONFIRMED_IDLE 180

/* Who may send requests (incoming calls) to a registered phone: the option inbound_calls. Zero
 * restricts nothing, as a zero limit. */
enum inbound_policy {
	INBOUND_ANYONE,
	INBOUND_REGISTRAR, /* only the registrar that accepted it */
};

/* Fields that are the daemon's options carry the options' names (nfq/config.c). */
struct table_config {
	uint16_t media_port_min, media_port_max; /* public ports to use when a phone's own port is taken */
	uint32_t signaling_idle;      /* seconds a signaling binding lives after its last message */
	uint32_t dialog_idle;         /* seconds a dialog's media lives after its last message */
	uint32_t register_grace;      /* seconds added to a registration's expiry */
	uint32_t media_timeout;       /* an answered call without media this long ends; 0: never */
	enum inbound_policy inbound_calls;
	/* Limits, checked by table_admit; 0: none beyond the table's capacity. Per host means
	 * per LAN address, so that one phone cannot use up what the others need. */
	uint32_t max_registrations_per_host; /* signaling bindings */
	uint32_t max_calls;                  /* calls a LAN phone takes part in */
	uint32_t max_pinholes_per_call;      /* media bindings (RTP and RTCP each count) */
	uint32_t max_pinholes_per_host;
	uint32_t max_pinholes;
	uint32_t max_new_pinholes_per_second; /* per host */
};

struct table_binding {
	int in_use;
	enum alg_port_kind kind;
	struct alg_endpoint priv;
	uint16_t pub_port;
	uint32_t peer;     /* who may send to it: media: the far end, once known; signaling: the
			    * registrar, when inbound_calls is INBOUND_REGISTRAR;
			    * 0: anyone */
	int dialog;        /* media: its dialog (the id table_for_each_dialog gives) */
	uint8_t stream;    /* media: m= index; with TABLE_STREAM_REPLACED, the stream as it was
			    * before a re-offer (re-INVITE) not answered yet moved it */
	uint8_t rtcp;      /* media: the RTCP half of the stream */
	uint8_t offered;   /* media: added by that re-offer; a refusal (failed answer) removes it */
	int registered;    /* signaling: a registrar accepted it ... */
	struct alg_endpoint registrar; /* ... from there (keep-alives go to it); 0: unknown */
	int64_t expires;   /* absolute, in the caller's seconds */
	/* The indexes' chains (slot + 1; 0 ends one): the private endpoint's bucket, and the
	 * media bindings of its dialog. */
	uint32_t next_priv, next_in_dialog;
};

struct table_dialog {
	int in_use;
	int answered;
	int from_lan;      /* a LAN phone announced media in it; else only the WAN spoke of it */
	uint32_t server;   /* the LAN server (lan_server) that carries it; 0: none */
	uint32_t call_id_len;
	char call_id[TABLE_CALL_ID_MAX]; /* the first bytes; call_id_len is the whole length */
	uint32_t peer[TABLE_MAX_STREAMS];
	int64_t expires;
	int64_t media_seen; /* when its media was last known to flow (or it began) */
	uint32_t next_call_id;  /* the Call-ID index's chain (slot + 1; 0 ends it) */
	uint32_t first_binding; /* its media bindings (slot + 1), chained by next_in_dialog */
};

enum table_change {
	TABLE_ADDED,
	TABLE_UPDATED,  /* whom it accepts traffic from changed */
	TABLE_EXTENDED, /* it lives longer (every refresh: the mirror decides when to tell) */
	TABLE_REMOVED,
};

/* One address of record registered on a signaling binding: a phone with several accounts on
 * one port keeps its binding until the last of them is gone. */
struct table_reg {
	uint64_t aor;      /* hash of the REGISTER's To URI; 0: a free slot */
	struct alg_endpoint priv;
	int64_t expires;
	uint32_t next_priv, next_aor; /* chains of the indexes by endpoint and by AOR; free list */
};

/* A LAN phone's REGISTER awaiting its 2xx (and kept for the 2xx's retransmissions): the
 * contacts the ALG translated in it. */
struct table_pending {
	uint64_t key;      /* hash of its Call-ID and CSeq number; 0: a free slot */
	uint64_t aor;
	uint32_t ip;       /* the phone */
	int64_t until;
	uint8_t star;      /* "Contact: *" */
	uint8_t n;
	uint8_t remove;    /* bit i: contact i asked for expires 0 */
	struct alg_binding contact[TABLE_PENDING_CONTACTS];
	uint32_t next;     /* the index's chain */
	uint16_t written[TABLE_PENDING_CONTACTS]; /* the public port the phone wrote; 0: private */
};

/* A public port left cooling by an unregistered phone (TABLE_PORT_COOLDOWN). */
struct table_cooling {
	struct alg_binding b;
	int64_t until;
};

/* New pinholes of one LAN host in one second. */
struct table_rate {
	uint32_t ip;
	int64_t second;
	uint32_t n;
};

/* A LAN host's live bindings, by kind: the per-host limits without a scan. */
struct table_host {
	uint32_t ip;       /* 0: a free entry */
	uint32_t n[2];     /* by alg_port_kind */
	uint32_t next;     /* the index's chain; the free list */
};

/* The keys of the message being handled, hashed once: it looks its endpoints, host and
 * Call-ID up several times (translating, admitting, applying), and the keyed SipHash is most
 * of a lookup's cost. Emptied by table_begin, so that no message is spared another's work. */
#define TABLE_HASHED 8
struct table_hashed {
	unsigned n, next; /* entries in use; the one to replace when all are */
	uint64_t key[TABLE_HASHED]; /* ip << 32 | port << 1 | 1 for the host index's key (ip alone) */
	uint32_t hash[TABLE_HASHED];
	int has_call_id;
	uint32_t call_id_len, call_id_hash;
	char call_id[TABLE_CALL_ID_MAX];
};

/* Which slots of an array are taken: a bit per slot, and a bit per word that is full, so
 * that the lowest free slot is found in a few steps. */
struct table_slots {
	uint64_t *used, *full;
	uint32_t n;
};

/* The capacities, as table_init_sized takes them: bindings (signaling and media, each with
 * its public port) and dialogs (calls; those only the WAN side spoke of give way to the
 * LAN's). Registrations and pending REGISTERs follow from bindings (TABLE_REGS_OF,
 * TABLE_PENDING_OF). */
struct table_capacity {
	uint32_t bindings, dialogs;
};

/* table_memory_size for capacities that are powers of two (the index buckets are one per
 * entry, rounded up to a power of two), with room to align each of its 18 arrays. */
#define TABLE_PORTS 65536
#define TABLE_MEMORY_POW2(b, d)                                                                    \
	((size_t)(b) * (sizeof(struct table_binding) + sizeof(struct table_host) + 2 * sizeof(uint32_t)) + \
	 (size_t)(d) * (sizeof(struct table_dialog) + sizeof(uint32_t) + sizeof(int32_t)) +          \
	 (size_t)TABLE_REGS_OF(b) * (sizeof(struct table_reg) + 2 * sizeof(uint32_t)) +              \
	 (size_t)TABLE_PENDING_OF(b) * (sizeof(struct table_pending) + sizeof(uint32_t)) +            \
	 TABLE_PORTS * sizeof(uint32_t) + TABLE_PORTS / 8 +                                          \
	 8 * ((size_t)(b) / 64 + (size_t)(d) / 64 + 4) + 20 * 8)

/* Each change of binding slot `slot`, as it happens; the daemon mirrors them into nftables. */
typedef void table_change_fn(void *ctx, size_t slot, const struct table_binding *b, enum table_change c);

struct alg_table {
	struct table_config cfg;
	table_change_fn *on_change;
	void *ctx;
	/* The router's public address: a "far end" there is another LAN phone, reached by
	 * hairpin from the LAN side, and its pinhole is not narrowed. */
	uint32_t self_ip;
	/* Slots at and above these were never used: scans stop there, so a lookup costs what
	 * the live bindings cost, not the table's capacity. */
	size_t bind_top, dialog_top;
	uint32_t n_bound[2]; /* live bindings by alg_port_kind, so that limits need no scan */
	uint32_t n_lan_calls; /* dialogs a LAN phone is in (from_lan): max_calls without a scan */
	int64_t next_expiry;  /* nothing expires before this (0: unknown): table_expire's short cut */
	struct table_rate rate[TABLE_RATE_SLOTS];
	struct table_capacity cap;
	uint32_t cap_regs, cap_pending;
	struct table_binding *bind;    /* cap.bindings */
	struct table_dialog *dialog;   /* cap.dialogs */
	size_t reg_top, pending_top;
	struct table_reg *reg;         /* cap_regs */
	struct table_pending *pending; /* cap_pending */
	uint32_t reg_free;             /* freed registrations (slot + 1), chained by next_priv */
	size_t n_cooling;
	struct table_cooling cooling[TABLE_COOLING];
	/* The indexes: hash buckets (a power of two each, mask = count - 1) holding slot + 1 of
	 * the first entry of their chain, keyed with `key`; public ports index the bindings
	 * directly (they are unique). */
	struct siphash_key key;
	struct table_hashed hashed;
	uint32_t priv_mask, host_mask, call_mask, reg_mask, pending_mask;
	uint32_t *priv_head, *host_head, *call_head, *reg_priv_head, *reg_aor_head, *pending_head;
	uint32_t *pub_slot;            /* 65536: slot + 1 of the binding on each public port */
	uint64_t *pub_taken;           /* 1024 words: a bit per public port a binding holds */
	struct table_host *host;       /* cap.bindings entries */
	uint32_t host_free, host_top;  /* free host entries (index + 1), chained by next; used so far */
	struct table_slots bind_slots, dialog_slots;
	int32_t *scratch;              /* cap.dialogs: table_save's and table_load's */
	/* table_init's storage (table_init_sized uses the caller's) */
	_Alignas(8) unsigned char builtin[TABLE_MEMORY_POW2(TABLE_MAX_BINDINGS, TABLE_MAX_DIALOGS)];
};

/* One message's transaction on the table: the ports proposed to the core while it
 * translates, and the bindings the message added (undone when the firewall refuses them).
 * It lives on the caller's stack, for one message. */
struct table_txn {
	struct alg_table *t;
	const struct alg_config *cfg; /* table_translate's: the LAN servers; NULL: none */
	int64_t now;
	size_t n_proposed;
	struct alg_binding proposed[TABLE_MAX_PROPOSED];
	size_t n_added;
	uint32_t added[TABLE_MAX_ADDED];
};

/* The bytes table_init_sized needs for these capacities. */
size_t table_memory_size(const struct table_capacity *cap);
/* A table with the given capacities (at most TABLE_CAPACITY_*_MAX, at least 64 each) in the
 * caller's memory, zeroed (calloc: pages are touched only as the table fills), of
 * table_memory_size bytes, aligned for any type; nothing else is allocated, ever. key seeds
 * the indexes' hash: random, so that the WAN side cannot pick colliding keys. -1 when a
 * capacity is out of range or mem_len too small. */
int table_init_sized(struct alg_table *t, const struct table_config *cfg, const struct table_capacity *cap,
		     void *mem, size_t mem_len, const struct siphash_key *key, table_change_fn *fn, void *ctx);
/* A table of the default capacities (TABLE_MAX_*) in its own storage, with a fixed key
 * (tests, tools, fuzzing: nothing there faces an attacker). */
void table_init(struct alg_table *t, const struct table_config *cfg, table_change_fn *fn, void *ctx);
/* Settings (at reload: what exists stays) and the router's public address. */
void table_set_config(struct alg_table *t, const struct table_config *cfg);
const struct table_config *table_get_config(const struct alg_table *t);
void table_set_self_ip(struct alg_table *t, uint32_t ip);

/* The message path, in one call: begin a transaction at time now, translate with the
 * table's ports, admit, apply. When res->reason is not ALG_OK the message passes unchanged
 * and the table is as it was. Then table_commit, or table_undo if the firewall refused the
 * bindings it added. */
void table_translate(struct table_txn *x, struct alg_table *t, const struct alg_config *cfg,
		     const struct alg_packet *pkt, int64_t now, char *out, size_t out_cap,
		     struct alg_result *res);

/* The steps of table_translate, for callers that need them apart. */
void table_begin(struct table_txn *x, struct alg_table *t, int64_t now);
/* The core's view of the table: existing bindings answer, new endpoints get proposed ports
 * (their own when free) that table_apply then takes. */
struct alg_nat table_nat(struct table_txn *x);
/* Whether the actions of a translated message fit the limits: ALG_OK, or the limit they
 * would break (the message then passes untranslated and nothing is taken). */
enum alg_reason table_admit(struct table_txn *x, const struct alg_result *res, const char *msg);
/* Takes the actions of a translated message: bindings, registrations, dialogs. Only a LAN
 * phone's own messages create bindings and pinholes; the WAN side's can only narrow,
 * refresh or close what exists. */
void table_apply(struct table_txn *x, const struct alg_result *res, const char *msg);
/* The firewall took the message's bindings. */
void table_commit(struct table_txn *x);
/* The firewall refused them: the bindings the message added go again (reported). */
void table_undo(struct table_txn *x);

/* Live bindings and dialogs, in slot order: each returns the first at or after *slot (and
 * sets *slot to it), or NULL. */
const struct table_binding *table_binding_at(const struct alg_table *t, size_t *slot);
const struct table_dialog *table_dialog_at(const struct alg_table *t, size_t *id);
#define table_for_each_binding(t, slot, b) \
	for (size_t slot = 0; ((b) = table_binding_at((t), &slot)) != NULL; slot++)
#define table_for_each_dialog(t, id, d) \
	for (size_t id = 0; ((d) = table_dialog_at((t), &id)) != NULL; id++)
/* A dialog's media bindings, through its own list (not a scan of every slot): the one after
 * prev, or the first when prev is NULL; NULL after the last. */
const struct table_binding *table_dialog_media(const struct alg_table *t, const struct table_dialog *d,
					       const struct table_binding *prev);
#define table_for_each_media(t, d, b) \
	for ((b) = table_dialog_media((t), (d), NULL); (b) != NULL; (b) = table_dialog_media((t), (d), (b)))

/* The phone's signaling endpoint behind public port pub, for a new connection from address
 * `from` (a server's to a registered Contact): 0 when a signaling binding holds pub and
 * accepts traffic from `from` (its peer, when it has one: inbound_calls 'registrar'), -2 when
 * it holds pub for another peer only, -1 when none holds it. */
int table_find_public(const struct alg_table *t, uint16_t pub, uint32_t from, struct alg_endpoint *priv);

/* The media of dialog index di flowed at time now (the caller watches the traffic). */
void table_media_seen(struct alg_table *t, int di, int64_t now);

/* Removes what has expired by now, and answered calls whose media stopped; returns the next
 * expiry (INT64_MAX when none). */
int64_t table_expire(struct alg_table *t, int64_t now);

/* Removes everything (reporting each binding). */
void table_clear(struct alg_table *t);

/* For table_state.c, which fills an empty table itself: the binding or dialog written into
 * a free slot joins the indexes and the counts (nothing is reported); the private endpoint's
 * binding and the Call-ID's dialog, or NULL; and back to empty. */
void table_place_binding(struct alg_table *t, size_t slot);
void table_place_dialog(struct alg_table *t, size_t slot);
const struct table_binding *table_find_private(const struct alg_table *t, struct alg_endpoint priv);
const struct table_dialog *table_find_call_id(const struct alg_table *t, const char *id, uint32_t len);
void table_empty(struct alg_table *t);

#endif
