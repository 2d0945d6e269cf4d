/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sip_fast.h: the fast path. Each check says, for one value in the forms phones really
 * send, that libosip2 would accept it and read the same host and port (or Content-Type,
 * or SDP streams) as the core's scanners: then libosip2 need not be asked, and nothing is
 * allocated. Anything else (quotes, escapes, folding, IPv6, rare SDP lines, ...) is declined
 * and libosip2 stays the judge. The checks are conservative by design, and tests/fuzz/
 * fuzz_fastpath holds every one of them against libosip2 itself. */
#ifndef SIPALG_SIP_FAST_H
#define SIPALG_SIP_FAST_H

#include <stddef.h>
#include <stdint.h>

#include "alg.h"

/* Each returns 1 when the value is in the plain form, 0 to decline. The address checks read
 * each value once: accepting it, they have filled *hp (reset by the caller) as the scanners
 * of sip_addr.c would, so that neither the scanner nor libosip2 reads it again. */
struct hostport;

/* "SIP/2.0/UDP host[:port]" and ";name[=value]" parameters (received= and rport= too). */
int fast_via(const char *buf, struct alg_span elem, struct hostport *hp);

/* A sip: or sips: URI: [user@]host[:port], ";name[=value]" parameters, and when headers_ok
 * "?headers" (URL-escaped, as in Refer-To's Replaces). */
int fast_sip_uri(const char *buf, struct alg_span uri, int headers_ok, struct hostport *hp);

/* A Contact, Route, Record-Route, Refer-To or Referred-By element: ["display"] <sip-URI> or
 * an addr-spec, then ";name[=value]" parameters. *expires gets the value of the first
 * parameter named expires, as libosip2 reads it (left alone when it has none). */
int fast_name_addr(const char *buf, struct alg_span elem, uint32_t *expires, struct hostport *hp);

/* "type/subtype" and ";name[=value]" parameters: fills type (lower case) and boundary as
 * content_type_read does. */
int fast_content_type(const char *buf, struct alg_span value, char *type, size_t type_cap,
		      char *boundary, size_t boundary_cap);

/* sdp_fast.c: an SDP body of v= o= s= [i=] [c=] b=* t=+ a=* then media sections of m= [i=]
 * c=* b=* a=*, each line of the shape libosip2 parses: libosip2 accepts it and sees one
 * stream per m= line, on the port the line names. The lines must hold no NUL and no CR but
 * their CRLF end (sdp_scan checks it first). */
int fast_sdp(const char *buf, struct alg_span body);

/* The same check a line at a time, for sdp_scan, which reads each line once for both. */
struct sdp_fast {
	int ok;      /* 0 once a line is out of shape or out of order */
	int last;    /* the rank of the line before */
	int media;   /* in a media section */
	int seen_t;  /* a t= line came */
};

/* The line [p, e) without its line end; fields: sdp_fields of its value when it is an o=,
 * c=, t= or m= line. The body is fast when ok and seen_t hold after the last line. */
void sdp_fast_line(struct sdp_fast *st, const char *buf, uint32_t p, uint32_t e, unsigned fields);

/* The number of fields of [p, end) when they are separated by single spaces, none empty,
 * printable ASCII (RFC 4566 9), else 0; the first max of them go to f. */
unsigned sdp_fields(const char *buf, uint32_t p, uint32_t end, struct alg_span *f, unsigned max);

/* sip_addr.c: the locators with the fast path on (as the core runs) or off (libosip2 asked
 * every time): the differential fuzzer compares the two. */
int via_locate_as(const char *buf, struct alg_span elem, struct hostport *hp, int fast);
int name_addr_locate_as(const char *buf, struct alg_span elem, int id, struct hostport *hp,
			uint32_t *expires, int fast);
int request_uri_locate_as(const char *buf, struct alg_span uri, struct hostport *hp, int fast);
int content_type_read_as(const char *buf, struct alg_span value, char *type, size_t type_cap,
			 char *boundary, size_t boundary_cap, int fast);

#endif
