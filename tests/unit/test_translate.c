/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_translate.c: the translation rules of the core, on real-world messages. */
#include "harness.h"

static const struct alg_endpoint phone1 = { 0xc0a80165, 5060 }; /* 192.168.1.101 */
static const struct alg_endpoint phone2 = { 0xc0a80166, 5060 }; /* 192.168.1.102 */
static const struct alg_endpoint provider = { 0xc633640a, 5060 };

static void zoiper_stun_off_is_translated(void **state)
{
	struct alg_config cfg = lab_config(NULL, 0);
	struct run r;

	(void)state;
	run_fixture(&r, &cfg, ALG_OUT, "zoiper-invite-stun-off", provider);
	assert_int_equal(r.res.reason, ALG_OK);
	assert_true(r.res.changed);
	assert_line(&r, "Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK-524287-1---6f2a9c1d8e4b7a30;rport");
	assert_line(&r, "Contact: <sip:1001@203.0.113.5:5060;transport=UDP>");
	assert_line(&r, "o=Z 279549408 1 IN IP4 203.0.113.5");
	assert_line(&r, "c=IN IP4 203.0.113.5");
	assert_line(&r, "m=audio 8000 RTP/AVP 0 8 101");
	assert_no_text(&r, "192.168.1.101:");
	assert_no_text(&r, "IP4 192.168.1.101");
	assert_consistent(&r);
	assert_int_equal(r.res.n_actions, 2);
	assert_action(&r, "signaling 192.168.1.101:5060 -> 203.0.113.5:5060");
	assert_action(&r, "media-open call=YTQ5ZGM3ZjE2MmU4NTkwYjNhNWQ0ZTBmYzE3ODI2OWI. stream=0 audio "
			  "rtp 192.168.1.101:8000 -> 203.0.113.5:8000 rtcp 192.168.1.101:8001 -> 203.0.113.5:8001");
	run_free(&r);
}

static void zoiper_stun_on_keeps_public_addresses(void **state)
{
	struct alg_config cfg = lab_config(NULL, 0);
	struct run r;

	(void)state;
	run_fixture(&r, &cfg, ALG_OUT, "zoiper-invite-stun-on", provider);
	assert_int_equal(r.res.reason, ALG_OK);
	assert_line(&r, "Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK-524287-1---6f2a9c1d8e4b7a30;rport");
	assert_line(&r, "Contact: <sip:1001@210.194.33.77:62061;transport=UDP>");
	assert_line(&r, "o=Z 279549408 1 IN IP4 210.194.33.77");
	assert_line(&r, "c=IN IP4 210.194.33.77");
	assert_line(&r, "m=audio 62063 RTP/AVP 0 8 101");
	/* Only the Via changed, so the body and its length are untouched. */
	assert_memory_equal(strstr(r.out, "\r\n\r\n"), strstr(r.in, "\r\n\r\n"),
			    strlen(strstr(r.in, "\r\n\r\n")));
	assert_consistent(&r);
	/* The phone handles its own media NAT: no pinhole. */
	assert_int_equal(r.res.n_actions, 1);
	assert_action(&r, "signaling 192.168.1.101:5060 -> 203.0.113.5:5060");
	run_free(&r);
}

static void public_phone_is_byte_identical(void **state)
{
	struct alg_config cfg = lab_config(NULL, 0);
	struct run r;

	(void)state;
	run_fixture(&r, &cfg, ALG_OUT, "public-phone-out", provider);
	assert_int_equal(r.res.reason, ALG_OK);
	assert_false(r.res.changed);
	assert_int_equal(r.res.n_actions, 0);
	run_free(&r);
}

static void compact_forms_and_comma_lists(void **state)
{
	struct alg_config cfg = lab_config(NULL, 0);
	struct run r;

	(void)state;
	run_fixture(&r, &cfg, ALG_OUT, "compact-forms-out", provider);
	assert_int_equal(r.res.reason, ALG_OK);
	assert_line(&r, "v: SIP/2.0/UDP 203.0.113.5:5060;rport;branch=z9hG4bKPj9b3e1f0a-27c4-4d58-a6e2-0c7f3b91d5a8");
	assert_line(&r, "m: <sip:1001@203.0.113.5:5060;ob>, <sip:1001@203.0.113.5:5062;ob>");
	assert_line(&r, "l: 307");
	assert_line(&r, "a=rtcp:4001 IN IP4 203.0.113.5");
	assert_consistent(&r);
	assert_action(&r, "signaling 192.168.1.101:5062 -> 203.0.113.5:5062");
	run_free(&r);
}

static void mixed_case_header_names(void **state)
{
	static const char msg[] =
		"OPTIONS sip:sip.example.net SIP/2.0\r\n"
		"VIA: SIP/2.0/UDP 192.168.1.101:5060;branch=z9hG4bK77\r\n"
		"cOnTaCt: <sip:1001@192.168.1.101:5060>\r\n"
		"From: <sip:1001@sip.example.net>;tag=1\r\n"
		"To: <sip:sip.example.net>\r\n"
		"CALL-ID: abc\r\n"
		"cseq: 1 OPTIONS\r\n"
		"content-LENGTH: 0\r\n\r\n";
	struct alg_config cfg = lab_config(NULL, 0);
	struct run r;

	(void)state;
	run_bytes(&r, &cfg, ALG_OUT, msg, sizeof(msg) - 1, provider);
	assert_int_equal(r.res.reason, ALG_OK);
	assert_line(&r, "VIA: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK77");
	assert_line(&r, "cOnTaCt: <sip:1001@203.0.113.5:5060>");
	assert_consistent(&r);
	run_free(&r);
}

