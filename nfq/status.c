/* SPDX-License-Identifier: GPL-2.0-or-later */
/* status.c: counters, registrations, dialogs and pinholes with their expiry. */
#include "status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config.h"

struct out {
	char *buf;
	size_t cap, len;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->len >= o->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len = o->len + (size_t)n < o->cap ? o->len + (size_t)n : o->cap - 1;
}

/* A Call-ID as it may be printed: JSON-escaped, nothing unprintable. */
static void call_id(const struct table_dialog *d, char *dst, size_t cap)
{
	size_t n = d->call_id_len < TABLE_CALL_ID_MAX ? d->call_id_len : TABLE_CALL_ID_MAX, w = 0;

	for (size_t i = 0; i < n && w + 3 < cap; i++) {
		char c = d->call_id[i];

		if (c == '"' || c == '\\')
			dst[w++] = '\\';
		dst[w++] = c > 0x20 && c < 0x7f ? c : '?';
	}
	dst[w] = '\0';
}

/* A binding's private endpoint, and whom it accepts traffic from. */
static void binding_text(const struct table_binding *b, char *priv, char *peer)
{
	endpoint_format(&b->priv, priv);
	if (b->peer)
		addr_format(b->peer, peer);
	else
		strcpy(peer, "any");
}

/* The LAN servers, each with the calls it carries (appended: the sections above stay as
 * scripts know them). */
static void lan_servers(const struct status_view *v, int json, struct out *o)
{
	const struct table_dialog *d;
	char addr[ADDR_STR_MAX], id[TABLE_CALL_ID_MAX * 2 + 1];

	if (!v->n_lan_servers)
		return;
	put(o, json ? "],\"lan_servers\":[" : "LAN SIP servers and the calls they carry:\n");
	for (size_t i = 0; i < v->n_lan_servers; i++) {
		const char *sep = "";
		unsigned n = 0;

		addr_format(v->lan_servers[i], addr);
		table_for_each_dialog(v->table, di, d)
			n += d->server == v->lan_servers[i];
		if (json)
			put(o, "%s{\"address\":\"%s\",\"calls\":[", i ? "," : "", addr);
		else
			put(o, "  %s: %u call%s\n", addr, n, n == 1 ? "" : "s");
		table_for_each_dialog(v->table, di, d) {
			if (d->server != v->lan_servers[i])
				continue;
			call_id(d, id, sizeof(id));
			if (json)
				put(o, "%s\"%s\"", sep, id);
			else
				put(o, "    call %s (%s)\n", id, d->answered ? "answered" : "ringing");
			sep = ",";
		}
		if (json)
			put(o, "]}");
	}
}

static const char *const counter_names[] = {
	"packets", "translated", "unchanged", "not_sip_udp", "fragments", "malformed", "errors", "nftables_errors",
};

static const char *const tcp_counter_names[] = {
	"accepted", "outbound", "inbound", "messages", "translated", "unchanged", "keepalives",
	"passthrough", "passthrough_bytes", "tls", "websocket", "idle_closed", "resets", "over_buffer", "backpressure", "errors",
};

/* SIP over TCP: the relay's counters per kind and reason, and each connection. Every JSON key
 * and text line of its own says tcp, so that what scripts read of the UDP side (a key, a
 * "unchanged: REASON: N" line, a binding's line) still names one thing only. */
