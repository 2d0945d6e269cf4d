/* SPDX-License-Identifier: GPL-2.0-or-later */
/* alg.h: the SIP ALG translation core.
 *
 * Pure: message bytes, direction and the router's view of the flow come in; the translated
 * message and the bindings and pinholes it calls for come out. No sockets, no clock, no
 * globals of its own. Header values, URIs and SDP are parsed with libosip2; edits are spliced
 * into the original bytes, so everything that is not a LAN address (or a port bound to one)
 * stays byte-identical.
 */
#ifndef SIPALG_ALG_H
#define SIPALG_ALG_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

enum alg_direction {
	ALG_OUT, /* LAN to WAN: private addresses become public */
	ALG_IN,  /* WAN to LAN: what went out translated is restored */
};

/* A range of the input message. */
struct alg_span {
	uint32_t off;
	uint32_t len;
};

/* A NAT binding: this private ip:port is seen on the WAN as public_ip:pub_port. */
struct alg_binding {
	struct alg_endpoint priv;
	uint16_t pub_port;
};

enum alg_port_kind {
	ALG_PORT_SIGNALING,
	ALG_PORT_MEDIA,
};

/* Where the router's NAT puts private endpoints: the core asks, the caller decides (a fixed
 * list for sipalg-rewrite, the daemon's binding table for sipalgd). */
struct alg_nat {
	/* The public port for priv. */
	uint16_t (*public_port)(void *ctx, struct alg_endpoint priv, enum alg_port_kind kind);
	/* The private endpoint behind public port pub; -1 when none is known. */
	int (*private_endpoint)(void *ctx, uint16_t pub, struct alg_endpoint *priv);
	/* In a 2xx to REGISTER: 0 and the phone's endpoint when the REGISTER (Call-ID, CSeq
	 * number) had a Contact on public port pub that the ALG took, with *written the port the
	 * phone wrote with the router's public address itself (0: it wrote its private address);
	 * else -1, and the Contact is left as it is. NULL: whoever holds pub gets it back (no
	 * memory of requests, as in sipalg-rewrite). */
	int (*request_contact)(void *ctx, const char *msg, struct alg_span call_id, uint32_t cseq,
			       uint16_t pub, struct alg_endpoint *priv, uint16_t *written);
	/* The public port of priv's signaling binding, if it has one (nothing is made); -1 when
	 * none. NULL: none known (a request naming a LAN phone keeps its Request-URI). */
	int (*signaling_public)(void *ctx, struct alg_endpoint priv, uint16_t *pub);
	/* The LAN phone's media endpoint behind public port pub (a stream it announced); -1 when
	 * pub is no media binding. NULL: no media shortcut inside the LAN. */
	int (*media_private)(void *ctx, uint16_t pub, struct alg_endpoint *priv);
	void *ctx;
};

struct alg_config {
	const struct alg_net *lan; /* only addresses inside these are translated */
	size_t n_lan;
	uint32_t public_ip;
	/* With no public_port, every port is kept. Coming in, a public port nobody claims
	 * belongs to the packet's LAN destination, same port. */
	struct alg_nat nat;
	/* Limits; 0 takes the built-in maximum (65535 bytes, SIP_MAX_HEADERS headers). */
	size_t max_message_size;
	size_t max_headers;
	/* SIP servers on the LAN (an office PBX or proxy: the option lan_server). Their messages
	 * may name other LAN hosts, the phones they serve, whose addresses are then translated
	 * (bindings, pinholes) as if those phones had sent them; every other LAN host may name
	 * only itself (ALG_FOREIGN_ADDRESS). */
	const uint32_t *lan_servers;
	size_t n_lan_servers;
	/* The public ports the router's owner forwards to those servers (the SIP ports): with
	 * servers configured, no other host's binding takes one, or it would capture their
	 * forward. */
	const uint16_t *server_ports;
	size_t n_server_ports;
	/* A call that loops back into the LAN (both phones behind this router, through a provider
	 * or a PBX with a public address): the SDP a LAN phone receives naming another LAN phone's
	 * stream on the public address names that phone's private address and port instead, so
	 * the media stays inside the LAN (when both are in the same LAN network). The option
	 * direct_lan_media; 0: the media hairpins through the router. */
	int direct_lan_media;
	/* The public address is unknown (the router is behind another NAT that STUN did not
	 * reveal): no address is written, since none known would be true; messages pass as the
	 * phone wrote them, and the bindings and pinholes they call for are made all the same, so
	 * that a provider's own NAT handling (rport and received, nathelper, a media relay that
	 * latches on the source) finds this router's NAT open. public_ip is then the router's
	 * WAN address, where those bindings are. */
	int keep_addresses;
};