static void response_from_phone_keeps_other_vias(void **state)
{
	struct alg_config cfg = lab_config(NULL, 0);
	struct run r;

	(void)state;
	run_fixture(&r, &cfg, ALG_OUT, "invite-200-answer-out", provider);
	assert_int_equal(r.res.reason, ALG_OK);
	assert_line(&r, "Via: SIP/2.0/UDP 198.51.100.10:5060;branch=z9hG4bK7c1e.a4f9b2d63e8071c5fd2a9b4e6c3d1f08.0");
	assert_line(&r, "Record-Route: <sip:198.51.100.10;lr>");
	assert_line(&r, "Contact: <sip:1002@203.0.113.5:5060>");
	assert_line(&r, "c=IN IP4 203.0.113.5");
	assert_line(&r, "a=rtcp:11781");
	assert_consistent(&r);
	assert_action(&r, "media-open call=w7Tq3LmZpE stream=0 audio rtp 192.168.1.102:11780 -> "
			  "203.0.113.5:11780 rtcp 192.168.1.102:11781 -> 203.0.113.5:11781");
	run_free(&r);
}

static void lan_pbx_record_route(void **state)
{
	struct alg_config cfg = lab_config(NULL, 0);
	struct run r;

	(void)state;
	run_fixture(&r, &cfg, ALG_OUT, "pbx-record-route-out", provider);
	assert_int_equal(r.res.reason, ALG_OK);
	assert_line(&r, "Record-Route: <sip:203.0.113.5;lr>");
	/* Only the top Via is the sender's; the phone's Via below it stays. */
	assert_line(&r, "Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK5e0a.3c9d7f21b84e6a05d1c3f9e7a2b4d680.0");
	assert_non_null(strstr(r.out, "Via: SIP/2.0/UDP 192.168.1.101:5060"));
	assert_line(&r, "a=rtcp:16385 IN IP4 203.0.113.5");
	assert_consistent(&r);
	run_free(&r);
}

static void bindings_move_ports(void **state)
{
	static const struct alg_binding map[] = {
		{ { 0xc0a80165, 5060 }, 40001 },
		{ { 0xc0a80165, 8000 }, 40010 },
	};
	struct alg_config cfg = lab_config(map, 2);
	struct run r;

	(void)state;
	run_fixture(&r, &cfg, ALG_OUT, "map-port-out", provider);
	assert_line(&r, "Via: SIP/2.0/UDP 203.0.113.5:40001;branch=z9hG4bK-524287-1---6f2a9c1d8e4b7a30;rport");
	assert_line(&r, "Contact: <sip:1001@203.0.113.5:40001;transport=UDP>");
	assert_line(&r, "m=audio 40010 RTP/AVP 0 8 101");
	assert_consistent(&r);
	assert_action(&r, "media-open call=YTQ5ZGM3ZjE2MmU4NTkwYjNhNWQ0ZTBmYzE3ODI2OWI. stream=0 audio "
			  "rtp 192.168.1.101:8000 -> 203.0.113.5:40010 rtcp 192.168.1.101:8001 -> 203.0.113.5:40011");
	run_free(&r);
}

static void bound_rtcp_port_is_rewritten(void **state)
{
	static const struct alg_binding map[] = {
		{ { 0xc0a80166, 11780 }, 30000 },
		{ { 0xc0a80166, 11781 }, 30001 },
	};
	struct alg_config cfg = lab_config(map, 2);
	struct run r;

	(void)state;
	run_fixture(&r, &cfg, ALG_OUT, "invite-200-answer-out", provider);
	assert_line(&r, "m=audio 30000 RTP/AVP 0 101");
	assert_line(&r, "a=rtcp:30001");
	assert_consistent(&r);
	run_free(&r);
}

static void viaport_absent_gets_port_when_bound_elsewhere(void **state)
{
	static const char msg[] =
		"MESSAGE sip:2001@sip.example.net SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 192.168.1.101;branch=z9hG4bK1\r\n"
		"From: <sip:1001@sip.example.net>;tag=1\r\n"
		"To: <sip:2001@sip.example.net>\r\n"
		"Call-ID: m1\r\n"
		"CSeq: 1 MESSAGE\r\n"
		"Content-Length: 0\r\n\r\n";
	static const struct alg_binding map[] = { { { 0xc0a80165, 5060 }, 41000 } };
	struct alg_config plain = lab_config(NULL, 0), bound = lab_config(map, 1);
	struct run r;

	(void)state;
	run_bytes(&r, &plain, ALG_OUT, msg, sizeof(msg) - 1, provider);
	assert_line(&r, "Via: SIP/2.0/UDP 203.0.113.5;branch=z9hG4bK1");
	run_free(&r);
	run_bytes(&r, &bound, ALG_OUT, msg, sizeof(msg) - 1, provider);
	assert_line(&r, "Via: SIP/2.0/UDP 203.0.113.5:41000;branch=z9hG4bK1");
	assert_consistent(&r);
	run_free(&r);
}