static void tcp_status(struct out *o, const struct tcp_relay *r, int64_t tls_connections, int json,
		       int64_t now)
{
	const struct tcp_counters *c = &r->count;
	const unsigned long values[] = { c->accepted, c->outbound, c->inbound, c->messages, c->translated,
					 c->unchanged, c->keepalives, c->passthrough, c->passthrough_bytes,
					 c->tls, c->websocket, c->idle_closed, c->resets, c->over_buffer, c->backpressure, c->errors };
	char phone[ENDPOINT_STR_MAX], server[ENDPOINT_STR_MAX];
	struct tcp_conn_view cv;
	const char *sep = "";

	put(o, json ? ",\"tcp\":{\"tcp_listen\":\"127.0.0.1:%u\",\"tcp_counters\":{" :
		      "SIP over TCP (relay on 127.0.0.1:%u):\n", r->port);
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		put(o, json ? "%s\"tcp_%s\":%lu" : "%s  tcp %-17s %lu\n", json && i ? "," : "", tcp_counter_names[i],
		    values[i]);
	/* Nobody on the path can read SIP over TLS: the firewall counts its connections, which
	 * pass untouched (null when it counts none: an older firewall script, no nft). */
	if (json && tls_connections >= 0)
		put(o, ",\"tcp_tls_connections\":%lld", (long long)tls_connections);
	else if (json)
		put(o, ",\"tcp_tls_connections\":null");
	else if (tls_connections >= 0)
		put(o, "  tcp tls_connections   %lld (port 5061: forwarded untouched)\n", (long long)tls_connections);
	put(o, json ? "},\"tcp_refused\":{" : "");
	for (int i = 0; i < TCP_REFUSAL_COUNT; i++) {
		if (!c->refused[i])
			continue;
		put(o, json ? "%s\"%s\":%lu" : "%s  tcp refused (%s): %lu\n", json ? sep : "",
		    tcp_refusal_str((enum tcp_refusal)i), c->refused[i]);
		sep = ",";
	}
	put(o, json ? "},\"tcp_unchanged_by_reason\":{" : "");
	sep = "";
	for (int i = 1; i < ALG_REASON_COUNT; i++) {
		if (!c->reasons[i])
			continue;
		put(o, json ? "%s\"%s\":%lu" : "%s  tcp unchanged (%s): %lu\n", json ? sep : "",
		    config_reason_str((enum alg_reason)i), c->reasons[i]);
		sep = ",";
	}
	put(o, json ? "},\"tcp_passthrough_by_reason\":{" : "");
	sep = "";
	for (int i = 1; i < ALG_REASON_COUNT; i++) {
		if (!c->broken[i])
			continue;
		put(o, json ? "%s\"%s\":%lu" : "%s  tcp passthrough (%s): %lu\n", json ? sep : "",
		    config_reason_str((enum alg_reason)i), c->broken[i]);
		sep = ",";
	}
	put(o, json ? "},\"tcp_connections\":[" : "tcp connections (phone <-> server, bytes from each, age):\n");
	sep = "";
	for (size_t i = 0; tcp_relay_conn_at(r, i, &cv) == 0; i++) {
		const char *state = cv.connecting ? "connecting" : cv.passthrough ? "passthrough" : "translated";

		endpoint_format(&cv.phone, phone);
		endpoint_format(&cv.server, server);
		if (json)
			put(o, "%s{\"tcp_phone\":\"%s\",\"tcp_server\":\"%s\",\"tcp_inbound\":%s,\"tcp_from_phone\":%llu,"
			    "\"tcp_from_server\":%llu,\"tcp_age\":%lld,\"tcp_state\":\"%s\"}", sep, phone, server,
			    cv.inbound ? "true" : "false", cv.from_phone, cv.from_server,
			    (long long)(now - cv.started), state);
		else
			put(o, "  tcp %-21s %s %-21s %llu/%llu bytes %llds %s%s\n", phone, cv.inbound ? "<-" : "->",
			    server, cv.from_phone, cv.from_server, (long long)(now - cv.started), state,
			    cv.inbound ? " (server's connection)" : "");
		sep = ",";
	}
	if (json)
		put(o, "]}");
}

