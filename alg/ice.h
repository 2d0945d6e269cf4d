/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ice.h: ICE candidates in SDP (RFC 8839 5.1), and the candidate that names the router's
 * mapping of a LAN phone's stream (priority per RFC 8445 5.1.2). */
#ifndef SIPALG_ICE_H
#define SIPALG_ICE_H

#include <stddef.h>

#include "alg.h"

enum ice_type {
	ICE_HOST,
	ICE_SRFLX, /* server reflexive: a STUN server told the phone its public mapping */
	ICE_PRFLX, /* peer reflexive: learnt from a peer's check */
	ICE_RELAY, /* a TURN server relays for the phone */
	ICE_OTHER, /* an extension type */
};

struct ice_candidate {
	uint16_t component; /* 1 RTP, 2 RTCP */
	uint32_t priority;
	enum ice_type type;
};

/* Reads the n fields of an a=candidate value (after "candidate:"): foundation, component-id,
 * transport, priority, connection-address, port, "typ", cand-type and what follows. 0, or -1
 * when they do not follow the grammar. */
int ice_candidate_read(const char *buf, const struct alg_span *f, size_t n, struct ice_candidate *c);

/* The longest line ice_mapped_line writes, line end included. */
#define ICE_LINE_MAX 128

/* The a=candidate line (ended by eol) of a server-reflexive candidate: the router's public
 * ip:pub_port for the phone's base endpoint. Returns its length. */
size_t ice_mapped_line(char *out, uint16_t component, uint32_t public_ip, uint16_t pub_port,
		       struct alg_endpoint base, const char *eol);

#endif