static void declined_stream_opens_nothing(void **state)
{
	struct alg_config cfg = lab_config(NULL, 0);
	struct run r;

	(void)state;
	run_fixture(&r, &cfg, ALG_OUT, "port-zero-stream-out", provider);
	assert_line(&r, "m=video 0 RTP/AVP 96");
	assert_consistent(&r);
	for (size_t i = 0; i < r.res.n_actions; i++)
		assert_true(!strstr(r.actions[i], "video") || strncmp(r.actions[i], "media-decline ", 14) == 0);
	/* and says so: what the phone had open for it goes (at the answer: the INVITE is an offer) */
	assert_action(&r, "media-decline call=Hq4v9zR1cT stream=1 video 192.168.1.101 offer");
	assert_action(&r, "media-open call=Hq4v9zR1cT stream=0 audio rtp 192.168.1.101:8000 -> "
			  "203.0.113.5:8000 rtcp 192.168.1.101:8001 -> 203.0.113.5:8001");
	run_free(&r);
}

static void rtcp_mux_opens_one_port(void **state)
{
	struct alg_config cfg = lab_config(NULL, 0);
	struct run r;

	(void)state;
	run_fixture(&r, &cfg, ALG_OUT, "rtcp-mux-out", provider);
	assert_action(&r, "media-open call=5c2e8f1a-b49d-4e37-a0c6-d13f7e9b2a58 stream=0 audio rtp "
			  "192.168.1.2:17312 -> 203.0.113.5:17312 rtcp mux");
	run_free(&r);
}

static void multipart_sdp_part_is_translated(void **state)
{
	struct alg_config cfg = lab_config(NULL, 0);
	struct run r;

	(void)state;
	run_fixture(&r, &cfg, ALG_OUT, "multipart-out", provider);
	assert_int_equal(r.res.reason, ALG_OK);
	assert_line(&r, "c=IN IP4 203.0.113.5");
	assert_line(&r, "Content-Length: 498");
	assert_line(&r, "Callback requested by front desk.");
	assert_line(&r, "--unique-boundary-1--");
	assert_consistent(&r);
	run_free(&r);
}

static void register_2xx_restores_own_contact(void **state)
{
	struct alg_config cfg = lab_config(NULL, 0);
	struct run r;

	(void)state;
	run_fixture(&r, &cfg, ALG_IN, "register-200-in", phone2);
	assert_int_equal(r.res.reason, ALG_OK);
	assert_line(&r, "Via: SIP/2.0/UDP 192.168.1.102:5060;rport=5060;received=192.168.1.102;branch=z9hG4bK2058303479");
	assert_line(&r, "Contact: <sip:1002@192.168.1.102:5060>;expires=3600");
	assert_line(&r, "Contact: <sip:1002@198.51.100.77:5070>;expires=1800");
	assert_consistent(&r);
	assert_int_equal(r.res.n_actions, 1);
	assert_action(&r, "registered 192.168.1.102:5060 -> 203.0.113.5:5060 expires=3600");
	run_free(&r);
}

static void register_2xx_follows_bindings(void **state)
{
	/* With a real binding the restore is exact, whatever the packet's destination. */
	static const struct alg_binding map[] = { { { 0xc0a80166, 5060 }, 5060 } };
	struct alg_config cfg = lab_config(map, 1);
	struct alg_endpoint nowhere = { 0, 0 };
	struct run r;

	(void)state;
	run_fixture(&r, &cfg, ALG_IN, "register-200-in", nowhere);
	assert_line(&r, "Contact: <sip:1002@192.168.1.102:5060>;expires=3600");
	run_free(&r);
	/* Without binding or LAN destination there is nothing to restore to. */
	cfg = lab_config(NULL, 0);
	run_fixture(&r, &cfg, ALG_IN, "register-200-in", nowhere);
	assert_false(r.res.changed);
	run_free(&r);
}

static void inbound_request_uri_reaches_phone(void **state)
{
	struct alg_config cfg = lab_config(NULL, 0);
	struct run r;

	(void)state;
	run_fixture(&r, &cfg, ALG_IN, "invite-in-to-phone", phone2);
	assert_int_equal(r.res.reason, ALG_OK);
	assert_true(strncmp(r.out, "INVITE sip:1002@192.168.1.102:5060 SIP/2.0\r\n", 44) == 0);
	assert_consistent(&r);
	assert_action(&r, "media-peer call=w7Tq3LmZpE stream=0 audio rtp 198.51.100.20:40000 rtcp 198.51.100.20:40001");
	run_free(&r);
}

static void inbound_response_restores_top_via(void **state)
{
	struct alg_config cfg = lab_config(NULL, 0);
	struct run r;

	(void)state;
	run_fixture(&r, &cfg, ALG_IN, "invite-200-in", phone1);
	assert_line(&r, "Via: SIP/2.0/UDP 192.168.1.101:5060;rport=5060;received=192.168.1.101;branch=z9hG4bK-524287-1---6f2a9c1d8e4b7a30");
	/* The far end's addresses are public and stay. */
	assert_line(&r, "c=IN IP4 198.51.100.20");
	assert_consistent(&r);
	run_free(&r);
}

