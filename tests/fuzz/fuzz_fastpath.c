/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_fastpath: the fast path against libosip2, value by value. The input is a message; each
 * Via element, name-addr element (Contact, Route, Record-Route, Refer-To, Referred-By, and
 * From and To as more of the same grammar), the Request-URI, each Content-Type and the body
 * go through the locators with the fast path on and off: the answers must be the same, and
 * wherever the fast path accepts an SDP body libosip2 must parse it into the same streams on
 * the same ports. Any difference aborts. */
#include <stdint.h>

#include <osipparser2/sdp_message.h>

#include "fuzz_common.h"
#include "sip_fast.h"
#include "xlate.h"

/* Aborts (as libFuzzer and replay.c expect) whatever NDEBUG says. */
#define CHECK(cond) ((cond) ? (void)0 : abort())

static void same_hostport(int r1, const struct hostport *a, int r0, const struct hostport *b)
{
	CHECK(r1 == r0);
	if (r1 != 0)
		return;
	CHECK(a->host.off == b->host.off && a->host.len == b->host.len);
	CHECK(a->port.off == b->port.off && a->port.len == b->port.len);
	CHECK(a->port_val == b->port_val && a->dflt_port == b->dflt_port);
	CHECK(a->ipv4 == b->ipv4 && a->ip == b->ip && a->ipv6 == b->ipv6);
	CHECK(a->received.off == b->received.off && a->received.len == b->received.len);
	CHECK(a->rport.off == b->rport.off && a->rport.len == b->rport.len);
}

static void via(const char *buf, struct alg_span elem)
{
	struct hostport a, b;
	int r1 = via_locate_as(buf, elem, &a, 1), r0 = via_locate_as(buf, elem, &b, 0);

	same_hostport(r1, &a, r0, &b);
}

static void name_addr(const char *buf, struct alg_span elem, enum sip_hdr id)
{
	struct hostport a, b;
	uint32_t e1 = 7, e0 = 7;
	int r1 = name_addr_locate_as(buf, elem, (int)id, &a, &e1, 1);
	int r0 = name_addr_locate_as(buf, elem, (int)id, &b, &e0, 0);

	same_hostport(r1, &a, r0, &b);
	CHECK(r1 != 0 || e1 == e0);
}

static void content_type(const char *buf, struct alg_span value)
{
	char t1[64], t0[64], b1[72], b0[72];
	int r1 = content_type_read_as(buf, value, t1, sizeof(t1), b1, sizeof(b1), 1);
	int r0 = content_type_read_as(buf, value, t0, sizeof(t0), b0, sizeof(b0), 0);

	CHECK(r1 == r0);
	CHECK(r1 != 0 || (strcmp(t1, t0) == 0 && strcmp(b1, b0) == 0));
}

/* What osip_agrees (sdp.c) asks of libosip2, for a body the fast path accepted. */
static void sdp(const char *buf, struct alg_span body)
{
	sdp_message_t *m = NULL;
	char *z;
	size_t n = body.len;
	int streams = 0;

	/* fast_sdp's precondition, which sdp_scan checks: no NUL, no CR but at a line end */
	for (uint32_t i = body.off; i < body.off + body.len; i++)
		if (buf[i] == '\0' || (buf[i] == '\r' && (i + 1 == body.off + body.len || buf[i + 1] != '\n')))
			return;
	if (!fast_sdp(buf, body))
		return;
	z = malloc(n + 2 + 8);
	CHECK(z && sdp_message_init(&m) == 0);
	memcpy(z, buf + body.off, n);
	if (n == 0 || z[n - 1] != '\n') {
		z[n++] = '\r';
		z[n++] = '\n';
	}
	memset(z + n, 0, 8);
	CHECK(sdp_message_parse(m, z) == 0);
	for (uint32_t p = body.off; p < body.off + body.len;) {
		const char *nl = memchr(buf + p, '\n', body.off + body.len - p);
		uint32_t next = nl ? (uint32_t)(nl - buf) + 1 : body.off + body.len;

		if (buf[p] == 'm') { /* "m=media port proto": the port is the second field */
			const char *port = sdp_message_m_port_get(m, streams++);
			const char *f = memchr(buf + p, ' ', next - p);

			CHECK(port && f && strncmp(f + 1, port, strlen(port)) == 0 && f[1 + strlen(port)] == ' ');
		}
		p = next;
	}
	CHECK(osip_list_size(&m->m_medias) == streams);
	sdp_message_free(m);
	free(z);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return alg_init();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sip_msg m;
	const char *buf = (const char *)data;

	if (sip_msg_scan(buf, size, &m) != SCAN_OK)
		return 0;
	if (m.is_request) {
		struct hostport a, b;
		int r1 = request_uri_locate_as(buf, m.ruri, &a, 1), r0 = request_uri_locate_as(buf, m.ruri, &b, 0);

		same_hostport(r1, &a, r0, &b);
	}
	for (size_t i = 0; i < m.n_headers; i++) {
		const struct sip_header *h = &m.headers[i];
		struct alg_span elem;
		uint32_t pos = 0;

		if (h->id == HDR_CONTENT_TYPE) {
			content_type(buf, h->value);
			continue;
		}
		while (sip_value_next(buf, h->value, &pos, &elem) == 0) {
			if (h->id == HDR_VIA)
				via(buf, elem);
			else if (h->id == HDR_CONTACT || h->id == HDR_ROUTE || h->id == HDR_RECORD_ROUTE ||
				 h->id == HDR_REFER_TO || h->id == HDR_REFERRED_BY || h->id == HDR_FROM ||
				 h->id == HDR_TO)
				name_addr(buf, elem, h->id);
		}
	}
	sdp(buf, (struct alg_span){ m.body_off, m.body_len });
	return 0;
}
