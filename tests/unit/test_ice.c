/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_ice.c: SDP with ICE candidates (RFC 8839): the default destination the ALG writes in
 * c= and m= stays one of the candidates; a phone that traverses NATs itself is left alone. */
#include "harness.h"
#include "table.h"

static const struct alg_endpoint provider = { 0xc633640a, 5060 };
static const struct alg_endpoint phone1 = { 0xc0a80165, 5060 }; /* 192.168.1.101 */

static const char head[] = "INVITE sip:2001@sip.example.net SIP/2.0\r\n"
			   "Via: SIP/2.0/UDP 192.168.1.101:5060;branch=z9hG4bK1\r\n"
			   "From: <sip:1001@sip.example.net>;tag=1\r\n"
			   "To: <sip:2001@sip.example.net>\r\n"
			   "Call-ID: ice1\r\n"
			   "CSeq: 1 INVITE\r\n"
			   "Contact: <sip:1001@192.168.1.101:5060>\r\n"
			   "Content-Type: application/sdp\r\n";

/* An INVITE from phone1 with this SDP body. */
static void offer(struct run *r, const struct alg_config *cfg, const char *body)
{
	char msg[4096];
	int n = snprintf(msg, sizeof(msg), "%sContent-Length: %zu\r\n\r\n%s", head, strlen(body), body);

	run_from(r, cfg, ALG_OUT, msg, (size_t)n, phone1, provider);
}

/* RFC 8445 5.1.2.1 */
static uint32_t priority(uint32_t type_pref, uint32_t local_pref, uint32_t component)
{
	return (type_pref << 24) + (local_pref << 8) + (256 - component);
}

static void host_only_offer_gets_the_mapping_as_candidate(void **state)
{
	static const struct alg_binding map[] = {
		{ { 0xc0a80165, 4000 }, 40010 },
		{ { 0xc0a80165, 4001 }, 40011 },
	};
	struct alg_config cfg = lab_config(map, 2);
	char line[160];
	struct run r;

	(void)state;
	run_fixture(&r, &cfg, ALG_OUT, "ice-host-out", provider);
	assert_int_equal(r.res.reason, ALG_OK);
	/* the default destination, RTP and RTCP ... */
	assert_line(&r, "m=audio 40010 RTP/AVP 8 0 101");
	assert_line(&r, "c=IN IP4 203.0.113.5");
	assert_line(&r, "a=rtcp:40011 IN IP4 203.0.113.5");
	/* ... are candidates of components 1 and 2, server reflexive, based on the phone's */
	snprintf(line, sizeof(line), "a=candidate:sipalg 1 UDP %u 203.0.113.5 40010 typ srflx raddr 192.168.1.101 rport 4000",
		 priority(100, 65535, 1));
	assert_line(&r, line);
	snprintf(line, sizeof(line), "a=candidate:sipalg 2 UDP %u 203.0.113.5 40011 typ srflx raddr 192.168.1.101 rport 4001",
		 priority(100, 65535, 2));
	assert_line(&r, line);
	/* the phone's host candidates stay for LAN peers */
	assert_line(&r, "a=candidate:Hc0a80165 1 UDP 2130706431 192.168.1.101 4000 typ host");
	assert_line(&r, "a=candidate:Hc0a80165 2 UDP 2130706430 192.168.1.101 4001 typ host");
	assert_consistent(&r);
	assert_action(&r, "media-open call=4f1e9c2a-7b3d-4e86-a0c5-d92b6f8e1a37 stream=0 audio "
			  "rtp 192.168.1.101:4000 -> 203.0.113.5:40010 rtcp 192.168.1.101:4001 -> 203.0.113.5:40011");
	run_free(&r);
}

static void muxed_offer_gets_one_component(void **state)
{
	struct alg_config cfg = lab_config(NULL, 0);
	struct run r;

	(void)state;
	run_fixture(&r, &cfg, ALG_OUT, "ice-mux-lf-out", provider);
	assert_int_equal(r.res.reason, ALG_OK);
	assert_line(&r, "a=candidate:sipalg 1 UDP 1694498815 203.0.113.5 50102 typ srflx raddr 192.168.1.101 rport 50102");
	assert_no_text(&r, "a=candidate:sipalg 2");
	/* LF-only body: the added line ends like the phone's */
	assert_non_null(strstr(r.out, "rport 50102\na=candidate:1467250027"));
	assert_consistent(&r);
	run_free(&r);
}