static void dialog_ends_close_media(void **state)
{
	struct alg_config cfg = lab_config(NULL, 0);
	struct run r;

	(void)state;
	run_fixture(&r, &cfg, ALG_OUT, "bye-out", provider);
	assert_action(&r, "media-close call=YTQ5ZGM3ZjE2MmU4NTkwYjNhNWQ0ZTBmYzE3ODI2OWI. reason=BYE");
	run_free(&r);
	run_fixture(&r, &cfg, ALG_OUT, "cancel-out", provider);
	assert_action(&r, "media-close call=YTQ5ZGM3ZjE2MmU4NTkwYjNhNWQ0ZTBmYzE3ODI2OWI. reason=CANCEL");
	run_free(&r);
	run_fixture(&r, &cfg, ALG_IN, "busy-486-in", phone1);
	assert_action(&r, "media-close call=YTQ5ZGM3ZjE2MmU4NTkwYjNhNWQ0ZTBmYzE3ODI2OWI. reason=486");
	run_free(&r);
}

/* Each of these passes byte-identical, with a reason and no action. */
static void expect_unchanged(const char *msg, enum alg_reason why)
{
	struct alg_config cfg = lab_config(NULL, 0);
	struct run r;

	run_bytes(&r, &cfg, ALG_OUT, msg, strlen(msg), provider);
	assert_int_equal(r.res.reason, why);
	assert_false(r.res.changed);
	assert_int_equal(r.res.n_actions, 0);
	run_free(&r);
}

#define REQ_HEAD                                                                           \
	"INVITE sip:2001@sip.example.net SIP/2.0\r\n"                                      \
	"Via: SIP/2.0/UDP 192.168.1.101:5060;branch=z9hG4bK1\r\n"                          \
	"From: <sip:1001@sip.example.net>;tag=1\r\n"                                       \
	"To: <sip:2001@sip.example.net>\r\n"                                               \
	"Call-ID: bad1\r\n"                                                                \
	"CSeq: 1 INVITE\r\n"                                                               \
	"Contact: <sip:1001@192.168.1.101:5060>\r\n"

static void malformed_messages_pass_unchanged(void **state)
{
	(void)state;
	expect_unchanged("\r\n\r\n", ALG_KEEPALIVE);
	expect_unchanged("GARBAGE\r\n\r\n", ALG_BAD_START_LINE);
	expect_unchanged(REQ_HEAD "Content-Le", ALG_NO_HEADER_END);
	expect_unchanged(REQ_HEAD "Content-Length: 10\r\n\r\nv=0\r\n", ALG_BAD_CONTENT_LENGTH);
	expect_unchanged(REQ_HEAD "Content-Length: x\r\n\r\n", ALG_BAD_CONTENT_LENGTH);
	expect_unchanged(REQ_HEAD "Content-Length: 0\r\nContent-Length: 0\r\n\r\n",
			 ALG_BAD_CONTENT_LENGTH);
	expect_unchanged(REQ_HEAD "Contact: <sip:1001@192.168.1.101:99999>\r\n\r\n", ALG_BAD_CONTACT);
	expect_unchanged(REQ_HEAD "Contact: \"unbalanced <sip:a@192.168.1.101>\r\n\r\n",
			 ALG_BAD_CONTACT);
	expect_unchanged(REQ_HEAD "Content-Type: application/sdp\r\nContent-Length: 9\r\n\r\nnot sdp\r\n",
			 ALG_BAD_SDP);
	expect_unchanged(REQ_HEAD "Content-Type: multipart/mixed;boundary=zz\r\n"
				  "Content-Length: 6\r\n\r\nnopart",
			 ALG_BAD_MULTIPART);
	expect_unchanged("INVITE sip:a@b SIP/2.0\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\r\n", ALG_NO_VIA);
	expect_unchanged("INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP 192.168.1.101\r\nCSeq: 1 INVITE\r\n\r\n",
			 ALG_NO_CALL_ID);
	expect_unchanged("INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP 192.168.1.101\r\nCall-ID: x\r\n"
			 "CSeq: 1 BYE\r\n\r\n",
			 ALG_BAD_CSEQ);
	expect_unchanged("INVITE  sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP 192.168.1.101\r\n\r\n",
			 ALG_BAD_START_LINE);
}

static void ipv6_passes_unchanged(void **state)
{
	(void)state;
	expect_unchanged("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK1\r\n"
			 "Contact: <sip:1001@192.168.1.101>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n",
			 ALG_IPV6);
	expect_unchanged(REQ_HEAD "Content-Type: application/sdp\r\nContent-Length: 59\r\n\r\n"
				  "v=0\r\no=- 1 1 IN IP6 2001:db8::1\r\ns=-\r\nc=IN IP6 2001:db8::1\r\n",
			 ALG_IPV6);
}

/* Over TCP a phone's Via (here its connection's ephemeral port) binds nothing: responses come
 * back over the connection. Its address is made public all the same; the Contact binds as
 * over UDP. */