static inline int alg_is_lan_server(const struct alg_config *cfg, uint32_t ip)
{
	for (size_t i = 0; i < cfg->n_lan_servers; i++)
		if (cfg->lan_servers[i] == ip)
			return 1;
	return 0;
}

/* A fixed list of bindings as an alg_nat; ports without a binding are kept. */
struct alg_binding_list {
	const struct alg_binding *b;
	size_t n;
};
struct alg_nat alg_nat_list(struct alg_binding_list *list);

enum alg_transport {
	ALG_UDP,
	ALG_TCP, /* a message of a connection (the daemon's relay): responses come back over it */
};

struct alg_packet {
	const char *msg;
	size_t len;
	enum alg_direction dir;
	/* The flow as the router's forward path sees it (zero when unknown). Inbound, dst is
	 * the phone after the NAT undid its translation; over TCP, the phone's end of the
	 * connection. */
	struct alg_endpoint src, dst;
	enum alg_transport transport;
};

enum alg_reason {
	ALG_OK,               /* understood; translated where there was anything to translate */
	ALG_KEEPALIVE,        /* CRLF keep-alive, nothing to do */
	ALG_BAD_START_LINE,
	ALG_BAD_HEADER,
	ALG_NO_HEADER_END,
	ALG_TOO_MANY_HEADERS,
	ALG_BAD_CONTENT_LENGTH,
	ALG_NO_VIA,
	ALG_NO_CALL_ID,
	ALG_BAD_CSEQ,
	ALG_BAD_VIA,
	ALG_BAD_CONTACT,
	ALG_BAD_RECORD_ROUTE,
	ALG_BAD_ROUTE,
	ALG_BAD_REQUEST_URI,
	ALG_BAD_CONTENT_TYPE,
	ALG_BAD_MULTIPART,
	ALG_BAD_SDP,
	ALG_IPV6,             /* IPv6 is passed unchanged for now */
	ALG_TOO_MANY_EDITS,
	ALG_TOO_MANY_ACTIONS,
	ALG_NO_ROOM,          /* the translated message does not fit the output buffer */
	ALG_TOO_LARGE,        /* longer than max_message_size */
	ALG_FOREIGN_ADDRESS,  /* a LAN sender names another LAN host (policy: own address only) */
	/* Limits of the binding table (table_admit) */
	ALG_LIMIT_REGISTRATIONS,   /* signaling bindings per LAN host */
	ALG_LIMIT_DIALOGS,         /* concurrent calls */
	ALG_LIMIT_CALL_PINHOLES,   /* pinholes per call */
	ALG_LIMIT_HOST_PINHOLES,   /* pinholes per LAN host */
	ALG_LIMIT_PINHOLES,        /* pinholes in all */
	ALG_LIMIT_PINHOLE_RATE,    /* new pinholes per second per LAN host */
	ALG_TABLE_FULL,            /* no room left in the binding table */
	ALG_REASON_COUNT
};

