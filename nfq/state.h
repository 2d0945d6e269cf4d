/* SPDX-License-Identifier: GPL-2.0-or-later */
/* state.h: the binding table in a file (option state_file, default /var/run/sipalg/state),
 * so that a restart, procd's respawn or a package upgrade costs no call and no registration.
 * Written as the table changes, at most once a second (once every few seconds for a table of
 * more than 10,000 records, up to 30 s: see save_interval), and at a clean stop; atomically (a
 * temporary file renamed over it), so that a reader never sees half of one. Read once at
 * start, before the bindings are installed. The text is alg/table_state.c's. */
#ifndef SIPALG_STATE_H
#define SIPALG_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "table.h"
#include "table_state.h"

struct state {
	const char *path;   /* NULL or "": no state file */
	char boot[TABLE_STATE_BOOT_MAX + 1]; /* this boot's id; "" when unreadable (a jail) */
	int64_t next;       /* no write before this second */
	int64_t written_at; /* the time the file's lifetimes are relative to */
	unsigned long activity; /* the caller's change count at the last look */
	int failing;        /* the last write failed (logged once until one works) */
	uint64_t written;   /* hash of the text written last (0: none yet) */
	size_t cap;
	char *buf;          /* the text: grows with the table, up to table_state_max() */
};

/* Reads this boot's id; 0, or -1 when out of memory (logged). */
int state_open(struct state *s, const char *path);
/* Fills the empty table from the file, at time now; logs what it restored or why not. A file
 * that is refused is renamed to PATH.bad (for a bug report) and the table stays empty.
 * Returns the number of bindings restored. */
size_t state_restore(struct state *s, struct alg_table *t, int64_t now);
/* Writes the table when it changed: at most once a second (longer for large tables) unless
 * force (a clean stop).
 * activity: any counter that moves when the table changes (the mirror's). */
void state_save(struct state *s, const struct alg_table *t, int64_t now, unsigned long activity, int force);
/* Whether a save is due soon: the table changed since the last look (the main loop then
 * wakes within a second). */
int state_pending(const struct state *s, unsigned long activity);
void state_close(struct state *s);

#endif