static void tcp_via_binds_nothing(void **state)
{
	size_t len, len2;
	char *opt = fixture("options-keepalive-out", &len);
	char *tcp = replace_all(opt, len, "SIP/2.0/UDP 192.168.1.102:5060", "SIP/2.0/TCP 192.168.1.102:40001", &len2);
	struct alg_config cfg = lab_config(NULL, 0);
	struct alg_endpoint conn = { phone2.ip, 40001 };
	struct run r;

	(void)state;
	run_over(&r, &cfg, NULL, 0, ALG_TCP, ALG_OUT, tcp, len2, conn, provider);
	assert_int_equal(r.res.reason, ALG_OK);
	assert_non_null(strstr(r.out, "\r\nVia: SIP/2.0/TCP 203.0.113.5:40001;rport;"));
	assert_non_null(strstr(r.out, "\r\nContact: <sip:1002@203.0.113.5:5060>\r\n"));
	assert_int_equal(r.res.n_actions, 1);
	assert_action(&r, "signaling 192.168.1.102:5060 -> 203.0.113.5:5060");
	run_free(&r);
	/* over UDP the same message binds its Via too */
	run_over(&r, &cfg, NULL, 0, ALG_UDP, ALG_OUT, tcp, len2, conn, provider);
	assert_int_equal(r.res.n_actions, 2);
	assert_action(&r, "signaling 192.168.1.102:40001 -> 203.0.113.5:40001");
	run_free(&r);
	free(opt);
	free(tcp);
}

/* The response comes back over the connection: its Via names the phone at its end. */
static void tcp_response_via_is_the_connections_phone(void **state)
{
	static const char ok[] = "SIP/2.0 200 OK\r\n"
				 "Via: SIP/2.0/TCP 203.0.113.5:40001;rport=33012;received=203.0.113.5;branch=z9hG4bK1\r\n"
				 "From: <sip:1002@sip.example.net>;tag=1\r\nTo: <sip:sip.example.net>;tag=2\r\n"
				 "Call-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
	/* 40001 is phone1's binding, as if it took that public port since the request left */
	static const struct alg_binding taken[] = { { { 0xc0a80165, 5060 }, 40001 } };
	struct alg_config cfg = lab_config(taken, 1);
	struct alg_endpoint conn = { phone2.ip, 40001 };
	struct run r;

	(void)state;
	run_over(&r, &cfg, NULL, 0, ALG_TCP, ALG_IN, ok, sizeof(ok) - 1, provider, conn);
	assert_int_equal(r.res.reason, ALG_OK);
	assert_non_null(strstr(r.out, "\r\nVia: SIP/2.0/TCP 192.168.1.102:40001;rport=40001;received=192.168.1.102;"));
	run_free(&r);
	/* over UDP the binding that holds the port decides, as before */
	run_over(&r, &cfg, NULL, 0, ALG_UDP, ALG_IN, ok, sizeof(ok) - 1, provider, conn);
	assert_non_null(strstr(r.out, "\r\nVia: SIP/2.0/TCP 192.168.1.101:5060;"));
	run_free(&r);
}

static void output_buffer_too_small(void **state)
{
	struct alg_config cfg = lab_config(NULL, 0);
	struct alg_packet pkt = { REQ_HEAD "\r\n", sizeof(REQ_HEAD "\r\n") - 1, ALG_OUT, { 0, 0 }, provider, ALG_UDP };
	struct alg_result res;
	char out[64];

	(void)state;
	alg_translate(&cfg, &pkt, out, sizeof(out), &res);
	assert_int_equal(res.reason, ALG_NO_ROOM);
	assert_false(res.changed);
	assert_int_equal(res.n_actions, 0);
}

static void hostile_call_id_cannot_forge_log_lines(void **state)
{
	static const char msg[] =
		"BYE sip:2001@198.51.100.20 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 192.168.1.101:5060;branch=z9hG4bK1\r\n"
		"Call-ID: a\x1b[2Jb\x7f" "c\r\n"
		"CSeq: 2 BYE\r\n\r\n";
	struct alg_config cfg = lab_config(NULL, 0);
	struct run r;

	(void)state;
	run_bytes(&r, &cfg, ALG_OUT, msg, sizeof(msg) - 1, provider);
	assert_action(&r, "media-close call=a?[2Jb?c reason=BYE");
	run_free(&r);
}

/* The size limits: a message over either passes as it came, with no action. */
static void messages_over_the_limits_pass_unchanged(void **state)
{
	struct alg_config cfg = lab_config(NULL, 0);
	struct run r;

	(void)state;
	cfg.max_message_size = 512; /* the INVITE is longer */
	run_fixture(&r, &cfg, ALG_OUT, "zoiper-invite-stun-off", provider);
	assert_int_equal(r.res.reason, ALG_TOO_LARGE);
	assert_false(r.res.changed);
	assert_int_equal(r.res.n_actions, 0);
	run_free(&r);
	cfg.max_message_size = 0;
	cfg.max_headers = 8; /* it has more header lines */
	run_fixture(&r, &cfg, ALG_OUT, "zoiper-invite-stun-off", provider);
	assert_int_equal(r.res.reason, ALG_TOO_MANY_HEADERS);
	assert_false(r.res.changed);
	assert_int_equal(r.res.n_actions, 0);
	run_free(&r);
	cfg.max_headers = 64;
	cfg.max_message_size = 8192;
	run_fixture(&r, &cfg, ALG_OUT, "zoiper-invite-stun-off", provider);
	assert_int_equal(r.res.reason, ALG_OK);
	assert_true(r.res.changed);
	run_free(&r);
}


