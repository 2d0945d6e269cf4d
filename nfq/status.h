/* SPDX-License-Identifier: GPL-2.0-or-later */
/* status.h: the daemon's state as text for people or JSON for scripts. Reasons are named in
 * the daemon's words (config_reason_str): a limit by its option. */
#ifndef SIPALG_STATUS_H
#define SIPALG_STATUS_H

#include <stddef.h>
#include <stdint.h>

#include "alg.h"
#include "outer_nat.h"
#include "stun_client.h"
#include "table.h"
#include "tcp_relay.h"

struct counters {
	unsigned long seen, translated, unchanged, not_sip_udp, fragments, malformed, errors;
	unsigned long reasons[ALG_REASON_COUNT];
};

struct status_view {
	const struct counters *count;
	unsigned long nft_refusals; /* batches nftables refused (the mirror counts them) */
	const struct alg_table *table;
	uint32_t public_ip;
	const char *wan, *lan;
	int64_t now;
	const struct tcp_relay *tcp; /* NULL when SIP over TCP is off */
	int64_t tls_connections;     /* SIP over TLS connections the firewall counted; -1: none */
	const uint32_t *lan_servers; /* lan_server: shown with the calls each carries */
	size_t n_lan_servers;
	const struct outer_nat *outer; /* where the public address comes from */
	const struct stun_client *stun; /* fd -1: no STUN */
	uint32_t keepalive_interval;    /* 0: no keep-alives */
	unsigned long keepalives, keepalive_failed;
};

/* Writes the report into buf (NUL-terminated, cut at cap); returns its length. */
size_t status_format(const struct status_view *v, int json, char *buf, size_t cap);

#endif
