/* SPDX-License-Identifier: GPL-2.0-or-later */
/* table_state.c: the binding table to text and back (see table_state.h). Part of the table
 * module: table_load fills the arrays of an empty table itself, and table.c's
 * table_place_binding and table_place_dialog keep its invariants (indexes, counts, a media
 * binding's dialog), so that it need not replay messages. The text comes from a file that anyone with the daemon's user could
 * have written: every field is checked, and a bad file is refused whole. */
#include "table_state.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"

/* Longest lifetime a table can hold: a registrar's Expires (32 bits) plus the grace, or an
 * idle time (32 bits); anything longer was not written by table_save. */
#define LIFETIME_MAX ((int64_t)1 << 34)

static int boot_known(const char *boot)
{
	return boot && *boot && strcmp(boot, "-") != 0;
}

/* A boot id as written: letters, digits and dashes, short (the kernel's is a UUID). */
static int boot_valid(const char *s, size_t n)
{
	if (n == 0 || n > TABLE_STATE_BOOT_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '-'))
			return 0;
	return 1;
}

struct out {
	char *buf;
	size_t cap, len;
	int full;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len)
		o->full = 1;
	else
		o->len += (size_t)n;
}

size_t table_state_max(const struct alg_table *t)
{
	size_t n = 128 + (size_t)t->cap.bindings * 100 + (size_t)t->cap.dialogs * 500;

	return n > TABLE_STATE_MAX ? n : TABLE_STATE_MAX;
}

size_t table_save(const struct alg_table *t, char *buf, size_t cap, int64_t now, const char *boot)
{
	static const char hex[] = "0123456789abcdef";
	struct out o = { buf, cap, 0, cap == 0 };
	int32_t *file_id = t->scratch; /* dialog slot -> its number in the file; -1: left out */
	const struct table_dialog *d;
	const struct table_binding *b;
	uint32_t n_dialogs = 0, n_bindings = 0;

	put(&o, "sipalg-state %d\nboot %s\nsaved %lld\n", TABLE_STATE_VERSION,
	    boot_known(boot) && boot_valid(boot, strlen(boot)) ? boot : "-", (long long)now);
	table_for_each_dialog(t, id, d) {
		char call_id[2 * TABLE_CALL_ID_MAX + 1];
		uint32_t n = d->call_id_len < TABLE_CALL_ID_MAX ? d->call_id_len : TABLE_CALL_ID_MAX;
		int64_t seen_ago = now - d->media_seen;

		file_id[id] = -1;
		if (d->expires <= now)
			continue; /* table_expire would remove it now */
		for (uint32_t i = 0; i < n; i++) {
			call_id[2 * i] = hex[(uint8_t)d->call_id[i] >> 4];
			call_id[2 * i + 1] = hex[(uint8_t)d->call_id[i] & 15];
		}
		call_id[2 * n] = '\0';
		file_id[id] = (int)n_dialogs;
		put(&o, "dialog %u %d %d %lld %lld %u %s", n_dialogs++, d->answered != 0, d->from_lan != 0,
		    (long long)(d->expires - now), (long long)(seen_ago > 0 ? seen_ago : 0), d->call_id_len,
		    n ? call_id : "-");
		for (size_t s = 0; s < TABLE_MAX_STREAMS; s++) {
			char ip[ADDR_STR_MAX];

			addr_format(d->peer[s], ip);
			put(&o, " %s", ip);
		}
		put(&o, "\n");
	}
	table_for_each_binding(t, slot, b) {
		char priv[ENDPOINT_STR_MAX], peer[ADDR_STR_MAX];

		if (b->expires <= now)
			continue;
		if (b->kind == ALG_PORT_MEDIA &&
		    (b->dialog < 0 || (size_t)b->dialog >= t->dialog_top || !t->dialog[b->dialog].in_use ||
		     file_id[b->dialog] < 0))
			continue; /* its call is over: table_expire takes it with the call */
		snprintf(priv, sizeof(priv), "%u.%u.%u.%u:%u", b->priv.ip >> 24, (b->priv.ip >> 16) & 255,
			 (b->priv.ip >> 8) & 255, b->priv.ip & 255, b->priv.port);
		addr_format(b->peer, peer);
		n_bindings++;
		if (b->kind == ALG_PORT_SIGNALING) {
			char registrar[ENDPOINT_STR_MAX] = "-";

			if (b->registered && b->registrar.ip && b->registrar.port)
				endpoint_format(&b->registrar, registrar);
			put(&o, "binding sig %s %u %s %d %lld %s\n", priv, b->pub_port, peer, b->registered != 0,
			    (long long)(b->expires - now), registrar);
		} else
			put(&o, "binding media %s %u %s %d %u %u %lld\n", priv, b->pub_port, peer,
			    file_id[b->dialog], b->stream, b->rtcp, (long long)(b->expires - now));
	}
	put(&o, "end %u %u\n", n_dialogs, n_bindings);
	return o.full ? 0 : o.len;
}