/* A message given as text, CRLF lines. */
static void run_text(struct run *r, const struct alg_config *cfg, enum alg_direction dir,
		     const char *msg, struct alg_endpoint src, struct alg_endpoint dst)
{
	run_from(r, cfg, dir, msg, strlen(msg), src, dst);
}

/* A response's top Via as the phone would see it without NAT (RFC 3581): received= and rport=
 * naming the router become the phone's own address and source port. */
static void response_via_params_name_the_phone(void **state)
{
	static const struct alg_binding map[] = { { { 0xc0a80165, 5060 }, 20000 } };
	struct alg_config cfg = lab_config(map, 1);
	static const char head[] = "SIP/2.0 200 OK\r\n";
	static const char tail[] = "From: <sip:1001@sip.example.net>;tag=a\r\n"
				   "To: <sip:1001@sip.example.net>;tag=b\r\n"
				   "Call-ID: via-params-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
	static const struct {
		const char *via, *want;
		struct alg_endpoint dst;
	} cases[] = {
		/* a server that adds received= whenever rport asks (RFC 3581 4) */
		{ "Via: SIP/2.0/UDP 203.0.113.5:20000;rport=20000;received=203.0.113.5;branch=z9hG4bKa",
		  "Via: SIP/2.0/UDP 192.168.1.101:5060;rport=5060;received=192.168.1.101;branch=z9hG4bKa",
		  { 0xc0a80165, 5060 } },
		/* kamailio: no received= when the source equals sent-by (the ALG wrote it) */
		{ "Via: SIP/2.0/UDP 203.0.113.5:20000;rport=20000;branch=z9hG4bKb",
		  "Via: SIP/2.0/UDP 192.168.1.101:5060;rport=5060;branch=z9hG4bKb", { 0xc0a80165, 5060 } },
		/* the phone sent from another port than its Via's: that port is what it gets */
		{ "Via: SIP/2.0/UDP 203.0.113.5:20000;received=203.0.113.5;rport=31000;branch=z9hG4bKc",
		  "Via: SIP/2.0/UDP 192.168.1.101:5060;received=192.168.1.101;rport=40000;branch=z9hG4bKc",
		  { 0xc0a80165, 40000 } },
		/* the destination unknown: the phone behind rport's public port */
		{ "Via: SIP/2.0/UDP 203.0.113.5:20000 ; received = 203.0.113.5 ; rport = 20000;branch=z9hG4bKd",
		  "Via: SIP/2.0/UDP 192.168.1.101:5060 ; received = 192.168.1.101 ; rport = 5060;branch=z9hG4bKd",
		  { 0, 0 } },
		/* another NAT in front (a CGN's address): not the router's, stays */
		{ "Via: SIP/2.0/UDP 203.0.113.5:20000;rport=1234;received=100.64.0.9;branch=z9hG4bKe",
		  "Via: SIP/2.0/UDP 192.168.1.101:5060;rport=1234;received=100.64.0.9;branch=z9hG4bKe",
		  { 0xc0a80165, 5060 } },
		/* a bare rport (a server without RFC 3581) stays bare */
		{ "Via: SIP/2.0/UDP 203.0.113.5:20000;rport;branch=z9hG4bKf",
		  "Via: SIP/2.0/UDP 192.168.1.101:5060;rport;branch=z9hG4bKf", { 0xc0a80165, 5060 } },
	};
	char msg[1024];
	struct run r;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(msg, sizeof(msg), "%s%s\r\n%s", head, cases[i].via, tail);
		run_text(&r, &cfg, ALG_IN, msg, provider, cases[i].dst);
		assert_int_equal(r.res.reason, ALG_OK);
		assert_line(&r, cases[i].want);
		assert_consistent(&r);
		run_free(&r);
	}
}

/* A received= or rport= that libosip2 reads otherwise than the scanner: the Via is malformed
 * and the message passes unchanged. */
static void odd_via_params_pass_unchanged(void **state)
{
	struct alg_config cfg = lab_config(NULL, 0);
	static const char msg[] = "SIP/2.0 200 OK\r\n"
				  "Via: SIP/2.0/UDP 203.0.113.5:5060;x=\"a;received=1.2.3.4\";branch=z9hG4bKg\r\n"
				  "From: <sip:1001@sip.example.net>;tag=a\r\n"
				  "To: <sip:1001@sip.example.net>;tag=b\r\n"
				  "Call-ID: via-params-2\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
	struct run r;

	(void)state;
	run_text(&r, &cfg, ALG_IN, msg, provider, phone1);
	assert_false(r.res.changed);
	run_free(&r);
}

/* A REGISTER's contacts are announced with the request (Call-ID, CSeq, AOR), expires=0 and
 * Contact: * included, so that the table can match the 2xx to them. */
