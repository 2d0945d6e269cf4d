/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nft.h: the firewall backend. sipalgd's own nftables table `ip sipalg` holds the NAT
 * bindings as map elements with timeouts:
 *   snat_map   private ip . port  -> public ip . port   (postrouting, before masquerade)
 *   dnat_any   public port        -> private ip . port  (prerouting, from anyone)
 *   dnat_peer  far ip . public port -> private ip . port (prerouting, from the far end only)
 * Changes are queued and sent in one batch; a restart replaces a stale table. */
#ifndef SIPALG_NFT_H
#define SIPALG_NFT_H

#include <stddef.h>
#include <stdint.h>

#include "table.h"

#define NFT_TABLE_NAME "sipalg"

struct nft;

/* Creates (or replaces) the table for this WAN interface and public address (open it again
 * when the address changes), for a binding table of `capacity` slots. NULL on error
 * (logged). The maps and the diversion's set are declared without a size: they hold as many
 * elements as the binding table. */
struct nft *nft_open(const char *wan, uint32_t public_ip, size_t capacity);
/* Deletes the table and closes. */
void nft_close(struct nft *n);
/* Closes, leaving the table as it is (it may be gone already). */
void nft_free(struct nft *n);

/* Queues the mirror of one change of binding slot `slot`. */
void nft_mirror(struct nft *n, size_t slot, const struct table_binding *b, enum table_change c,
		uint32_t public_ip, int64_t now);
/* Whether the table still exists (another program, such as `fw4 flush`, may delete every
 * table); -1 on a netlink error. */
int nft_table_exists(struct nft *n);

/* Sends what is queued; 0 when the kernel took all of it. */
int nft_commit(struct nft *n);
/* Why the kernel refused the last batch (for the caller's log, which rate-limits it). */
const char *nft_last_error(const struct nft *n);
/* Empties the maps and installs every binding of the table again (after an error, or when
 * the public address changed). */
int nft_resync(struct nft *n, const struct alg_table *t, uint32_t public_ip, int64_t now);

/* sipalg-firewall's diversion: WAN connections to the ports of this set go to the TCP relay. */
#define NFT_DIVERT_TABLE "sipalg_divert"
#define NFT_DIVERT_SET "tcp_sig_ports"

/* `inet sipalg_divert tcp_sig_ports` follows the table's signaling bindings (their public
 * ports, elements timing out as the maps' do), so that a server can open a new connection to
 * a registered phone's Contact. In batches of its own: a missing set (the firewall diverts no
 * TCP) costs the maps nothing. nft_sig_change notes a binding's change (from the table's
 * callback); nft_sig_flush sends what changed (after the verdicts); nft_sig_check, every few
 * seconds, writes the whole set when it is not the one last written (missing before, or
 * re-created empty by the firewall). Both return 0, or -1 when the set is missing or refused
 * the change. nft_sig_clear empties it (no relay listens any more). */
void nft_sig_change(struct nft *n, size_t slot, const struct table_binding *b, enum table_change c);
int nft_sig_flush(struct nft *n, const struct alg_table *t, int64_t now);
int nft_sig_check(struct nft *n, const struct alg_table *t, int64_t now);
void nft_sig_clear(struct nft *n);
/* The packets counted by the named counter of the diversion's table (its new connections:
 * tls_connections), -1 when there is no such counter (the firewall diverts no TCP). */
int64_t nft_divert_counter(struct nft *n, const char *name);
/* A handle for such queries alone, with a netlink socket of its own, so that a thread may ask
 * without holding the lock around the table's handle (the status view); NULL on failure.
 * Freed with nft_free. */
struct nft *nft_query_open(void);

#endif