enum alg_action_kind {
	ALG_ACT_SIGNALING,   /* keep priv reachable as public_ip:pub_port for signaling */
	ALG_ACT_MEDIA_OPEN,  /* a LAN phone announced a stream: pinhole + SNAT to its ports */
	ALG_ACT_MEDIA_PEER,  /* the far end announced where its stream is (narrows pinholes) */
	ALG_ACT_MEDIA_CLOSE, /* the dialog's media ends (BYE, CANCEL, failed final response) */
	ALG_ACT_REGISTERED,  /* the registrar accepted priv's contact for `expires` seconds */
	ALG_ACT_ANSWERED,    /* a 2xx answered an INVITE: the dialog is up */
	/* A LAN phone's REGISTER (call_id, cseq) asks for priv's Contact (written as pub_port)
	 * under the address of record `aor`; priv.port 0: "Contact: *", all of the host's. */
	ALG_ACT_REGISTER,
	/* A 2xx answered that REGISTER, listing n_contacts contacts: those of the phone that no
	 * REGISTERED action of the same message confirmed (listed, expires > 0) are no longer
	 * registered. */
	ALG_ACT_REGISTER_END,
	/* A LAN phone's SDP declines `stream` (port 0): its pinholes toward priv.ip go, at the
	 * answer when `offer` (a re-offer in an INVITE), else at once. */
	ALG_ACT_MEDIA_DECLINE,
};

struct alg_action {
	enum alg_action_kind kind;
	struct alg_span call_id;    /* media actions */
	struct alg_endpoint priv;   /* the phone's endpoint; MEDIA_PEER: far end's RTP */
	uint16_t pub_port;
	struct alg_endpoint rtcp;   /* media: RTCP endpoint; port 0 when RTCP is muxed */
	uint16_t rtcp_pub_port;
	uint8_t stream;             /* index of the m= line in its SDP body */
	char media[12];             /* m= media type, e.g. "audio" */
	uint8_t no_rtcp;            /* media: not RTP (m=image udptl: T.38 fax), so no RTCP */
	uint8_t offer;              /* MEDIA_OPEN, MEDIA_DECLINE: in an INVITE, an offer its answer
				     * may refuse */
	uint32_t expires;           /* REGISTER(ED) ... */
	uint32_t from;              /* ... the registrar that accepted it (and its port, ... */
	uint16_t from_port;         /* ... where keep-alives go) ... */
	uint32_t cseq;              /* ... the REGISTER's CSeq number (call_id: its Call-ID) ... */
	struct alg_span aor;        /* ... and its To URI (REGISTER) */
	uint16_t written_port;      /* REGISTER: the phone wrote the public address itself, with
				     * this port; its 2xx gives the Contact back so (0: private) */
	uint16_t n_contacts;        /* REGISTER_END: how many contacts the 2xx lists */
	uint16_t status;            /* MEDIA_CLOSE: the failed final response, or 0 ... */
	struct alg_span method;     /* ... and the request that ended it (BYE, CANCEL) */
};

#define ALG_MAX_ACTIONS 32

struct alg_result {
	enum alg_reason reason;
	int changed;     /* out holds a translated message of out_len bytes */
	size_t out_len;
	size_t n_actions;
	struct alg_action actions[ALG_MAX_ACTIONS];
};

/* Once per process, before alg_translate (initialises libosip2's parser tables). */
int alg_init(void);

/* Translates one message. When res->reason is not ALG_OK the message must pass unchanged and
 * no action is taken; when res->changed is 0 the original bytes are already right. out needs
 * room for the message plus growth (len + 1024 is ample). */
void alg_translate(const struct alg_config *cfg, const struct alg_packet *pkt, char *out,
		   size_t out_cap, struct alg_result *res);

/* The reason in the core's words ("too many calls"); the daemon names the limits after its
 * options. */
const char *alg_reason_str(enum alg_reason r);

/* One line describing an action (no newline), for logs, status and tests. */
size_t alg_action_format(const struct alg_action *a, const char *msg, uint32_t public_ip,
			 char *buf, size_t cap);

#endif