static void register_announces_its_contacts(void **state)
{
	struct alg_config cfg = lab_config(NULL, 0);
	struct run r;

	(void)state;
	run_fixture(&r, &cfg, ALG_OUT, "unregister-out", provider);
	assert_int_equal(r.res.reason, ALG_OK);
	assert_line(&r, "Contact: <sip:1002@203.0.113.5:5060>");
	assert_action(&r, "register 192.168.1.102:5060 -> 203.0.113.5:5060 expires=0 aor=sip:1002@sip.example.net cseq=4");
	run_free(&r);
	run_fixture(&r, &cfg, ALG_OUT, "register-multi-out", provider);
	assert_line(&r, "Contact: <sip:1002@203.0.113.5:5060>;expires=3600, <sip:1002@203.0.113.5:5062>;expires=0");
	assert_action(&r, "register 192.168.1.102:5060 -> 203.0.113.5:5060 expires=3600 aor=sip:1002@sip.example.net cseq=7");
	assert_action(&r, "register 192.168.1.102:5062 -> 203.0.113.5:5062 expires=0 aor=sip:1002@sip.example.net cseq=7");
	run_free(&r);
	/* Contact: * names no address: it speaks for the sender, and nothing is rewritten in it */
	run_fixture(&r, &cfg, ALG_OUT, "unregister-star-out", provider);
	assert_line(&r, "Contact: *");
	assert_action(&r, "register 192.168.1.103 * expires=0 aor=sip:1003@sip.example.net cseq=23");
	assert_consistent(&r);
	run_free(&r);
	/* a public Contact the phone wrote itself is not the ALG's to announce */
	run_text(&r, &cfg, ALG_OUT,
		 "REGISTER sip:sip.example.net SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 192.168.1.102:5060;branch=z9hG4bK77\r\n"
		 "From: <sip:1002@sip.example.net>;tag=1\r\nTo: <sip:1002@sip.example.net>\r\n"
		 "Call-ID: c1\r\nCSeq: 9 REGISTER\r\nContact: <sip:1002@203.0.113.5:5060>\r\n"
		 "Content-Length: 0\r\n\r\n", phone2, provider);
	assert_int_equal(r.res.n_actions, 1);
	assert_action(&r, "signaling 192.168.1.102:5060 -> 203.0.113.5:5060");
	run_free(&r);
}

/* Transfer, outbound: Refer-To and Referred-By are translated as Contact is; the Replaces in
 * Refer-To's URI headers holds a Call-ID that names the LAN phone, and stays as it is. */
static void refer_out_translates_transfer_headers(void **state)
{
	struct alg_config cfg = lab_config(NULL, 0);
	struct run r;

	(void)state;
	run_fixture(&r, &cfg, ALG_OUT, "refer-out", provider);
	assert_int_equal(r.res.reason, ALG_OK);
	assert_line(&r, "Refer-To: <sip:2002@198.51.100.30:5060?Replaces=2984610221%40192.168.1.101%3Bto-tag%3D1994561877%3Bfrom-tag%3D3112093408>");
	assert_line(&r, "Referred-By: <sip:1001@203.0.113.5:5060>");
	assert_line(&r, "Call-ID: 1618763524@192.168.1.101");
	assert_int_equal(r.res.n_actions, 1);
	assert_consistent(&r);
	run_free(&r);
	/* the phone names itself as the target (compact forms, addr-spec, a parameter) */
	run_text(&r, &cfg, ALG_OUT,
		 "REFER sip:2001@198.51.100.20 SIP/2.0\r\n"
		 "v: SIP/2.0/UDP 192.168.1.101:5062;branch=z9hG4bK88\r\n"
		 "f: <sip:1001@sip.example.net>;tag=1\r\nt: <sip:2001@sip.example.net>;tag=2\r\n"
		 "i: 77@192.168.1.101\r\nCSeq: 5 REFER\r\nm: <sip:1001@192.168.1.101:5062>\r\n"
		 "r: <sip:1001@192.168.1.101:5062?Replaces=77%40192.168.1.101%3Bto-tag%3D2%3Bfrom-tag%3D1>\r\n"
		 "b: sip:1001@192.168.1.101:5062;cid=\"<x@192.168.1.101>\"\r\n"
		 "l: 0\r\n\r\n",
		 (struct alg_endpoint){ 0xc0a80165, 5062 }, provider);
	assert_int_equal(r.res.reason, ALG_OK);
	assert_line(&r, "r: <sip:1001@203.0.113.5:5062?Replaces=77%40192.168.1.101%3Bto-tag%3D2%3Bfrom-tag%3D1>");
	assert_line(&r, "b: sip:1001@203.0.113.5:5062;cid=\"<x@192.168.1.101>\"");
	assert_line(&r, "i: 77@192.168.1.101");
	assert_int_equal(r.res.n_actions, 1);
	assert_action(&r, "signaling 192.168.1.101:5062 -> 203.0.113.5:5062");
	run_free(&r);
}

/* Transfer, inbound: the WAN side's name for a LAN phone (public address, bound port) is
 * restored; a LAN address it names stays, and nothing is bound. */
