/* SPDX-License-Identifier: GPL-2.0-or-later */
/* table_state.h: the binding table as text, so that a restarted daemon (procd's respawn, a
 * restart, a package upgrade) finds its registrations and calls again. Pure: the caller
 * reads and writes the file, and passes the time and the boot's identity in.
 *
 * The text, one record a line, fields split by one space, times relative to `saved`:
 *   sipalg-state 2
 *   boot BOOT_ID                       ("-" when unknown)
 *   saved NOW                          (the table's clock at writing: CLOCK_MONOTONIC seconds)
 *   dialog ID ANSWERED FROM_LAN EXPIRES_IN SEEN_AGO CALL_ID_LEN CALL_ID_HEX PEER0 .. PEER7
 *   binding sig PRIV_IP:PORT PUB_PORT PEER REGISTERED EXPIRES_IN REGISTRAR_IP:PORT
 *   binding media PRIV_IP:PORT PUB_PORT PEER DIALOG_ID STREAM RTCP EXPIRES_IN
 *   end N_DIALOGS N_BINDINGS
 * Dialogs first, numbered 0, 1, ... in order; a media binding names its dialog by that number.
 * The `end` line makes a truncated file detectable. REGISTRAR (where keep-alives go; "-" when
 * unknown or not registered) is new in version 2: a version 1 file still loads, without it. */
#ifndef SIPALG_TABLE_STATE_H
#define SIPALG_TABLE_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "table.h"

#define TABLE_STATE_VERSION 2
/* Enough for a full table of table_init's capacities (4096 bindings of < 100 bytes, 1024
 * dialogs of < 500); table_state_max says it for any table. */
#define TABLE_STATE_MAX (1024 * 1024)
#define TABLE_STATE_BOOT_MAX 64

/* The longest text of a full t (at least TABLE_STATE_MAX): table_save never needs more, and
 * table_load refuses more. */
size_t table_state_max(const struct alg_table *t);

/* Writes what t holds at time now (what has expired by now is left out) into buf; boot
 * names this boot of the machine (NULL or "": unknown). Returns the length, or 0 when cap is
 * too small (never with table_state_max(t)). */
size_t table_save(const struct alg_table *t, char *buf, size_t cap, int64_t now, const char *boot);

/* Counts of what table_load restored. */
struct table_state_counts {
	uint32_t registrations; /* signaling bindings a registrar accepted */
	uint32_t signaling;     /* all signaling bindings */
	uint32_t calls;         /* dialogs */
	uint32_t pinholes;      /* media bindings */
	uint32_t expired;       /* records left out: they expired while the daemon was down */
};

/* Fills the empty table t from buf, at time now, on the same boot (boot: as table_save;
 * either side unknown skips that check). Everything is checked first: the version, the boot
 * and the clock, every field's range, unique public ports, private endpoints and Call-IDs,
 * media bindings in existing calls a LAN phone is in, the table's capacities (a file of more
 * calls or bindings than t holds is refused, whole), the end line.
 * Bad text is refused whole: -1, t as it was (empty), and err says what and on which line.
 * Records that expired while nobody ran are left out (counted); a call not yet answered lives
 * at most TABLE_UNCONFIRMED_IDLE more (it may have ended unseen). t's inbound_calls applies: a
 * registration's registrar is kept as its peer only under INBOUND_REGISTRAR (as the address
 * its keep-alives go to, always). Nothing is reported through
 * the table's change callback: the caller installs the loaded table as a whole. 0 on
 * success, with counts (when not NULL). */
int table_load(struct alg_table *t, const char *buf, size_t len, int64_t now, const char *boot,
	       struct table_state_counts *counts, char *err, size_t err_cap);

#endif
