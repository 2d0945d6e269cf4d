/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xlate.h: state of one translation, shared by the header and SDP rewriters. */
#ifndef SIPALG_XLATE_H
#define SIPALG_XLATE_H

#include "alg.h"
#include "sip_msg.h"
#include "splice.h"

/* Where an address sits inside a header value or URI. */
struct hostport {
	struct alg_span host;
	struct alg_span port;    /* digits; len 0 when the port is absent */
	uint16_t port_val;   /* 0 when absent */
	uint16_t dflt_port;  /* 5060, or 5061 for sips: and TLS */
	int ipv4;            /* host is an IPv4 literal ... */
	uint32_t ip;         /* ... with this value */
	int ipv6;            /* host is an IPv6 reference */
	/* Via only: the values of its received= and rport= parameters (len 0: absent, or a
	 * bare rport) */
	struct alg_span received, rport;
};

struct xlate {
	const struct alg_config *cfg;
	const struct alg_packet *pkt;
	const char *buf;
	struct sip_msg msg;
	struct splice edits;
	struct alg_result *res;
	struct alg_span call_id;
	uint32_t cseq;        /* the CSeq number */
	struct alg_span aor;  /* a REGISTER's To URI */
	uint16_t n_contacts;  /* SIP contacts seen in a 2xx to REGISTER */
	struct hostport ruri; /* requests: where the Request-URI's host is ... */
	int ruri_state;       /* ... when 0; 1: not a SIP URI */
	enum sip_hdr hdr;     /* the header being walked */
};

int xlate_is_lan(const struct xlate *x, uint32_t ip);
/* Outbound, a LAN address must be the sender's own; -1 (ALG_FOREIGN_ADDRESS) when not. */
int xlate_check_own(struct xlate *x, uint32_t ip);
/* A LAN phone wrote the router's own public address with port `port` itself (learned from
 * STUN or an earlier received=): 1 and the phone's endpoint behind it (the binding that has
 * that public port, or the phone's own port when it would get that public port); 0 when it
 * is not that (another address, a WAN message, an unknown sender, a port that is not the
 * phone's to have); -1 (ALG_FOREIGN_ADDRESS) when the port is another LAN host's binding. */
int xlate_own_public(struct xlate *x, uint32_t ip, uint16_t port, enum alg_port_kind kind,
		     struct alg_endpoint *priv);
uint16_t xlate_public_port(const struct xlate *x, struct alg_endpoint priv, enum alg_port_kind kind);
/* The private endpoint behind public port pub, or -1 when none is known. */
int xlate_private(const struct xlate *x, uint16_t pub, struct alg_endpoint *priv);

/* Edits; each returns -1 and sets res->reason when a limit is hit. */
int xlate_edit(struct xlate *x, struct alg_span where, const char *text, size_t len);
/* Inserts text of any length before offset off (split into several edits). */
int xlate_insert(struct xlate *x, uint32_t off, const char *text, size_t len);
int xlate_edit_addr(struct xlate *x, struct alg_span where, uint32_t ip);
int xlate_edit_port(struct xlate *x, struct alg_span where, uint16_t port);
struct alg_action *xlate_action(struct xlate *x, enum alg_action_kind kind);

static inline int xlate_fail(struct xlate *x, enum alg_reason r)
{
	x->res->reason = r;
	return -1;
}

/* sip_addr.c: find an address in a header value, cross-checked with libosip2. They return
 * 0 when found, 1 when the element names no SIP host (e.g. "*" or a tel: URI), -1 when
 * malformed. */
int via_locate(const char *buf, struct alg_span elem, struct hostport *hp);
int name_addr_locate(const char *buf, struct alg_span elem, enum sip_hdr id, struct hostport *hp,
		     uint32_t *expires);
int request_uri_locate(const char *buf, struct alg_span uri, struct hostport *hp);
/* "type/subtype" of a Content-Type value (lower case) and its boundary parameter. */
int content_type_read(const char *buf, struct alg_span value, char *type, size_t type_cap,
		      char *boundary, size_t boundary_cap);

/* sdp.c */
int sdp_translate_out(struct xlate *x, struct alg_span body);
int sdp_note_peer(struct xlate *x, struct alg_span body);

#endif