static void refer_in_restores_transfer_headers(void **state)
{
	static const struct alg_binding map[] = { { { 0xc0a80165, 5060 }, 16390 } };
	struct alg_config cfg = lab_config(map, 1);
	struct run r;

	(void)state;
	run_fixture(&r, &cfg, ALG_IN, "refer-in", phone2);
	assert_int_equal(r.res.reason, ALG_OK);
	assert_true(strncmp(r.out, "REFER sip:1002@192.168.1.102:5060 SIP/2.0\r\n", 43) == 0);
	assert_line(&r, "r: <sip:1001@192.168.1.101:5060?Replaces=3329101477%40192.168.1.101%3Bto-tag%3D88127341%3Bfrom-tag%3D5501923>");
	assert_line(&r, "b: <sip:2001@sip.example.net>");
	assert_line(&r, "m: <sip:2001@198.51.100.20:5060;ob>");
	assert_int_equal(r.res.n_actions, 0);
	assert_consistent(&r);
	run_free(&r);
	run_text(&r, &cfg, ALG_IN,
		 "REFER sip:1002@203.0.113.5:5060 SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 198.51.100.10:5060;branch=z9hG4bK99\r\n"
		 "From: <sip:2001@sip.example.net>;tag=1\r\nTo: <sip:1002@sip.example.net>;tag=2\r\n"
		 "Call-ID: 99\r\nCSeq: 1 REFER\r\n"
		 "Refer-To: <sip:9@192.168.1.20:5060>\r\nReferred-By: <sip:2001@192.168.1.30>\r\n"
		 "Content-Length: 0\r\n\r\n", provider, phone2);
	assert_int_equal(r.res.reason, ALG_OK);
	assert_line(&r, "Refer-To: <sip:9@192.168.1.20:5060>");
	assert_line(&r, "Referred-By: <sip:2001@192.168.1.30>");
	assert_int_equal(r.res.n_actions, 0);
	run_free(&r);
}

/* Refer-To naming another LAN host is refused (own-address rule); one whose Replaces holds a
 * raw '@' and ';' (not escaped, RFC 3261 19.1.1) is malformed: both pass byte-identical. */
static void odd_refer_passes_unchanged(void **state)
{
	struct alg_config cfg = lab_config(NULL, 0);
	static const char head[] = "REFER sip:2001@198.51.100.20 SIP/2.0\r\n"
				   "Via: SIP/2.0/UDP 192.168.1.101:5060;branch=z9hG4bK5\r\n"
				   "From: <sip:1001@sip.example.net>;tag=1\r\nTo: <sip:2001@sip.example.net>;tag=2\r\n"
				   "Call-ID: 5\r\nCSeq: 5 REFER\r\n";
	char msg[1024];
	struct run r;

	(void)state;
	snprintf(msg, sizeof(msg), "%sRefer-To: <sip:1003@192.168.1.103>\r\nContent-Length: 0\r\n\r\n", head);
	run_text(&r, &cfg, ALG_OUT, msg, phone1, provider);
	assert_int_equal(r.res.reason, ALG_FOREIGN_ADDRESS);
	assert_false(r.res.changed);
	assert_int_equal(r.res.n_actions, 0);
	run_free(&r);
	snprintf(msg, sizeof(msg),
		 "%sRefer-To: <sip:2002@198.51.100.30?Replaces=abc@192.168.1.101;to-tag=1;from-tag=2>\r\n"
		 "Content-Length: 0\r\n\r\n", head);
	run_text(&r, &cfg, ALG_OUT, msg, phone1, provider);
	assert_int_equal(r.res.reason, ALG_BAD_HEADER);
	assert_false(r.res.changed);
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(zoiper_stun_off_is_translated),
		cmocka_unit_test(tcp_via_binds_nothing),
		cmocka_unit_test(tcp_response_via_is_the_connections_phone),
		cmocka_unit_test(zoiper_stun_on_keeps_public_addresses),
		cmocka_unit_test(public_phone_is_byte_identical),
		cmocka_unit_test(compact_forms_and_comma_lists),
		cmocka_unit_test(mixed_case_header_names),
		cmocka_unit_test(response_from_phone_keeps_other_vias),
		cmocka_unit_test(lan_pbx_record_route),
		cmocka_unit_test(bindings_move_ports),
		cmocka_unit_test(bound_rtcp_port_is_rewritten),
		cmocka_unit_test(viaport_absent_gets_port_when_bound_elsewhere),
		cmocka_unit_test(declined_stream_opens_nothing),
		cmocka_unit_test(rtcp_mux_opens_one_port),
		cmocka_unit_test(multipart_sdp_part_is_translated),
		cmocka_unit_test(register_2xx_restores_own_contact),
		cmocka_unit_test(register_2xx_follows_bindings),
		cmocka_unit_test(inbound_request_uri_reaches_phone),
		cmocka_unit_test(inbound_response_restores_top_via),
		cmocka_unit_test(response_via_params_name_the_phone),
		cmocka_unit_test(odd_via_params_pass_unchanged),
		cmocka_unit_test(dialog_ends_close_media),
		cmocka_unit_test(malformed_messages_pass_unchanged),
		cmocka_unit_test(ipv6_passes_unchanged),
		cmocka_unit_test(output_buffer_too_small),
		cmocka_unit_test(hostile_call_id_cannot_forge_log_lines),
		cmocka_unit_test(messages_over_the_limits_pass_unchanged),
		cmocka_unit_test(register_announces_its_contacts),
		cmocka_unit_test(refer_out_translates_transfer_headers),
		cmocka_unit_test(refer_in_restores_transfer_headers),
		cmocka_unit_test(odd_refer_passes_unchanged),
	};
	return cmocka_run_group_tests_name("translate", tests, setup_osip, NULL);
}
