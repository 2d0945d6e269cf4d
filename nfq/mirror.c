/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mirror.c: the table's changes into nftables and conntrack (see mirror.h). */
#include "mirror.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

static int64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The one way to a backend in line with the table: open our nftables table (replacing what
 * is there) and install every binding of the daemon's state. */
static int reopen(struct mirror *m)
{
	nft_free(m->nft);
	m->nft = nft_open(m->wan, m->public_ip, m->table->cap.bindings);
	if (m->nft && nft_resync(m->nft, m->table, m->public_ip, m->now) == 0)
		return 0;
	log_err("nftables: could not restore the bindings");
	return -1;
}

int mirror_open(struct mirror *m, struct alg_table *t, const char *wan, uint32_t public_ip)
{
	m->table = t;
	m->wan = wan;
	m->public_ip = public_ip;
	m->keys = calloc(t->cap.bindings, sizeof(*m->keys));
	m->seen = calloc(t->cap.bindings, sizeof(*m->seen));
	m->dialog_of = calloc(t->cap.bindings, sizeof(*m->dialog_of));
	if (!m->keys || !m->seen || !m->dialog_of) {
		log_err("out of memory for %u bindings", t->cap.bindings);
		return -1;
	}
	m->nft = nft_open(wan, public_ip, t->cap.bindings);
	return m->nft ? 0 : -1;
}

/* A media binding starts and ends with no flow through its ports: the last packets of an
 * earlier call on the same ports, after its BYE, leave flows that the NAT made without the
 * bindings (masqueraded to another port, or addressed to the router itself); while the new
 * call's media keeps them alive, it would never meet its bindings. */
void mirror_change(void *ctx, size_t slot, const struct table_binding *b, enum table_change c)
{
	struct mirror *m = ctx;

	m->changes++;
	if (m->nft)
		nft_mirror(m->nft, slot, b, c, m->public_ip, m->now);
	if (m->nft && m->sig_ports)
		nft_sig_change(m->nft, slot, b, c);
	if ((c == TABLE_REMOVED || c == TABLE_ADDED) && b->kind == ALG_PORT_MEDIA &&
	    m->n_closed < MIRROR_MAX_CLOSED)
		m->closed[m->n_closed++] = (struct ct_flow_key){ b->priv, { m->public_ip, b->pub_port } };
}

/* The diversion's set of public signaling ports (see nft.h): what changed (whole: every few
 * seconds, when it is not the set last written). Logged when it goes missing and when it is
 * back. */
static void sync_sig_ports(struct mirror *m, int whole)
{
	int missing;

	if (!m->sig_ports || !m->nft)
		return;
	missing = (whole ? nft_sig_check : nft_sig_flush)(m->nft, m->table, m->now) != 0;
	if (missing && !m->sig_missing)
		log_notice("nftables: set inet %s %s not there: servers cannot open SIP/TCP connections "
			   "to phones (is sipalg-firewall diverting TCP?)", NFT_DIVERT_TABLE, NFT_DIVERT_SET);
	else if (!missing && m->sig_missing)
		log_notice("nftables: set inet %s %s filled", NFT_DIVERT_TABLE, NFT_DIVERT_SET);
	m->sig_missing = missing;
}

/* The messages' bindings go again, the last message's first: a later message may have
 * taken a slot that an earlier one's binding left (closed in between). */
static void undo_all(struct table_txn *txn, size_t n_txn)
{
	while (n_txn--)
		table_undo(&txn[n_txn]);
}

/* Refusals are logged at 1, 10, 100, ... */
int mirror_commit(struct mirror *m, struct table_txn *txn, size_t n_txn)
{
	unsigned long n;

	if (!m->nft && reopen(m)) { /* lost earlier: try again */
		undo_all(txn, n_txn);
		return -1;
	}
	if (nft_commit(m->nft) == 0) {
		for (size_t i = 0; i < n_txn; i++)
			table_commit(&txn[i]);
		if (!n_txn)
			sync_sig_ports(m, 0); /* after the verdicts, as refreshes are */
		return 0;
	}
	n = ++m->refusals;
	while (n % 10 == 0)
		n /= 10;
	if (n == 1)
		log_warn("nftables refused a change (%s); %s (%lu refusals so far)", nft_last_error(m->nft),
			 n_txn > 1 ? "the messages of the batch pass untranslated" : "the message passes untranslated",
			 m->refusals);
	undo_all(txn, n_txn);
	/* In place, or as a new table when the one there cannot take them (someone replaced it). */
	if (nft_resync(m->nft, m->table, m->public_ip, m->now))
		reopen(m);
	return -1;
}

/* The restored bindings are not reported as added: their media flows, which carry the calls
 * that went on while the daemon was away, must not be forgotten (see mirror_change). */
int mirror_install(struct mirror *m)
{
	if (m->nft && nft_resync(m->nft, m->table, m->public_ip, m->now) == 0)
		return 0;
	return reopen(m);
}

void mirror_keep(struct mirror *m)
{
	/* the set too: refilled after the firewall re-created it */
	sync_sig_ports(m, 1);
	if (!m->nft || nft_table_exists(m->nft) != 0)
		return;
	log_warn("nftables: table ip %s was deleted from outside; rebuilding it", NFT_TABLE_NAME);
	reopen(m);
}

void mirror_set_public_ip(struct mirror *m, uint32_t public_ip)
{
	m->public_ip = public_ip;
	if (reopen(m))
		log_err("nftables: could not rebuild the bindings on the new address");
}

/* A dump costs milliseconds on a busy router: too much to pay before each BYE's verdict. */
size_t mirror_take_closed(struct mirror *m, int force, struct ct_flow_key *out)
{
	int64_t now = monotonic_ms();
	size_t n = m->n_closed;

	if (!n || (!force && now < m->next_forget_ms && n < MIRROR_MAX_CLOSED * 3 / 4))
		return 0;
	if (out != m->closed)
		memcpy(out, m->closed, n * sizeof(*out));
	m->n_closed = 0;
	m->next_forget_ms = now + 500;
	return n;
}

void mirror_forget_flows(struct mirror *m, int force)
{
	size_t n = mirror_take_closed(m, force, m->closed);

	ct_forget(m->closed, n);
}

void mirror_watch_media(struct mirror *m)
{
	const struct table_binding *b;
	size_t n = 0;

	table_for_each_binding(m->table, slot, b) {
		if (b->kind != ALG_PORT_MEDIA)
			continue;
		m->keys[n] = (struct ct_flow_key){ b->priv, { m->public_ip, b->pub_port } };
		m->dialog_of[n++] = b->dialog;
	}
	memset(m->seen, 0, n);
	if (n == 0 || ct_seen(m->keys, n, m->seen))
		return;
	for (size_t i = 0; i < n; i++)
		if (m->seen[i])
			table_media_seen(m->table, m->dialog_of[i], m->now);
}

void mirror_close(struct mirror *m)
{
	mirror_forget_flows(m, 1);
	if (m->sig_ports && m->nft)
		nft_sig_clear(m->nft); /* no relay listens any more */
	nft_close(m->nft); /* the table, and every binding and pinhole in it, goes */
	m->nft = NULL;
	free(m->keys);
	free(m->seen);
	free(m->dialog_of);
	m->keys = NULL;
	m->seen = NULL;
	m->dialog_of = NULL;
}