/* Behind another NAT: where the public address comes from, STUN and keep-alives. */
static void outer_nat_text(const struct status_view *v, struct out *o)
{
	char line[320], srv[ENDPOINT_STR_MAX], seen[ENDPOINT_STR_MAX];

	if (!v->outer->behind)
		return;
	outer_nat_describe(v->outer, line, sizeof(line));
	put(o, "%s\n", line);
	if (v->stun->fd >= 0) {
		endpoint_format(&v->stun->server, srv);
		endpoint_format(&v->stun->mapped, seen);
		if (v->stun->mapped.ip)
			put(o, "stun %s: seen as %s %llds ago;", srv, seen, (long long)(v->now - v->stun->answered));
		else
			put(o, "stun %s: no answer yet;", srv);
		put(o, " %lu requests, %lu answers, %lu rounds unanswered, %lu bad\n", v->stun->requests,
		    v->stun->answers, v->stun->rounds_failed, v->stun->bad);
	}
	if (v->keepalive_interval)
		put(o, "keep-alives every %us: %lu sent, %lu failed\n", v->keepalive_interval, v->keepalives,
		    v->keepalive_failed);
	else
		put(o, "keep-alives: off (keepalive_interval 0)\n");
}

static void outer_nat_json(const struct status_view *v, struct out *o)
{
	char wan[ADDR_STR_MAX], srv[ENDPOINT_STR_MAX] = "", seen[ENDPOINT_STR_MAX] = "";

	addr_format(v->outer->wan_ip, wan);
	if (v->stun->fd >= 0)
		endpoint_format(&v->stun->server, srv);
	if (v->stun->mapped.ip)
		endpoint_format(&v->stun->mapped, seen);
	put(o, "\"wan_address\":\"%s\",\"behind_nat\":%s,\"public_source\":\"%s\",\"stun_server\":\"%s\","
	    "\"stun_mapped\":\"%s\",\"stun_requests\":%lu,\"stun_answers\":%lu,\"keepalive_interval\":%u,"
	    "\"keepalives\":%lu,\"keepalive_failed\":%lu,", wan, v->outer->behind ? "true" : "false",
	    outer_nat_source_name(v->outer->source), srv, seen, v->stun->requests, v->stun->answers,
	    v->keepalive_interval, v->keepalives, v->keepalive_failed);
}

/* What the table holds: signaling bindings, those registered, pinholes, dialogs. They come
 * first, so that a script has them even when the listings below overflow the reply. */
static void held_count(const struct alg_table *t, unsigned held[4])
{
	const struct table_binding *b;
	const struct table_dialog *d;

	memset(held, 0, 4 * sizeof(held[0]));
	table_for_each_binding(t, slot, b) {
		held[b->kind == ALG_PORT_SIGNALING ? 0 : 2]++;
		held[1] += b->kind == ALG_PORT_SIGNALING && b->registered;
	}
	table_for_each_dialog(t, di, d)
		held[3]++;
}

