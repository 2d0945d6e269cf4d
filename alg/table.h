/* table.h: the ALG's NAT bindings, registrations and dialogs, as plain data with explicit
 * expiry. Pure: the caller passes the time in and mirrors the changes it reports (into
 * nftables, in the daemon). It also answers the core's questions about public ports. */
#ifndef SIPALG_TABLE_H
#define SIPALG_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "alg.h"

#define TABLE_MAX_BINDINGS 4096
#define TABLE_MAX_DIALOGS 1024
#define TABLE_MAX_STREAMS 8
#define TABLE_CALL_ID_MAX 128
#define TABLE_MAX_PROPOSED 32
#define TABLE_RATE_SLOTS 64
/* A call only the WAN side has spoken of (an INVITE's offer) is kept this long unless a LAN
 * phone takes part: RFC 3261's Timer C, the longest an INVITE may ring at a proxy. */
#define TABLE_UNCONFIRMED_IDLE 180

struct table_config {
	uint16_t port_min, port_max; /* public ports to use when a phone's own port is taken */
	uint32_t signaling_idle;      /* seconds a signaling binding lives after its last message */
	uint32_t dialog_idle;         /* seconds a dialog's media lives after its last message */
	uint32_t register_grace;      /* seconds added to a registration's expiry */
	uint32_t media_timeout;       /* an answered call without media this long ends; 0: never */
	int registrar_only;           /* a registered phone takes requests from its registrar only */
	/* Limits, checked by table_admit; 0: none beyond the table's capacity. Per host means
	 * per LAN address, so that one phone cannot use up what the others need. */
	uint32_t max_registrations_per_host; /* signaling bindings */
	uint32_t max_dialogs;                /* calls a LAN phone takes part in */
	uint32_t max_pinholes_per_call;      /* media bindings (RTP and RTCP each count) */
	uint32_t max_pinholes_per_host;
	uint32_t max_pinholes;
	uint32_t max_new_pinholes_per_sec;   /* per host */
};

struct table_binding {
	int in_use;
	enum alg_port_kind kind;
	struct alg_endpoint priv;
	uint16_t pub_port;
	uint32_t peer;     /* who may send to it: media: the far end, once known; signaling: the
			    * registrar, when registrar_only; 0: anyone */
	int dialog;        /* media: index of its dialog */
	uint8_t stream;    /* media: m= index */
	uint8_t rtcp;      /* media: the RTCP half of the stream */
	int registered;    /* signaling: a registrar accepted it */
	int64_t expires;   /* absolute, in the caller's seconds */
	/* What the mirror was last told; ahead of expires so that a binding refreshed by every
	 * message is re-announced about once a minute, not every time. */
	int64_t installed_expires;
};

/* How far installed_expires runs ahead of expires. */
#define TABLE_INSTALL_AHEAD 60

struct table_dialog {
	int in_use;
	int answered;
	int from_lan;      /* a LAN phone announced media in it; else only the WAN spoke of it */
	uint32_t call_id_len;
	char call_id[TABLE_CALL_ID_MAX]; /* the first bytes; call_id_len is the whole length */
	uint32_t peer[TABLE_MAX_STREAMS];
	int64_t expires;
	int64_t media_seen; /* when its media was last known to flow (or it began) */
};

enum table_change {
	TABLE_ADDED,
	TABLE_UPDATED, /* peer or lifetime changed */
	TABLE_REMOVED,
};

/* New pinholes of one LAN host in one second. */
struct table_rate {
	uint32_t ip;
	int64_t second;
	uint32_t n;
};

typedef void table_change_fn(void *ctx, const struct table_binding *b, enum table_change c);

struct alg_table {
	struct table_config cfg;
	table_change_fn *on_change;
	void *ctx;
	int64_t now;
	/* The router's public address: a "far end" there is another LAN phone, reached by
	 * hairpin from the LAN side, and its pinhole is not narrowed. */
	uint32_t self_ip;
	size_t n_proposed;
	struct alg_binding proposed[TABLE_MAX_PROPOSED];
	/* Slots at and above these were never used: scans stop there, so a lookup costs what
	 * the live bindings cost, not the table's capacity. */
	size_t bind_top, dialog_top;
	uint32_t n_bound[2]; /* live bindings by alg_port_kind, so that limits need no scan */
	struct table_rate rate[TABLE_RATE_SLOTS];
	struct table_binding bind[TABLE_MAX_BINDINGS];
	struct table_dialog dialog[TABLE_MAX_DIALOGS];
};

void table_init(struct alg_table *t, const struct table_config *cfg, table_change_fn *fn, void *ctx);

/* The core's view of the table, for one message at time now: existing bindings answer, new
 * endpoints get proposed ports (their own when free) that table_apply then takes. */
struct alg_nat table_nat(struct alg_table *t, int64_t now);

/* Whether the actions of a translated message fit the limits: ALG_OK, or the limit they
 * would break (the message then passes untranslated and nothing is taken). */
enum alg_reason table_admit(struct alg_table *t, const struct alg_result *res, const char *msg,
			    int64_t now);

/* Takes the actions of a translated message: bindings, registrations, dialogs. Only a LAN
 * phone's own messages create bindings and pinholes; the WAN side's can only narrow,
 * refresh or close what exists. */
void table_apply(struct alg_table *t, const struct alg_result *res, const char *msg, int64_t now);

/* Removes binding slot i (reporting it): the daemon undoes what the firewall refused. */
void table_remove_binding(struct alg_table *t, size_t i);

/* The media of dialog index di flowed at time now (the caller watches the traffic). */
void table_media_seen(struct alg_table *t, int di, int64_t now);

/* Removes what has expired by now, and answered calls whose media stopped; returns the next
 * expiry (INT64_MAX when none). */
int64_t table_expire(struct alg_table *t, int64_t now);

/* Removes everything (reporting each binding). */
void table_clear(struct alg_table *t);

#endif