/* The reader: one line at a time, one field at a time. */
struct in {
	const char *p, *end;   /* the rest of the text */
	const char *field;     /* the last field read */
	size_t field_len;
	int line;
	int version;           /* the file's: version 1 has no registrar on a sig binding */
	char *err;
	size_t err_cap;
};

static int refuse(struct in *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refuse(struct in *r, const char *fmt, ...)
{
	char why[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(r->err, r->err_cap, "line %d: %s", r->line, why);
	return -1;
}

/* The next field of the line: bytes up to a space or the line's end. */
static int field(struct in *r)
{
	const char *s = r->p;

	while (s < r->end && *s != ' ' && *s != '\n')
		s++;
	r->field = r->p;
	r->field_len = (size_t)(s - r->p);
	if (r->field_len == 0)
		return refuse(r, r->p >= r->end ? "the text ends inside a record (truncated?)" : "a field is missing");
	r->p = s < r->end && *s == ' ' ? s + 1 : s;
	return 0;
}

static int field_is(struct in *r, const char *word)
{
	return r->field_len == strlen(word) && memcmp(r->field, word, r->field_len) == 0;
}

/* The line ends here. */
static int line_end(struct in *r)
{
	if (r->p >= r->end || *r->p != '\n')
		return refuse(r, r->p >= r->end ? "the line has no end (truncated?)" : "unexpected text");
	r->p++;
	r->line++;
	return 0;
}

static int number(struct in *r, uint64_t max, uint64_t *v)
{
	if (field(r))
		return -1;
	if (decimal_parse(r->field, r->field_len, 19, v) || *v > max)
		return refuse(r, "'%.*s': expected a number up to %llu", (int)(r->field_len > 24 ? 24 : r->field_len),
			      r->field, (unsigned long long)max);
	return 0;
}

static int flag(struct in *r, int *v)
{
	uint64_t n;

	if (number(r, 1, &n))
		return -1;
	*v = (int)n;
	return 0;
}

/* A remaining lifetime: positive and no longer than a table holds. */
static int lifetime(struct in *r, int64_t *v)
{
	uint64_t n;

	if (number(r, (uint64_t)LIFETIME_MAX, &n))
		return -1;
	if (n == 0)
		return refuse(r, "a lifetime of 0");
	*v = (int64_t)n;
	return 0;
}

static int address(struct in *r, uint32_t *ip)
{
	if (field(r))
		return -1;
	if (addr_parse(r->field, r->field_len, ip))
		return refuse(r, "expected an IPv4 address");
	return 0;
}

/* The field just read, as IP:PORT. */
static int endpoint_field(struct in *r, struct alg_endpoint *ep)
{
	const char *colon;
	uint64_t port;

	colon = memchr(r->field, ':', r->field_len);
	if (!colon || addr_parse(r->field, (size_t)(colon - r->field), &ep->ip) ||
	    decimal_parse(colon + 1, r->field_len - (size_t)(colon + 1 - r->field), 5, &port) || port > 65535)
		return refuse(r, "expected IP:PORT");
	ep->port = (uint16_t)port;
	return 0;
}

static int endpoint(struct in *r, struct alg_endpoint *ep)
{
	return field(r) ? -1 : endpoint_field(r, ep);
}

static int hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The loaded table, while it is checked: which dialogs are kept, by their number in the
 * file, and which public ports are taken. */
struct load {
	int32_t *slot_of; /* file number -> slot; -1: expired (the table's scratch) */
	uint32_t n_file_dialogs, n_file_bindings;
	uint8_t port_used[65536 / 8];
};

static int read_dialog(struct in *r, struct alg_table *t, struct load *l, int64_t saved, int64_t now,
		       struct table_state_counts *c)
{
	struct table_dialog d;
	uint64_t id = 0, n = 0, seen_ago = 0;
	int64_t expires_in = 0;
	uint32_t stored;

	memset(&d, 0, sizeof(d));
	if (number(r, UINT32_MAX, &id))
		return -1;
	if (id != l->n_file_dialogs)
		return refuse(r, "dialog %llu out of order (expected %u)", (unsigned long long)id, l->n_file_dialogs);
	if (l->n_file_dialogs == t->cap.dialogs)
		return refuse(r, "more than %u calls, what the table holds", t->cap.dialogs);
	if (flag(r, &d.answered) || flag(r, &d.from_lan) || lifetime(r, &expires_in) ||
	    number(r, (uint64_t)LIFETIME_MAX, &seen_ago) || number(r, 65535, &n))
		return -1;
	d.call_id_len = (uint32_t)n;
	stored = d.call_id_len < TABLE_CALL_ID_MAX ? d.call_id_len : TABLE_CALL_ID_MAX;
	if (field(r))
		return -1;
	if (stored == 0 ? !field_is(r, "-") : r->field_len != 2 * stored)
		return refuse(r, "the Call-ID's bytes do not match its length %u", d.call_id_len);
	for (uint32_t i = 0; i < stored; i++) {
		int hi = hex_digit(r->field[2 * i]), lo = hex_digit(r->field[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return refuse(r, "the Call-ID is not in lowercase hex");
		d.call_id[i] = (char)(hi << 4 | lo);
	}
	for (size_t s = 0; s < TABLE_MAX_STREAMS; s++)
		if (address(r, &d.peer[s]))
			return -1;
	if (line_end(r))
		return -1;
	if (table_find_call_id(t, d.call_id, d.call_id_len)) {
		r->line--;
		return refuse(r, "Call-ID of dialog %u given twice",
			      (unsigned)(table_find_call_id(t, d.call_id, d.call_id_len) - t->dialog));
	}
	l->slot_of[l->n_file_dialogs++] = -1;
	d.expires = saved + expires_in;
	d.media_seen = saved - (int64_t)seen_ago;
	if (d.expires <= now) {
		c->expired++;
		return 0;
	}
	/* A call not answered when the file was written may have ended, or been answered,
	 * while nobody watched; only answered calls end by the media timeout. It lives as
	 * long as an INVITE may ring (Timer C) unless its answer comes through meanwhile:
	 * its pinholes do not stay open for the dialog's whole idle time. */
	if (!d.answered && d.expires > now + TABLE_UNCONFIRMED_IDLE)
		d.expires = now + TABLE_UNCONFIRMED_IDLE;
	d.in_use = 1;
	l->slot_of[id] = (int32_t)t->dialog_top;
	t->dialog[t->dialog_top] = d;
	table_place_dialog(t, t->dialog_top);
	c->calls++;
	return 0;
}

/* A registered binding's registrar, where its keep-alives go (version 2 on): IP:PORT, or "-"
 * when unknown or not registered. */
static int registrar(struct in *r, struct table_binding *b)
{
	if (field(r))
		return -1;
	if (field_is(r, "-"))
		return 0;
	if (endpoint_field(r, &b->registrar))
		return -1;
	if (!b->registrar.ip || !b->registrar.port)
		return refuse(r, "a registrar at address or port 0");
	if (!b->registered)
		return refuse(r, "a registrar for a binding no registrar accepted");
	return 0;
}

static int read_binding(struct in *r, struct alg_table *t, struct load *l, int64_t saved, int64_t now,
			struct table_state_counts *c)
{
	struct table_binding b;
	uint64_t n = 0, dialog_id = 0, stream = 0;
	int64_t expires_in = 0;
	int rtcp = 0;

	memset(&b, 0, sizeof(b));
	if (l->n_file_bindings == t->cap.bindings)
		return refuse(r, "more than %u bindings, what the table holds", t->cap.bindings);
	if (field(r))
		return -1;
	if (field_is(r, "sig"))
		b.kind = ALG_PORT_SIGNALING;
	else if (field_is(r, "media"))
		b.kind = ALG_PORT_MEDIA;
	else
		return refuse(r, "binding: expected sig or media");
	if (endpoint(r, &b.priv) || number(r, 65535, &n) || address(r, &b.peer))
		return -1;
	b.pub_port = (uint16_t)n;
	b.dialog = -1;
	if (b.kind == ALG_PORT_SIGNALING) {
		if (flag(r, &b.registered))
			return -1;
		/* The setting of this start decides: under 'anyone' a registered phone takes
		 * calls from anyone, not only from the registrar that the last instance noted. */
		if (t->cfg.inbound_calls != INBOUND_REGISTRAR)
			b.peer = 0;
	} else {
		if (number(r, UINT32_MAX, &dialog_id) || number(r, 255, &stream) || flag(r, &rtcp))
			return -1;
		if (dialog_id >= l->n_file_dialogs)
			return refuse(r, "media binding of dialog %llu, which the file does not have",
				      (unsigned long long)dialog_id);
		b.stream = (uint8_t)stream;
		b.rtcp = (uint8_t)rtcp;
	}
	if (lifetime(r, &expires_in))
		return -1;
	if (b.kind == ALG_PORT_SIGNALING && r->version >= 2 && registrar(r, &b))
		return -1;
	if (line_end(r))
		return -1;
	r->line--; /* what follows is about the line just read */
	l->n_file_bindings++;
	/* Unique, as the table keeps them: two bindings on one public port, or two for one
	 * private endpoint, would send a flow to the wrong phone. Public ports of every record
	 * (table_save never repeats one); endpoints and streams against the kept bindings. */
	if (l->port_used[b.pub_port / 8] & (1u << (b.pub_port % 8)))
		return refuse(r, "public port %u given twice", b.pub_port);
	l->port_used[b.pub_port / 8] |= (uint8_t)(1u << (b.pub_port % 8));
	if (table_find_private(t, b.priv))
		return refuse(r, "private endpoint given twice");
	if (b.kind == ALG_PORT_MEDIA && l->slot_of[dialog_id] >= 0)
		for (uint32_t s = t->dialog[l->slot_of[dialog_id]].first_binding; s; s = t->bind[s - 1].next_in_dialog) {
			const struct table_binding *o = &t->bind[s - 1];

			if (o->kind == ALG_PORT_MEDIA && o->stream == b.stream && o->rtcp == b.rtcp &&
			    o->priv.ip == b.priv.ip)
				return refuse(r, "stream %u of that phone given twice in one dialog", b.stream);
		}
	r->line++;
	b.expires = saved + expires_in;
	if (b.kind == ALG_PORT_MEDIA) {
		int slot = l->slot_of[dialog_id];

		if (slot < 0 || b.expires <= now) { /* its call, or itself, ended meanwhile */
			c->expired++;
			return 0;
		}
		if (!t->dialog[slot].from_lan) {
			r->line--;
			return refuse(r, "a pinhole in a call no LAN phone is in");
		}
		b.dialog = slot;
	} else if (b.expires <= now) {
		c->expired++;
		return 0;
	}
	b.in_use = 1;
	t->bind[t->bind_top] = b;
	table_place_binding(t, t->bind_top);
	if (b.kind == ALG_PORT_MEDIA)
		c->pinholes++;
	else {
		c->signaling++;
		c->registrations += b.registered != 0;
	}
	return 0;
}

static int read_header(struct in *r, int64_t now, const char *boot, int64_t *saved)
{
	uint64_t v;

	if (field(r) || !field_is(r, "sipalg-state"))
		return refuse(r, "not a sipalg state file");
	if (number(r, UINT32_MAX, &v))
		return -1;
	if (v < 1 || v > TABLE_STATE_VERSION)
		return refuse(r, "version %llu, this sipalgd reads versions 1 to %d", (unsigned long long)v,
			      TABLE_STATE_VERSION);
	r->version = (int)v;
	if (line_end(r) || field(r) || !field_is(r, "boot") || field(r))
		return r->line == 2 ? refuse(r, "expected boot ID") : -1;
	if (!field_is(r, "-") && !boot_valid(r->field, r->field_len))
		return refuse(r, "a malformed boot id");
	if (!field_is(r, "-") && boot_known(boot) &&
	    (strlen(boot) != r->field_len || memcmp(boot, r->field, r->field_len) != 0))
		return refuse(r, "written before the machine restarted (boot %.*s, now %.36s)",
			      (int)r->field_len, r->field, boot);
	if (line_end(r) || field(r) || !field_is(r, "saved"))
		return r->line == 3 ? refuse(r, "expected saved TIME") : -1;
	if (number(r, INT64_MAX / 4, &v))
		return -1;
	if ((int64_t)v > now)
		return refuse(r, "written at %llu, later than now (%lld): another boot's clock",
			      (unsigned long long)v, (long long)now);
	*saved = (int64_t)v;
	return line_end(r);
}

static int read_all(struct in *r, struct alg_table *t, struct load *l, int64_t now, const char *boot,
		    struct table_state_counts *c)
{
	int64_t saved = 0;
	uint64_t nd = 0, nb = 0;
	int bindings = 0;

	if (read_header(r, now, boot, &saved))
		return -1;
	for (;;) {
		if (r->p >= r->end)
			return refuse(r, "no end line (truncated?)");
		if (field(r))
			return -1;
		if (field_is(r, "dialog")) {
			if (bindings)
				return refuse(r, "a dialog after the bindings");
			if (read_dialog(r, t, l, saved, now, c))
				return -1;
		} else if (field_is(r, "binding")) {
			bindings = 1;
			if (read_binding(r, t, l, saved, now, c))
				return -1;
		} else if (field_is(r, "end")) {
			break;
		} else {
			return refuse(r, "unknown record '%.*s'", (int)(r->field_len > 16 ? 16 : r->field_len), r->field);
		}
	}
	if (number(r, UINT32_MAX, &nd) || number(r, UINT32_MAX, &nb) || line_end(r))
		return -1;
	if (nd != l->n_file_dialogs || nb != l->n_file_bindings) {
		r->line--;
		return refuse(r, "the end line counts %llu dialogs and %llu bindings, the file has %u and %u",
			      (unsigned long long)nd, (unsigned long long)nb, l->n_file_dialogs,
			      l->n_file_bindings);
	}
	if (r->p != r->end)
		return refuse(r, "text after the end line");
	return 0;
}

int table_load(struct alg_table *t, const char *buf, size_t len, int64_t now, const char *boot,
	       struct table_state_counts *counts, char *err, size_t err_cap)
{
	struct in r = { buf, buf + len, NULL, 0, 1, 0, err, err_cap };
	struct table_state_counts c = { 0 };
	struct load l; /* about 8 KiB, on the stack: no globals, no allocation */
	size_t slot = 0, id = 0;

	if (err_cap)
		err[0] = '\0';
	if (table_binding_at(t, &slot) || table_dialog_at(t, &id)) {
		snprintf(err, err_cap, "the table is not empty");
		return -1;
	}
	table_empty(t); /* slots above the tops may hold old, unused records */
	if (len > table_state_max(t)) {
		snprintf(err, err_cap, "larger than %zu bytes", table_state_max(t));
		return -1;
	}
	memset(&l, 0, sizeof(l));
	l.slot_of = t->scratch;
	if (read_all(&r, t, &l, now, boot, &c)) {
		table_empty(t);
		return -1;
	}
	if (counts)
		*counts = c;
	return 0;
}