size_t status_format(const struct status_view *v, int json, char *buf, size_t cap)
{
	const struct counters *c = v->count;
	const unsigned long values[] = { c->seen,     c->translated, c->unchanged, c->not_sip_udp,
					 c->fragments, c->malformed, c->errors,    v->nft_refusals };
	const struct alg_table *t = v->table;
	const struct table_binding *b;
	const struct table_dialog *d;
	struct out o = { buf, cap, 0 };
	char pub[ADDR_STR_MAX], priv[ENDPOINT_STR_MAX], peer[ADDR_STR_MAX], id[TABLE_CALL_ID_MAX * 2 + 1];
	const char *sep = "";
	unsigned held[4];

	buf[0] = '\0';
	addr_format(v->public_ip, pub);
	held_count(t, held);
	if (json) {
		put(&o, "{\"wan\":\"%s\",\"lan\":\"%s\",\"public\":\"%s\",", v->wan, v->lan, pub);
		outer_nat_json(v, &o);
		put(&o, "\"held\":{\"signaling\":%u,\"registered\":%u,\"pinholes\":%u,\"dialogs\":%u},\"counters\":{",
		    held[0], held[1], held[2], held[3]);
	} else {
		put(&o, "sipalgd: wan %s (public %s), lan %s\n", v->wan,
		    v->outer->source == PUBLIC_UNKNOWN ? "unknown" : pub, v->lan);
		outer_nat_text(v, &o);
		put(&o, "held: %u signaling bindings (%u registered), %u pinholes, %u dialogs\n", held[0], held[1],
		    held[2], held[3]);
		put(&o, "counters:\n");
	}
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		if (json)
			put(&o, "%s\"%s\":%lu", i ? "," : "", counter_names[i], values[i]);
		else
			put(&o, "  %-16s %lu\n", counter_names[i], values[i]);
	}
	if (json)
		put(&o, "},\"unchanged_by_reason\":{");
	for (int r = 1; r < ALG_REASON_COUNT; r++) {
		if (!c->reasons[r])
			continue;
		if (json)
			put(&o, "%s\"%s\":%lu", sep, config_reason_str((enum alg_reason)r), c->reasons[r]);
		else
			put(&o, "  unchanged: %s: %lu\n", config_reason_str((enum alg_reason)r), c->reasons[r]);
		sep = ",";
	}

	/* signaling bindings, registered or not */
	put(&o, json ? "},\"signaling\":[" : "signaling bindings (private -> public, expires in):\n");
	sep = "";
	table_for_each_binding(t, slot, b) {
		if (b->kind != ALG_PORT_SIGNALING)
			continue;
		binding_text(b, priv, peer);
		if (json)
			put(&o, "%s{\"private\":\"%s\",\"public_port\":%u,\"registered\":%s,\"from\":\"%s\",\"expires_in\":%lld}",
			    sep, priv, b->pub_port, b->registered ? "true" : "false", peer, (long long)(b->expires - v->now));
		else
			put(&o, "  %-21s -> %s:%-5u %6llds%s from %s\n", priv, pub, b->pub_port,
			    (long long)(b->expires - v->now), b->registered ? "  registered," : "", peer);
		sep = ",";
	}

	put(&o, json ? "],\"dialogs\":[" : "dialogs and their media pinholes:\n");
	sep = "";
	table_for_each_dialog(t, di, d) {
		const char *psep = "";

		call_id(d, id, sizeof(id));
		if (json)
			put(&o, "%s{\"call_id\":\"%s\",\"answered\":%s,\"lan_phone\":%s,\"expires_in\":%lld,\"pinholes\":[",
			    sep, id, d->answered ? "true" : "false", d->from_lan ? "true" : "false",
			    (long long)(d->expires - v->now));
		else
			put(&o, "  call %s (%s, expires in %llds)\n", id,
			    d->answered ? "answered" : d->from_lan ? "ringing" : "offered from the WAN, no pinhole",
			    (long long)(d->expires - v->now));
		table_for_each_media(t, d, b) {
			unsigned stream = b->stream & ~TABLE_STREAM_REPLACED;
			int replaced = (b->stream & TABLE_STREAM_REPLACED) != 0;

			binding_text(b, priv, peer);
			if (json)
				put(&o, "%s{\"stream\":%u,\"rtcp\":%s,\"private\":\"%s\",\"public_port\":%u,\"from\":\"%s\"%s}",
				    psep, stream, b->rtcp ? "true" : "false", priv, b->pub_port, peer,
				    replaced ? ",\"replaced\":true" : "");
			else
				put(&o, "    %s %u: %s:%u -> %s from %s%s\n", b->rtcp ? "rtcp" : "rtp ", stream, pub,
				    b->pub_port, priv, peer, replaced ? " (replaced once the re-offer is answered)" : "");
			psep = ",";
		}
		if (json)
			put(&o, "]}");
		sep = ",";
	}
	lan_servers(v, json, &o);
	if (json)
		put(&o, "]");
	if (v->tcp)
		tcp_status(&o, v->tcp, v->tls_connections, json, v->now);
	if (json)
		put(&o, "}\n");
	return o.len;
}