/* A phone that learnt its mapping (STUN, TURN, a peer) traverses NATs itself. */
static void reflexive_or_relayed_candidate_leaves_sdp_alone(void **state)
{
	static const char *const bodies[] = {
		"v=0\r\no=- 1 1 IN IP4 192.168.1.101\r\ns=-\r\nc=IN IP4 198.51.100.77\r\nt=0 0\r\n"
		"m=audio 4000 RTP/AVP 0\r\n"
		"a=candidate:1 1 UDP 2130706431 192.168.1.101 4000 typ host\r\n"
		"a=candidate:2 1 UDP 16777215 198.51.100.77 50000 typ relay raddr 203.0.113.5 rport 4000\r\n",
		/* default on the LAN, a server-reflexive candidate further down */
		"v=0\r\no=- 1 1 IN IP4 192.168.1.101\r\ns=-\r\nc=IN IP4 192.168.1.101\r\nt=0 0\r\n"
		"m=audio 4000 RTP/AVP 0\r\n"
		"a=candidate:1 1 UDP 2130706431 192.168.1.101 4000 typ host\r\n"
		"a=candidate:2 1 UDP 1694498815 203.0.113.5 4000 typ srflx raddr 192.168.1.101 rport 4000\r\n",
		"v=0\r\no=- 1 1 IN IP4 192.168.1.101\r\ns=-\r\nc=IN IP4 192.168.1.101\r\nt=0 0\r\n"
		"m=audio 4000 RTP/AVP 0\r\n"
		"a=candidate:2 1 UDP 1845501695 203.0.113.5 4000 typ prflx raddr 192.168.1.101 rport 4000\r\n",
	};
	struct alg_config cfg = lab_config(NULL, 0);
	struct run r;

	(void)state;
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		offer(&r, &cfg, bodies[i]);
		assert_int_equal(r.res.reason, ALG_OK);
		assert_non_null(strstr(r.out, "\r\n\r\n"));
		assert_string_equal(strstr(r.out, "\r\n\r\n"), strstr(r.in, "\r\n\r\n"));
		/* signaling only: no pinhole, no SNAT of the phone's media */
		assert_int_equal(r.res.n_actions, 1);
		assert_action(&r, "signaling 192.168.1.101:5060 -> 203.0.113.5:5060");
		run_free(&r);
	}
}

/* A stream on a public default (the phone's own) opens nothing and gets no candidate; a
 * LAN stream of the same SDP does. */
static void public_default_stream_gets_nothing(void **state)
{
	struct alg_config cfg = lab_config(NULL, 0);
	struct run r;

	(void)state;
	offer(&r, &cfg,
	      "v=0\r\no=- 1 1 IN IP4 192.168.1.101\r\ns=-\r\nt=0 0\r\n"
	      "m=audio 4000 RTP/AVP 0\r\nc=IN IP4 198.51.100.77\r\n"
	      "a=candidate:1 1 UDP 2130706431 198.51.100.77 4000 typ host\r\n"
	      "m=video 4002 RTP/AVP 96\r\nc=IN IP4 192.168.1.101\r\na=rtcp-mux\r\n"
	      "a=candidate:1 1 UDP 2130706431 192.168.1.101 4002 typ host\r\n");
	assert_int_equal(r.res.reason, ALG_OK);
	assert_line(&r, "a=candidate:sipalg 1 UDP 1694498815 203.0.113.5 4002 typ srflx raddr 192.168.1.101 rport 4002");
	assert_no_text(&r, "203.0.113.5 4000 typ");
	assert_line(&r, "c=IN IP4 198.51.100.77");
	assert_consistent(&r);
	assert_int_equal(r.res.n_actions, 2);
	run_free(&r);
}

