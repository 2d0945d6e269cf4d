/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mirror.h: the binding table as the kernel sees it. Every change the table reports goes
 * into the nftables backend's next batch; a refused batch undoes the message's bindings and
 * the backend is brought back in line with the table. The kernel's flows through closed
 * pinholes are forgotten, and the flows of each call's media tell the table it is alive. */
#ifndef SIPALG_MIRROR_H
#define SIPALG_MIRROR_H

#include <stddef.h>
#include <stdint.h>

#include "conntrack.h"
#include "nft.h"
#include "table.h"

/* Media bindings whose flows wait to be forgotten: a conntrack dump walks the whole table,
 * so it is paid at most every 500 ms, or when this many wait (new calls at thousands a
 * second). */
#define MIRROR_MAX_CLOSED 2048

struct mirror {
	struct alg_table *table;
	struct nft *nft;           /* NULL after a failure: mirror_commit opens it again */
	const char *wan;
	uint32_t public_ip;
	int64_t now;               /* the daemon's clock, set before each call into the table */
	unsigned long refusals;    /* batches the kernel refused */
	unsigned long changes;     /* changes the table reported (the state file follows them) */
	/* SIP over TCP: signaling bindings' public ports go into the diversion's set */
	int sig_ports, sig_missing;
	/* media bindings added or removed, whose flows conntrack must forget */
	size_t n_closed;
	struct ct_flow_key closed[MIRROR_MAX_CLOSED];
	int64_t next_forget_ms;
	/* scratch of mirror_watch_media, a binding slot each: allocated with the table's capacity */
	struct ct_flow_key *keys;
	uint8_t *seen;
	int *dialog_of;
};

/* Creates (or replaces) our nftables table, empty, for t (initialized: its capacity); 0 on
 * success. */
int mirror_open(struct mirror *m, struct alg_table *t, const char *wan, uint32_t public_ip);
/* The table's change callback (ctx: the mirror). */
void mirror_change(void *ctx, size_t slot, const struct table_binding *b, enum table_change c);
/* Sends the pending changes, in one batch. On a refusal, the bindings of the n_txn
 * messages' transactions txn[] are undone (all of them: the kernel takes a batch whole or
 * not at all), the kernel's state is rebuilt from the table, and -1 is returned; else they
 * are committed. n_txn 0: the changes left for after the verdicts. */
int mirror_commit(struct mirror *m, struct table_txn *txn, size_t n_txn);
/* Installs every binding of the table at once: after it was filled from the state file,
 * which reports nothing (0 on success; else logged, and retried by the next commit). */
int mirror_install(struct mirror *m);
/* Our table again, from the daemon's state, when someone deleted it (fw4 flush). */
void mirror_keep(struct mirror *m);
/* The public address changed: every binding is installed again on the new one. */
void mirror_set_public_ip(struct mirror *m, uint32_t public_ip);
/* Deletes the flows of closed pinholes: in one conntrack dump for all that piled up, at most
 * every half second unless many wait or force is set. */
void mirror_forget_flows(struct mirror *m, int force);
/* The same in two steps, so that the dump runs outside the caller's lock: under it, the keys
 * due (as mirror_forget_flows decides) move to out (MIRROR_MAX_CLOSED of room) and their
 * count is returned; then ct_forget(out, n) without it. */
size_t mirror_take_closed(struct mirror *m, int force, struct ct_flow_key *out);
/* Tells the table which calls' media still flows. */
void mirror_watch_media(struct mirror *m);
/* Forgets what is pending and deletes the table with every binding in it. */
void mirror_close(struct mirror *m);

#endif