static void malformed_candidates_pass_unchanged(void **state)
{
	static const char *const lines[] = {
		"a=candidate:1 1 UDP 2130706431 192.168.1.101 4000 host\r\n",          /* no typ */
		"a=candidate:1 1 UDP 0 192.168.1.101 4000 typ host\r\n",               /* priority 0 */
		"a=candidate:1 1 UDP 2147483648 192.168.1.101 4000 typ host\r\n",      /* over 2^31-1 */
		"a=candidate:1 0 UDP 2130706431 192.168.1.101 4000 typ host\r\n",      /* component 0 */
		"a=candidate:1 257 UDP 2130706431 192.168.1.101 4000 typ host\r\n",
		"a=candidate:1 1 UDP 2130706431 192.168.1.101 65536 typ host\r\n",
		"a=candidate:f_o 1 UDP 2130706431 192.168.1.101 4000 typ host\r\n",    /* ice-char */
		"a=candidate:123456789012345678901234567890123 1 UDP 1 192.168.1.101 4000 typ host\r\n",
		"a=candidate:\r\n",
		"a=remote-candidates:1 203.0.113.5\r\n",
		"a=remote-candidates:1 203.0.113.5 4000 x 203.0.113.5 4001\r\n",
		"a=remote-candidates:1 203.0.113.5 70000\r\n",
	};
	struct alg_config cfg = lab_config(NULL, 0);
	char body[512];
	struct run r;

	(void)state;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		snprintf(body, sizeof(body), "v=0\r\no=- 1 1 IN IP4 192.168.1.101\r\ns=-\r\n"
			 "c=IN IP4 192.168.1.101\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n%s", lines[i]);
		offer(&r, &cfg, body);
		if (r.res.reason != ALG_BAD_SDP)
			fail_msg("%s: reason %d", lines[i], r.res.reason);
		assert_false(r.res.changed);
		assert_int_equal(r.res.n_actions, 0);
		run_free(&r);
	}
}

/* Many ICE streams: the SDP is translated whole or passes unchanged, never half. */
static void many_ice_streams_all_or_nothing(void **state)
{
	struct alg_config cfg = lab_config(NULL, 0);
	char body[3072];
	size_t n;
	struct run r;

	(void)state;
	for (int streams = 1; streams <= 12; streams++) {
		n = (size_t)snprintf(body, sizeof(body), "v=0\r\no=- 1 1 IN IP4 192.168.1.101\r\ns=-\r\n"
				     "c=IN IP4 192.168.1.101\r\nt=0 0\r\n");
		for (int i = 0; i < streams; i++)
			n += (size_t)snprintf(body + n, sizeof(body) - n,
					      "m=audio %d RTP/AVP 0\r\n"
					      "a=candidate:1 1 UDP 2130706431 192.168.1.101 %d typ host\r\n"
					      "a=candidate:1 2 UDP 2130706430 192.168.1.101 %d typ host\r\n",
					      4000 + 2 * i, 4000 + 2 * i, 4001 + 2 * i);
		offer(&r, &cfg, body);
		if (r.res.reason == ALG_OK) {
			char want[128];

			snprintf(want, sizeof(want), "203.0.113.5 %d typ srflx raddr 192.168.1.101 rport %d",
				 4001 + 2 * (streams - 1), 4001 + 2 * (streams - 1));
			assert_non_null(strstr(r.out, want));
			assert_consistent(&r);
		} else {
			/* the edits or the growth (the caller's out_cap) over the limit */
			assert_true(streams > 4);
			assert_true(r.res.reason == ALG_TOO_MANY_EDITS || r.res.reason == ALG_NO_ROOM);
			assert_false(r.res.changed);
			assert_int_equal(r.res.n_actions, 0);
		}
		run_free(&r);
	}
}

static const struct table_config tcfg = {
	.media_port_min = 20000, .media_port_max = 20099, .signaling_idle = 300, .dialog_idle = 3600,
	.register_grace = 30, .media_timeout = 60,
};

/* The far end, controlling, re-offers naming the phone's selected candidates as it saw them
 * (the router's mapping): the phone gets its own base address and ports. */
static void remote_candidates_name_the_phone_again(void **state)
{
	static struct alg_table table;
	struct alg_config cfg = lab_config(NULL, 0);
	struct alg_endpoint far = { 0xc6336414, 5060 }, ports;
	char msg[2048], body[1024], want[128];
	unsigned rtcp_port;
	const char *c;
	struct run r;
	size_t len;
	char *fx;
	int n;

	(void)state;
	table_init(&table, &tcfg, NULL, NULL);
	fx = fixture("ice-host-out", &len);
	/* phone2 holds ports 4000 and 4001 first, so that phone1's mapping moves */
	for (char *q = fx; (q = strstr(q, "192.168.1.101")); q++)
		q[12] = '2';
	memcpy(strstr(fx, "Call-ID: ") + 9, "0", 1);
	run_through(&r, &cfg, &table, 99, ALG_OUT, fx, len, (struct alg_endpoint){ 0xc0a80166, 5060 }, provider);
	assert_int_equal(r.res.reason, ALG_OK);
	run_free(&r);
	free(fx);
	fx = fixture("ice-host-out", &len);
	run_through(&r, &cfg, &table, 100, ALG_OUT, fx, len, phone1, provider);
	free(fx);
	assert_int_equal(r.res.reason, ALG_OK);
	c = strstr(r.out, "a=candidate:sipalg 1 UDP 1694498815 203.0.113.5 ");
	assert_non_null(c);
	ports.port = (uint16_t)atoi(c + strlen("a=candidate:sipalg 1 UDP 1694498815 203.0.113.5 "));
	assert_in_range(ports.port, 20000, 20099);
	c = strstr(r.out, "a=candidate:sipalg 2 UDP 1694498814 203.0.113.5 ");
	assert_non_null(c);
	rtcp_port = (unsigned)atoi(c + strlen("a=candidate:sipalg 2 UDP 1694498814 203.0.113.5 "));
	run_free(&r);

	snprintf(body, sizeof(body),
		 "v=0\r\no=- 2 2 IN IP4 198.51.100.20\r\ns=-\r\nc=IN IP4 198.51.100.20\r\nt=0 0\r\n"
		 "m=audio 4002 RTP/AVP 8\r\n"
		 "a=candidate:1 1 UDP 2130706431 198.51.100.20 4002 typ host\r\n"
		 "a=remote-candidates:1 203.0.113.5 %u 2 203.0.113.5 %u 1 198.51.100.9 9\r\n",
		 ports.port, rtcp_port);
	n = snprintf(msg, sizeof(msg),
		     "INVITE sip:1001@sip.example.net SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP 198.51.100.10:5060;branch=z9hG4bK2\r\n"
		     "From: <sip:2001@sip.example.net>;tag=2\r\nTo: <sip:1001@sip.example.net>;tag=1\r\n"
		     "Call-ID: 4f1e9c2a-7b3d-4e86-a0c5-d92b6f8e1a37\r\nCSeq: 2 INVITE\r\n"
		     "Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s",
		     strlen(body), body);
	run_through(&r, &cfg, &table, 101, ALG_IN, msg, (size_t)n, far, phone1);
	assert_int_equal(r.res.reason, ALG_OK);
	snprintf(want, sizeof(want), "a=remote-candidates:1 192.168.1.101 4000 2 192.168.1.101 4001 1 198.51.100.9 9");
	assert_line(&r, want);
	assert_consistent(&r);
	run_free(&r);

	/* the same re-offer toward another phone names nothing of it: it stays */
	run_through(&r, &cfg, &table, 102, ALG_IN, msg, (size_t)n, far, (struct alg_endpoint){ 0xc0a80166, 5060 });
	assert_int_equal(r.res.reason, ALG_OK);
	assert_no_text(&r, "a=remote-candidates:1 192.168.1.101");
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(host_only_offer_gets_the_mapping_as_candidate),
		cmocka_unit_test(muxed_offer_gets_one_component),
		cmocka_unit_test(reflexive_or_relayed_candidate_leaves_sdp_alone),
		cmocka_unit_test(public_default_stream_gets_nothing),
		cmocka_unit_test(malformed_candidates_pass_unchanged),
		cmocka_unit_test(many_ice_streams_all_or_nothing),
		cmocka_unit_test(remote_candidates_name_the_phone_again),
	};

	if (alg_init())
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
