/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sipload: the SIP traffic of the benchmarks, run inside the lab's namespaces.
 *
 *   sipload send   --from IP:PORT --to IP:PORT [--calls K] [--seconds S] [--rate R]
 *       INVITEs with SDP from IP:PORT to a Request-URI naming the destination, as fast as
 *       sendmmsg goes (no --rate) or R per second (those due sent together). K Call-IDs are
 *       reused in turn, so that an ALG holds K dialogs (K above the messages of the run: each
 *       a new call); each message carries its sequence number and send time.
 *   sipload recv   --at IP:PORT [--seconds MAX] [--quiet-ms Q] [--need STR] [--forbid STR]
 *                  [--prime IP:PORT]
 *       counts what arrives until Q ms pass without a packet (after the first) or MAX seconds;
 *       a message is translated when its request line holds --need and no line but the
 *       Call-ID holds --forbid. Latency is the kernel's receive time minus the send time.
 *       --prime first sends one REGISTER from the socket (so that a NAT flow exists).
 *   sipload answer --at IP:PORT [--seconds S]
 *       a registrar and callee: 200 to REGISTER (expires 3600) and to INVITE (with SDP).
 *   --transport tcp (send, recv): the same over SIP/TCP: send writes the INVITEs on one
 *       connection (back to back when unpaced, so that messages straddle segments; one
 *       write each when paced, TCP_NODELAY); recv accepts connections and frames what
 *       arrives by Content-Length. Latency is then the receiver's clock when it read the
 *       message's last bytes minus the send time.
 *   sipload fill   --from IP --to IP:PORT --first-port P --count N
 *       N phones on ports P.. of IP: each registers, then places a call (INVITE with SDP),
 *       waiting for each 200: registrations and answered dialogs for the ALG to hold.
 *   sipload soak   --from IP --to IP:PORT --first-port P --count N --rate R --seconds S
 *                  [--register-interval S]
 *       N phones on ports P.. of IP, each its own socket, for S seconds at about R messages
 *       per second (sent and received): all register, then re-register every interval (60 s;
 *       one in 20 unregisters first), while calls start and end all the time: answered (a
 *       re-INVITE moves the media port, then BYE), cancelled while ringing, refused busy.
 *       Against `sipload answer`. A line of counts every 10 s and at the end.
 *
 * Results go to stdout as one line of key=value pairs.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/net_tstamp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define MSG_MAX 2048
#define MAX_LATENCIES (1 << 22)

struct opts {
	struct sockaddr_in from, to, at, prime;
	int have_from, have_to, have_at, have_prime;
	unsigned calls, count, first_port;
	double seconds, rate, reg_interval;
	int quiet_ms;
	const char *need, *forbid;
};

static volatile sig_atomic_t stop;
static const char *via_transport = "UDP"; /* what the INVITEs' Via says: --transport */

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "sipload: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int parse_endpoint(const char *s, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(s, ':');

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return inet_pton(AF_INET, s, &sa->sin_addr) == 1 ? 0 : -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	sa->sin_port = htons((uint16_t)atoi(colon + 1));
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

static const char *ip_of(const struct sockaddr_in *sa, char *buf)
{
	return inet_ntop(AF_INET, &sa->sin_addr, buf, INET_ADDRSTRLEN);
}

static int udp_socket(const struct sockaddr_in *bind_to, int big_buffers)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0), one = 1, size = 32 << 20;

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (big_buffers) { /* a burst must not be lost in our own socket */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)))
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	}
	if (bind(fd, (const struct sockaddr *)bind_to, sizeof(*bind_to)))
		die("bind");
	return fd;
}

/* The SDP offer of a phone at ip with its audio on media_port (version: o= line's). */
static int format_offer(char *sdp, size_t cap, const char *ip, uint16_t media_port, unsigned version)
{
	return snprintf(sdp, cap,
			"v=0\r\no=bench 1 %u IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
			"m=audio %u RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
			"a=rtpmap:101 telephone-event/8000\r\na=ptime:20\r\na=sendrecv\r\n",
			version, ip, ip, media_port);
}

/* An INVITE with an SDP offer from `from`, whose Request-URI names `to`. */
static int format_invite(char *buf, size_t cap, const struct sockaddr_in *from,
			 const struct sockaddr_in *to, const char *user, unsigned call, uint16_t media_port,
			 uint64_t seq, int64_t sent_ns)
{
	char fip[INET_ADDRSTRLEN], tip[INET_ADDRSTRLEN], sdp[512];
	unsigned fport = ntohs(from->sin_port), tport = ntohs(to->sin_port);
	int sdp_len;

	ip_of(from, fip);
	ip_of(to, tip);
	sdp_len = format_offer(sdp, sizeof(sdp), fip, media_port, 1);
	return snprintf(buf, cap,
			"INVITE sip:%s@%s:%u SIP/2.0\r\n"
			"Via: SIP/2.0/%s %s:%u;branch=z9hG4bK-%" PRIu64 ";rport\r\n"
			"Max-Forwards: 70\r\n"
			"From: <sip:bench@%s>;tag=b%u\r\n" /* names the far host: From is no ALG's business */
			"To: <sip:%s@%s>\r\n"
			"Call-ID: bench-%u@%s\r\n"
			"CSeq: %" PRIu64 " INVITE\r\n"
			"Contact: <sip:bench@%s:%u>\r\n"
			"User-Agent: sipalg-bench\r\n"
			"X-Bench: %" PRIu64 " %" PRId64 "\r\n"
			"Content-Type: application/sdp\r\n"
			"Content-Length: %d\r\n\r\n%s",
			user, tip, tport, via_transport, fip, fport, seq, tip, call, user, tip, call, fip, seq + 1, fip,
			fport, seq, sent_ns, sdp_len, sdp);
}

/* A REGISTER of user u<n> at `from` with the registrar `to`, CSeq cseq, for `expires` seconds
 * (0: unregisters). */
static int format_register(char *buf, size_t cap, const struct sockaddr_in *from,
			   const struct sockaddr_in *to, unsigned n, unsigned cseq, unsigned expires)
{
	char fip[INET_ADDRSTRLEN], tip[INET_ADDRSTRLEN];
	unsigned fport = ntohs(from->sin_port);

	ip_of(from, fip);
	ip_of(to, tip);
	return snprintf(buf, cap,
			"REGISTER sip:%s SIP/2.0\r\nVia: SIP/2.0/UDP %s:%u;branch=z9hG4bK-r%u-%u;rport\r\n"
			"Max-Forwards: 70\r\nFrom: <sip:u%u@%s>;tag=r%u\r\nTo: <sip:u%u@%s>\r\n"
			"Call-ID: reg-%u@%s\r\nCSeq: %u REGISTER\r\nContact: <sip:u%u@%s:%u>\r\n"
			"Expires: %u\r\nContent-Length: 0\r\n\r\n",
			tip, fip, fport, n, cseq, n, tip, n, n, tip, n, fip, cseq, n, fip, fport, expires);
}

/* Paced sending: message seq leaves at start + seq / rate (t: now). */
static void pace(int64_t start, uint64_t seq, double rate, int64_t t)
{
	int64_t due = start + (int64_t)((double)seq * 1e9 / rate);
	struct timespec ts = { (time_t)(due / 1000000000), (long)(due % 1000000000) };

	if (due > t)
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

/* After pace: the messages from seq on that are due now, 1 to max. At a rate above what one
 * sleep per message keeps up with (tens of thousands per second: a sleep overshoots by tens
 * of microseconds), those due go out together rather than falling behind. */
static int due_now(int64_t start, uint64_t seq, double rate, int max)
{
	int64_t t = now_ns(CLOCK_MONOTONIC);
	double due = (double)(t - start) * rate / 1e9 - (double)seq;

	return due < 1 ? 1 : due > max ? max : (int)due;
}

/* The RTP port of call k: distinct for 25,000 calls (--calls above that: a new call per
 * message for a run that short, each with pinholes of its own). */
static uint16_t media_port_of(unsigned call)
{
	return (uint16_t)(10000 + 2 * (call % 25000));
}

static int cmd_send(const struct opts *o)
{
	static char bufs[BATCH][MSG_MAX];
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	int fd = udp_socket(&o->from, 1);
	unsigned calls = o->calls ? o->calls : 1;
	int batch = BATCH;
	int64_t start = now_ns(CLOCK_MONOTONIC), end = start + (int64_t)(o->seconds * 1e9), t;
	uint64_t seq = 0, errors = 0;

	if (connect(fd, (const struct sockaddr *)&o->to, sizeof(o->to)))
		die("connect");
	while (!stop && (t = now_ns(CLOCK_MONOTONIC)) < end) {
		if (o->rate > 0) {
			pace(start, seq, o->rate, t);
			batch = due_now(start, seq, o->rate, BATCH);
		}
		for (int i = 0; i < batch; i++) {
			unsigned call = (unsigned)((seq + (uint64_t)i) % calls);
			int n = format_invite(bufs[i], MSG_MAX, &o->from, &o->to, "1001", call, media_port_of(call),
					      seq + (uint64_t)i, now_ns(CLOCK_REALTIME));

			iov[i] = (struct iovec){ bufs[i], (size_t)n };
			memset(&mm[i], 0, sizeof(mm[i]));
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		int sent = sendmmsg(fd, mm, (unsigned)batch, 0);

		if (sent < 0) {
			/* ECONNREFUSED: an ICMP error came back; the lab has no such host */
			errors++;
			continue;
		}
		seq += (uint64_t)sent;
	}
	t = now_ns(CLOCK_MONOTONIC);
	printf("sent=%" PRIu64 " seconds=%.3f rate=%.0f errors=%" PRIu64 "\n", seq, (double)(t - start) / 1e9,
	       (double)seq * 1e9 / (double)(t - start), errors);
	return 0;
}

/* A message's line starting with name (case-insensitive), without its CRLF. */
static int header_line(const char *msg, size_t len, const char *name, const char **line, size_t *line_len)
{
	size_t nl = strlen(name);

	for (const char *p = msg, *e = msg + len; p < e;) {
		const char *eol = memchr(p, '\n', (size_t)(e - p));
		size_t l = eol ? (size_t)(eol - p) : (size_t)(e - p);

		if (l == 0 || (l == 1 && p[0] == '\r'))
			return -1; /* end of the headers */
		if (l >= nl && strncasecmp(p, name, nl) == 0) {
			*line = p;
			*line_len = l && p[l - 1] == '\r' ? l - 1 : l;
			return 0;
		}
		p += l + 1;
	}
	return -1;
}

static int translated(const char *msg, size_t len, const struct opts *o)
{
	const char *eol = memchr(msg, '\n', len);
	size_t first = eol ? (size_t)(eol - msg) : len;

	if (o->need && !memmem(msg, first, o->need, strlen(o->need)))
		return 0;
	if (o->forbid) {
		size_t fl = strlen(o->forbid);

		for (const char *p = msg, *e = msg + len; p < e;) {
			const char *nl = memchr(p, '\n', (size_t)(e - p));
			size_t l = nl ? (size_t)(nl - p) + 1 : (size_t)(e - p);

			/* the Call-ID is opaque: it must arrive as sent */
			if (strncasecmp(p, "Call-ID:", 8) != 0 && memmem(p, l, o->forbid, fl))
				return 0;
			p += l;
		}
	}
	return 1;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* The receiver's result line: counts, the rate over the time messages came, latency. */
static int print_received(uint64_t received, uint64_t good, int64_t first, int64_t last, int64_t *lat,
			  uint64_t n_lat)
{
	double span = first && last > first ? (double)(last - first) / 1e9 : 0;
	int64_t p50 = 0, p99 = 0;

	if (n_lat) {
		qsort(lat, n_lat, sizeof(lat[0]), cmp_i64);
		p50 = lat[n_lat / 2];
		p99 = lat[n_lat * 99 / 100];
	}
	printf("received=%" PRIu64 " translated=%" PRIu64 " span=%.3f rate=%.0f p50_us=%.1f p99_us=%.1f\n",
	       received, good, span, span > 0 ? (double)good / span : 0, (double)p50 / 1e3, (double)p99 / 1e3);
	return 0;
}

static int cmd_recv(const struct opts *o)
{
	static char bufs[BATCH][MSG_MAX + 1];
	static char ctl[BATCH][256];
	static int64_t lat[MAX_LATENCIES];
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	int fd = udp_socket(&o->at, 1), on = 1;
	int64_t start = now_ns(CLOCK_MONOTONIC), first = 0, last = 0;
	int64_t end = start + (int64_t)((o->seconds > 0 ? o->seconds : 30) * 1e9);
	uint64_t received = 0, good = 0, n_lat = 0;

	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
	if (o->have_prime) {
		char msg[MSG_MAX];
		int n = format_register(msg, sizeof(msg), &o->at, &o->prime, 0, 1, 3600);

		if (sendto(fd, msg, (size_t)n, 0, (const struct sockaddr *)&o->prime, sizeof(o->prime)) < 0)
			die("prime");
	}
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		int64_t t = now_ns(CLOCK_MONOTONIC), wait_ms;
		struct pollfd pfd = { fd, POLLIN, 0 };

		if (t >= end || (first && t - last >= (int64_t)o->quiet_ms * 1000000))
			break;
		wait_ms = first ? (last + (int64_t)o->quiet_ms * 1000000 - t) / 1000000 + 1 : (end - t) / 1000000 + 1;
		if (poll(&pfd, 1, (int)wait_ms) <= 0)
			continue;
		for (int i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){ bufs[i], MSG_MAX };
			memset(&mm[i], 0, sizeof(mm[i]));
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
			mm[i].msg_hdr.msg_control = ctl[i];
			mm[i].msg_hdr.msg_controllen = sizeof(ctl[i]);
		}
		int n = recvmmsg(fd, mm, BATCH, MSG_DONTWAIT, NULL);

		if (n <= 0)
			continue;
		last = now_ns(CLOCK_MONOTONIC);
		if (!first)
			first = last;
		for (int i = 0; i < n; i++) {
			size_t len = mm[i].msg_len;
			const char *line;
			size_t line_len;
			int64_t rx = 0;

			received++;
			good += translated(bufs[i], len, o);
			for (struct cmsghdr *c = CMSG_FIRSTHDR(&mm[i].msg_hdr); c; c = CMSG_NXTHDR(&mm[i].msg_hdr, c))
				if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
					struct timespec ts;

					memcpy(&ts, CMSG_DATA(c), sizeof(ts));
					rx = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
				}
			bufs[i][len] = '\0';
			if (rx && n_lat < MAX_LATENCIES &&
			    header_line(bufs[i], len, "X-Bench:", &line, &line_len) == 0) {
				uint64_t seq;
				int64_t sent;

				if (sscanf(line + 8, "%" SCNu64 " %" SCNd64, &seq, &sent) == 2 && sent > 0)
					lat[n_lat++] = rx - sent;
			}
		}
	}
	return print_received(received, good, first, last, lat, n_lat);
}


/* ---- SIP over TCP ---- */

static int tcp_socket(const struct sockaddr_in *bind_to)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)bind_to, sizeof(*bind_to)))
		die("bind");
	return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int cmd_send_tcp(const struct opts *o)
{
	static char buf[BATCH * MSG_MAX];
	int fd = tcp_socket(&o->from), one = 1;
	unsigned calls = o->calls ? o->calls : 1;
	int batch = o->rate > 0 ? 1 : BATCH;
	int64_t start, end, t;
	uint64_t seq = 0, errors = 0;

	if (o->rate > 0)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)&o->to, sizeof(o->to)))
		die("connect");
	start = now_ns(CLOCK_MONOTONIC);
	end = start + (int64_t)(o->seconds * 1e9);
	while (!stop && (t = now_ns(CLOCK_MONOTONIC)) < end) {
		size_t len = 0;

		if (o->rate > 0)
			pace(start, seq, o->rate, t);
		for (int i = 0; i < batch; i++) {
			unsigned call = (unsigned)((seq + (uint64_t)i) % calls);

			len += (size_t)format_invite(buf + len, MSG_MAX, &o->from, &o->to, "1001", call,
						     media_port_of(call), seq + (uint64_t)i, now_ns(CLOCK_REALTIME));
		}
		if (write_all(fd, buf, len)) {
			errors++;
			break;
		}
		seq += (uint64_t)batch;
	}
	t = now_ns(CLOCK_MONOTONIC);
	shutdown(fd, SHUT_WR);
	printf("sent=%" PRIu64 " seconds=%.3f rate=%.0f errors=%" PRIu64 "\n", seq, (double)(t - start) / 1e9,
	       (double)seq * 1e9 / (double)(t - start), errors);
	close(fd);
	return 0;
}

/* The length of the message at the start of buf once it is all there, else 0. */
static size_t tcp_message_len(const char *buf, size_t len)
{
	const char *end = memmem(buf, len, "\r\n\r\n", 4), *line;
	size_t head, l, body = 0;

	if (!end)
		return 0;
	head = (size_t)(end - buf) + 4;
	if (header_line(buf, head, "Content-Length:", &line, &l) == 0)
		body = (size_t)strtoul(line + 15, NULL, 10);
	return head + body <= len ? head + body : 0;
}

#define TCP_PEERS 64
#define TCP_BUF (1 << 18)

static int cmd_recv_tcp(const struct opts *o)
{
	static char bufs[TCP_PEERS][TCP_BUF];
	static int64_t lat[MAX_LATENCIES];
	size_t fill[TCP_PEERS] = { 0 };
	struct pollfd pfd[TCP_PEERS + 1];
	int ls = tcp_socket(&o->at);
	int64_t start = now_ns(CLOCK_MONOTONIC), first = 0, last = 0;
	int64_t end = start + (int64_t)((o->seconds > 0 ? o->seconds : 30) * 1e9);
	uint64_t received = 0, good = 0, n_lat = 0;

	if (listen(ls, 16))
		die("listen");
	pfd[0] = (struct pollfd){ ls, POLLIN, 0 };
	for (int i = 1; i <= TCP_PEERS; i++)
		pfd[i] = (struct pollfd){ -1, POLLIN, 0 };
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		int64_t t = now_ns(CLOCK_MONOTONIC), wait_ms;

		if (t >= end || (first && t - last >= (int64_t)o->quiet_ms * 1000000))
			break;
		wait_ms = first ? (last + (int64_t)o->quiet_ms * 1000000 - t) / 1000000 + 1 : (end - t) / 1000000 + 1;
		if (poll(pfd, TCP_PEERS + 1, (int)wait_ms) <= 0)
			continue;
		if (pfd[0].revents & POLLIN) {
			int c = accept(ls, NULL, NULL);

			for (int i = 1; c >= 0 && i <= TCP_PEERS; i++)
				if (pfd[i].fd < 0) {
					pfd[i].fd = c, fill[i - 1] = 0, c = -1;
				}
			if (c >= 0)
				close(c);
		}
		for (int i = 1; i <= TCP_PEERS; i++) {
			char *b = bufs[i - 1];
			size_t *f = &fill[i - 1], m;
			ssize_t n;

			if (pfd[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(pfd[i].fd, b + *f, TCP_BUF - 1 - *f);
			if (n <= 0) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
				continue;
			}
			*f += (size_t)n;
			last = now_ns(CLOCK_MONOTONIC);
			if (!first)
				first = last;
			int64_t rx = now_ns(CLOCK_REALTIME);

			while ((m = tcp_message_len(b, *f)) > 0) {
				const char *line;
				size_t line_len;

				received++;
				good += translated(b, m, o);
				if (n_lat < MAX_LATENCIES && header_line(b, m, "X-Bench:", &line, &line_len) == 0) {
					uint64_t seq;
					int64_t sent;

					if (sscanf(line + 8, "%" SCNu64 " %" SCNd64, &seq, &sent) == 2 && sent > 0)
						lat[n_lat++] = rx - sent;
				}
				memmove(b, b + m, *f - m);
				*f -= m;
			}
			if (*f == TCP_BUF - 1) { /* no message fits: not SIP as we send it */
				close(pfd[i].fd);
				pfd[i].fd = -1;
			}
		}
	}
	return print_received(received, good, first, last, lat, n_lat);
}

/* A response to a request: its Via, From, To (tagged), Call-ID and CSeq (with the method
 * INVITE when invite_cseq: the 487 to an INVITE made from its CANCEL), then extra. */
static int format_reply(char *out, size_t cap, const char *status, const char *req, size_t len, int invite_cseq,
			const char *extra)
{
	static const char *const copied[] = { "Via:", "From:", "To:", "Call-ID:", "CSeq:" };
	int w = snprintf(out, cap, "SIP/2.0 %s\r\n", status);

	for (size_t h = 0; h < sizeof(copied) / sizeof(copied[0]); h++) {
		const char *line;
		size_t l;

		if (header_line(req, len, copied[h], &line, &l))
			return -1;
		if (h == 4 && invite_cseq)
			w += snprintf(out + w, cap - (size_t)w, "CSeq: %lu INVITE\r\n", strtoul(line + 5, NULL, 10));
		else
			w += snprintf(out + w, cap - (size_t)w, "%.*s%s\r\n", (int)l, line,
				      h == 2 && !memmem(line, l, ";tag=", 5) ? ";tag=answer" : "");
	}
	w += snprintf(out + w, cap - (size_t)w, "%s", extra);
	return w < (int)cap ? w : -1;
}

static int format_ok(char *out, size_t cap, const char *req, size_t len, const char *extra)
{
	return format_reply(out, cap, "200 OK", req, len, 0, extra);
}

/* A string's hash (FNV-1a): the answer's media port follows the call. */
static uint32_t fnv1a(const char *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ (unsigned char)*p++) * 16777619u;
	return h;
}

/* The answering side: a registrar, and a callee whose answer the Request-URI's user picks:
 * "busy" gets 486, "ring" 180 and then 487 once the caller cancels, any other 200 with SDP
 * (also to a re-INVITE). BYE and CANCEL get their 200. Stateless: every reply is made from
 * the request it answers. */
static int cmd_answer(const struct opts *o)
{
	char req[MSG_MAX + 1], out[MSG_MAX * 2], extra[1024], ip[INET_ADDRSTRLEN];
	int fd = udp_socket(&o->at, 1);
	int64_t end = now_ns(CLOCK_MONOTONIC) + (int64_t)((o->seconds > 0 ? o->seconds : 600) * 1e9);
	uint64_t registers = 0, invites = 0, cancels = 0, byes = 0, acks = 0, others = 0;

	ip_of(&o->at, ip);
	printf("ready\n");
	fflush(stdout);
	while (!stop && now_ns(CLOCK_MONOTONIC) < end) {
		struct sockaddr_in peer;
		socklen_t plen = sizeof(peer);
		struct pollfd pfd = { fd, POLLIN, 0 };
		const char *line;
		size_t l;
		ssize_t n;
		int w = -1;

		if (poll(&pfd, 1, 200) <= 0)
			continue;
		n = recvfrom(fd, req, MSG_MAX, 0, (struct sockaddr *)&peer, &plen);
		if (n <= 0)
			continue;
		req[n] = '\0';
		if (strncmp(req, "REGISTER ", 9) == 0) {
			const char *exp;
			size_t el;
			int gone = header_line(req, (size_t)n, "Expires:", &exp, &el) == 0 && atoi(exp + 8) == 0;

			if (header_line(req, (size_t)n, "Contact:", &line, &l) == 0) {
				snprintf(extra, sizeof(extra), "%.*s;expires=%s\r\nContent-Length: 0\r\n\r\n", (int)l, line,
					 gone ? "0" : "3600");
				w = format_ok(out, sizeof(out), req, (size_t)n, extra);
			}
			registers++;
		} else if (strncmp(req, "INVITE sip:busy@", 16) == 0) {
			w = format_reply(out, sizeof(out), "486 Busy Here", req, (size_t)n, 0, "Content-Length: 0\r\n\r\n");
			invites++;
		} else if (strncmp(req, "INVITE sip:ring@", 16) == 0) {
			snprintf(extra, sizeof(extra), "Contact: <sip:answer@%s:%u>\r\nContent-Length: 0\r\n\r\n", ip,
				 ntohs(o->at.sin_port));
			w = format_reply(out, sizeof(out), "180 Ringing", req, (size_t)n, 0, extra);
			invites++;
		} else if (strncmp(req, "INVITE ", 7) == 0) {
			char sdp[256];
			uint16_t port = 50000;
			int sl;

			if (header_line(req, (size_t)n, "Call-ID:", &line, &l) == 0)
				port = (uint16_t)(40000 + 2 * (fnv1a(line, l) % 10000));
			sl = snprintf(sdp, sizeof(sdp),
				      "v=0\r\no=answer 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
				      "m=audio %u RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n", ip, ip, port);
			snprintf(extra, sizeof(extra),
				 "Contact: <sip:answer@%s:%u>\r\nContent-Type: application/sdp\r\n"
				 "Content-Length: %d\r\n\r\n%s", ip, ntohs(o->at.sin_port), sl, sdp);
			w = format_ok(out, sizeof(out), req, (size_t)n, extra);
			invites++;
		} else if (strncmp(req, "CANCEL ", 7) == 0) {
			w = format_ok(out, sizeof(out), req, (size_t)n, "Content-Length: 0\r\n\r\n");
			if (w > 0)
				sendto(fd, out, (size_t)w, 0, (struct sockaddr *)&peer, plen);
			w = format_reply(out, sizeof(out), "487 Request Terminated", req, (size_t)n, 1,
					 "Content-Length: 0\r\n\r\n");
			cancels++;
		} else if (strncmp(req, "BYE ", 4) == 0) {
			w = format_ok(out, sizeof(out), req, (size_t)n, "Content-Length: 0\r\n\r\n");
			byes++;
		} else if (strncmp(req, "ACK ", 4) == 0) {
			acks++;
		} else {
			others++;
		}
		if (w > 0)
			sendto(fd, out, (size_t)w, 0, (struct sockaddr *)&peer, plen);
	}
	printf("registers=%" PRIu64 " invites=%" PRIu64 " cancels=%" PRIu64 " byes=%" PRIu64 " acks=%" PRIu64
	       " others=%" PRIu64 "\n", registers, invites, cancels, byes, acks, others);
	return 0;
}

/* Sends msg and waits up to 500 ms for a 200 (one retransmission after 250 ms). */
static int transact(int fd, const char *msg, size_t len)
{
	char reply[MSG_MAX];

	for (int attempt = 0; attempt < 2; attempt++) {
		struct pollfd pfd = { fd, POLLIN, 0 };

		if (send(fd, msg, len, 0) < 0)
			return -1;
		while (poll(&pfd, 1, 250) > 0) {
			ssize_t n = recv(fd, reply, sizeof(reply), 0);

			if (n >= 12 && strncmp(reply, "SIP/2.0 200 ", 12) == 0)
				return 0;
		}
	}
	return -1;
}

static int cmd_fill(const struct opts *o)
{
	uint64_t reg_ok = 0, call_ok = 0;
	int64_t start = now_ns(CLOCK_MONOTONIC);

	for (unsigned i = 0; i < o->count && !stop; i++) {
		struct sockaddr_in me = o->from;
		char msg[MSG_MAX];
		int fd, n;

		me.sin_port = htons((uint16_t)(o->first_port + i));
		fd = udp_socket(&me, 0);
		if (connect(fd, (const struct sockaddr *)&o->to, sizeof(o->to)))
			die("connect");
		/* The account is the port's: a second fill is other phones, not the first ones
		 * again from new ports (which the ALG takes for phones that rebooted). */
		n = format_register(msg, sizeof(msg), &me, &o->to, o->first_port + i, 1, 3600);
		if (transact(fd, msg, (size_t)n) == 0)
			reg_ok++;
		/* the media port follows the phone's port: another fill's phones have others */
		n = format_invite(msg, sizeof(msg), &me, &o->to, "answer", o->first_port + i,
				  (uint16_t)(20000 + 2 * ((o->first_port + i) % 20000)), i, 0);
		if (transact(fd, msg, (size_t)n) == 0)
			call_ok++;
		close(fd);
	}
	printf("registered=%" PRIu64 " answered=%" PRIu64 " seconds=%.1f\n", reg_ok, call_ok,
	       (double)(now_ns(CLOCK_MONOTONIC) - start) / 1e9);
	return 0;
}

/* ---- soak: phones that register, call and hang up for a long time ---- */

enum soak_state { S_IDLE, S_REGISTER, S_UNREGISTER, S_INVITE, S_CANCEL, S_TALK, S_REINVITE, S_BYE };
enum soak_kind { K_ANSWER, K_RING, K_BUSY };

struct soak_phone {
	int fd;
	struct sockaddr_in me;
	enum soak_state state;
	enum soak_kind kind;
	int registered;
	unsigned call, cseq, invite_cseq, version, tries;
	uint16_t media;
	int64_t reg_due, timeout, reinvite_at, hangup_at;
	int len;
	char last[MSG_MAX]; /* the request a timeout sends again */
};

struct soak_counts {
	uint64_t committed; /* the messages of the transactions and calls started: the pacing's */
	uint64_t sent, received, registers, unregisters, calls, answered, cancelled, busy, reinvites, ended,
		timeouts, failed, stray, no_idle_phone;
};

static const char *const soak_user[] = { "answer", "ring", "busy" };

static uint64_t rnd_state = 88172645463325252ull;
static uint32_t rnd(void) /* xorshift64: the same run every time */
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (uint32_t)(rnd_state >> 32);
}

/* A request of phone p's current call (Call-ID soak-PORT-CALL) to `to`: in the dialog once
 * answered (the callee's Contact and To tag), with the phone's offer when sdp. branch
 * names the transaction (an ACK to a failure and a CANCEL share the INVITE's). */
static int soak_request(char *buf, size_t cap, const struct soak_phone *p, const struct sockaddr_in *to,
			const char *method, unsigned cseq, const char *branch, int in_dialog, int sdp)
{
	char fip[INET_ADDRSTRLEN], tip[INET_ADDRSTRLEN], body[512] = "";
	unsigned port = ntohs(p->me.sin_port);
	const char *user = in_dialog ? "answer" : soak_user[p->kind];
	int body_len = 0;

	ip_of(&p->me, fip);
	ip_of(to, tip);
	if (sdp)
		body_len = format_offer(body, sizeof(body), fip, p->media, p->version);
	return snprintf(buf, cap,
			"%s sip:%s@%s:%u SIP/2.0\r\n"
			"Via: SIP/2.0/UDP %s:%u;branch=z9hG4bK-s%u-%u-%s;rport\r\n"
			"Max-Forwards: 70\r\n"
			"From: <sip:u%u@%s>;tag=f%u-%u\r\n"
			"To: <sip:%s@%s>%s\r\n"
			"Call-ID: soak-%u-%u@%s\r\n"
			"CSeq: %u %s\r\n"
			"Contact: <sip:u%u@%s:%u>\r\n"
			"%s"
			"Content-Length: %d\r\n\r\n%s",
			method, user, tip, ntohs(to->sin_port), fip, port, port, p->call, branch, port, tip, port,
			p->call, user, tip, in_dialog ? ";tag=answer" : "", port, p->call, fip, cseq, method, port, fip,
			port, sdp ? "Content-Type: application/sdp\r\n" : "", body_len, body);
}

static void soak_send(struct soak_phone *p, struct soak_counts *c, const char *msg, int len)
{
	if (send(p->fd, msg, (size_t)len, 0) == len)
		c->sent++;
}

/* Sends a request that expects an answer: kept for the retransmission, and timed. */
static void soak_transact(struct soak_phone *p, struct soak_counts *c, enum soak_state next, int64_t now)
{
	p->state = next;
	p->tries = 0;
	p->timeout = now + 500000000;
	soak_send(p, c, p->last, p->len);
}

static void soak_register(struct soak_phone *p, struct soak_counts *c, const struct sockaddr_in *to,
			  unsigned expires, int64_t now)
{
	p->len = format_register(p->last, sizeof(p->last), &p->me, to, ntohs(p->me.sin_port), ++p->cseq, expires);
	soak_transact(p, c, expires ? S_REGISTER : S_UNREGISTER, now);
	c->committed += 2;
	if (expires)
		c->registers++;
	else
		c->unregisters++;
}

/* The phone's next call: answered (80%: a re-INVITE moves its media half-way, then BYE),
 * cancelled while ringing (10%), or refused busy (10%). */
static void soak_call(struct soak_phone *p, struct soak_counts *c, const struct sockaddr_in *to, int64_t now)
{
	char branch[16];
	uint32_t r = rnd() % 10;

	p->kind = r == 0 ? K_RING : r == 1 ? K_BUSY : K_ANSWER;
	c->committed += p->kind == K_RING ? 6 : p->kind == K_BUSY ? 3 : 8;
	p->call++;
	p->version = 1;
	p->invite_cseq = ++p->cseq;
	snprintf(branch, sizeof(branch), "%u", p->cseq);
	p->len = soak_request(p->last, sizeof(p->last), p, to, "INVITE", p->cseq, branch, 0, 1);
	soak_transact(p, c, S_INVITE, now);
	c->calls++;
}

/* The media port moves to the phone's other one (a re-INVITE's new port, or the next call's). */
static void soak_move_media(struct soak_phone *p)
{
	p->media ^= 2;
}

/* A request that expects no answer (ACK): by the branch of the INVITE for a failure's ACK. */
static void soak_ack(struct soak_phone *p, struct soak_counts *c, const struct sockaddr_in *to, int success)
{
	char msg[MSG_MAX], branch[16];
	int n;

	snprintf(branch, sizeof(branch), success ? "%ua" : "%u", p->invite_cseq);
	n = soak_request(msg, sizeof(msg), p, to, "ACK", p->invite_cseq, branch, success, 0);
	soak_send(p, c, msg, n);
}

static void soak_in_dialog(struct soak_phone *p, struct soak_counts *c, const struct sockaddr_in *to,
			   const char *method, enum soak_state next, int64_t now)
{
	char branch[16];
	int invite = !strcmp(method, "INVITE");

	if (invite)
		p->invite_cseq = p->cseq + 1;
	snprintf(branch, sizeof(branch), "%u", ++p->cseq);
	p->len = soak_request(p->last, sizeof(p->last), p, to, method, p->cseq, branch, 1, invite);
	soak_transact(p, c, next, now);
}

/* A response on phone p's socket: the state moves on when it answers the pending request. */
static void soak_response(struct soak_phone *p, struct soak_counts *c, const struct sockaddr_in *to,
			  const char *msg, size_t len, int64_t now, double interval)
{
	const char *line;
	size_t l;
	unsigned cseq;
	char method[16];
	int code;

	c->received++;
	if (len < 12 || strncmp(msg, "SIP/2.0 ", 8) || header_line(msg, len, "CSeq:", &line, &l) ||
	    sscanf(line + 5, "%u %15s", &cseq, method) != 2) {
		c->stray++;
		return;
	}
	code = atoi(msg + 8);
	if (p->state == S_CANCEL && !strcmp(method, "CANCEL") && cseq == p->invite_cseq)
		return; /* the CANCEL's own 200: the 487 ends the call */
	if (cseq != (p->state == S_CANCEL ? p->invite_cseq : p->cseq) || code < 180 ||
	    p->state == S_IDLE || p->state == S_TALK) {
		c->stray++; /* a retransmission's second answer, or one too late */
		return;
	}
	if (code < 200) {
		if (p->state == S_INVITE && p->kind == K_RING) {
			char branch[16];

			snprintf(branch, sizeof(branch), "%u", p->invite_cseq);
			p->len = soak_request(p->last, sizeof(p->last), p, to, "CANCEL", p->invite_cseq, branch, 0, 0);
			soak_transact(p, c, S_CANCEL, now);
		}
		return;
	}
	switch (p->state) {
	case S_REGISTER:
	case S_UNREGISTER:
		if (code != 200) {
			c->failed++;
		} else if (p->state == S_UNREGISTER) {
			p->registered = 0;
			soak_register(p, c, to, 120, now); /* back at once, as after a reboot */
			return;
		} else {
			p->registered++;
		}
		p->state = S_IDLE;
		/* every interval (+-10%); the first time anywhere in one, so that the phones that
		 * all registered at the start do not come back together */
		p->reg_due = now + (int64_t)(interval * (p->registered == 1 ? (rnd() % 1000) / 1000.0 :
							  0.9 + 0.2 * (rnd() % 1000) / 1000.0) * 1e9);
		return;
	case S_INVITE:
	case S_CANCEL:
		soak_ack(p, c, to, code == 200);
		if (code == 200 && p->state == S_INVITE) {
			int64_t hold = 2000000000 + (int64_t)(rnd() % 6000) * 1000000;

			p->state = S_TALK;
			p->reinvite_at = now + hold / 2;
			p->hangup_at = now + hold;
			c->answered++;
			return;
		}
		if (code == 200) { /* answered as the CANCEL went: hang up */
			soak_in_dialog(p, c, to, "BYE", S_BYE, now);
			return;
		}
		if (code == 487)
			c->cancelled++;
		else if (code == 486)
			c->busy++;
		else
			c->failed++;
		soak_move_media(p);
		p->state = S_IDLE;
		return;
	case S_REINVITE:
		soak_ack(p, c, to, code == 200);
		c->reinvites += code == 200;
		p->state = S_TALK;
		return;
	case S_BYE:
		c->ended += code == 200;
		soak_move_media(p);
		p->state = S_IDLE;
		return;
	default:
		return;
	}
}

/* Timers of one phone: retransmission (500 ms, doubling; given up after the third), the
 * re-INVITE and BYE of a call, and the next registration when idle. */
static void soak_timers(struct soak_phone *p, struct soak_counts *c, const struct sockaddr_in *to, int64_t now)
{
	switch (p->state) {
	case S_IDLE:
		if (p->reg_due && now >= p->reg_due)
			soak_register(p, c, to, rnd() % 20 == 0 && p->registered ? 0 : 120, now);
		return;
	case S_TALK:
		if (now >= p->hangup_at) {
			soak_in_dialog(p, c, to, "BYE", S_BYE, now);
		} else if (p->reinvite_at && now >= p->reinvite_at) {
			p->reinvite_at = 0;
			p->version++;
			soak_move_media(p);
			soak_in_dialog(p, c, to, "INVITE", S_REINVITE, now);
		}
		return;
	default:
		if (now < p->timeout)
			return;
		if (++p->tries <= 3) {
			p->timeout = now + (500000000ll << p->tries);
			soak_send(p, c, p->last, p->len);
			return;
		}
		c->timeouts++;
		if (p->state == S_REGISTER || p->state == S_UNREGISTER)
			p->reg_due = now + 1000000000;
		p->state = S_IDLE;
		return;
	}
}

static void soak_print(const struct soak_counts *c, const struct soak_phone *ph, unsigned n, double seconds)
{
	unsigned registered = 0, in_call = 0;

	for (unsigned i = 0; i < n; i++) {
		registered += ph[i].registered != 0;
		in_call += ph[i].state == S_TALK || ph[i].state == S_REINVITE || ph[i].state == S_BYE;
	}
	printf("seconds=%.1f sent=%" PRIu64 " received=%" PRIu64 " rate=%.0f registered=%u in_call=%u registers=%" PRIu64
	       " unregisters=%" PRIu64 " calls=%" PRIu64 " answered=%" PRIu64 " cancelled=%" PRIu64 " busy=%" PRIu64
	       " reinvites=%" PRIu64 " ended=%" PRIu64 " timeouts=%" PRIu64 " failed=%" PRIu64 " stray=%" PRIu64
	       " no_idle_phone=%" PRIu64 "\n",
	       seconds, c->sent, c->received, seconds > 0 ? (double)(c->sent + c->received) / seconds : 0, registered,
	       in_call, c->registers, c->unregisters, c->calls, c->answered, c->cancelled, c->busy, c->reinvites,
	       c->ended, c->timeouts, c->failed, c->stray, c->no_idle_phone);
}

/* N phones on ports P.. of IP (each its own socket), for S seconds at about R messages per
 * second (sent and received): all register at first (at R), then re-register every
 * --register-interval (one in 20 unregisters and registers again), and calls start whenever
 * the messages of what was started (a call: answered 8, INVITE 200 ACK, re-INVITE 200 ACK,
 * BYE 200; cancelled 6, INVITE 180 CANCEL 200 487 ACK; busy 3; a registration 2) fall behind
 * R. A line of counts every 10 s, and at the end. */
static int cmd_soak(const struct opts *o)
{
	unsigned n = o->count;
	double interval = o->reg_interval > 0 ? o->reg_interval : 60;
	struct soak_phone *ph = calloc(n, sizeof(*ph));
	struct soak_counts c = { 0 };
	struct rlimit rl = { n + 64, n + 64 };
	struct epoll_event ev[256];
	int ep = epoll_create1(0);
	int64_t start = now_ns(CLOCK_MONOTONIC), end = start + (int64_t)(o->seconds * 1e9), next_scan = 0;
	int64_t next_print = start + 10000000000ll;
	char msg[MSG_MAX + 1];

	if (!ph || ep < 0)
		die("soak");
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit (one socket per phone)");
	for (unsigned i = 0; i < n; i++) {
		struct epoll_event e = { .events = EPOLLIN, .data.u32 = i };

		ph[i].me = o->from;
		ph[i].me.sin_port = htons((uint16_t)(o->first_port + i));
		ph[i].fd = udp_socket(&ph[i].me, 0);
		if (connect(ph[i].fd, (const struct sockaddr *)&o->to, sizeof(o->to)) ||
		    epoll_ctl(ep, EPOLL_CTL_ADD, ph[i].fd, &e))
			die("connect");
		ph[i].media = (uint16_t)(30000 + 4 * (i % 8000));
		/* the first registrations at the whole rate: 2 messages each */
		ph[i].reg_due = start + 1 + (int64_t)((double)i * 2e9 / o->rate);
	}
	printf("ready\n");
	while (!stop) {
		int64_t now = now_ns(CLOCK_MONOTONIC);
		int k;

		if (now >= end)
			break;
		k = epoll_wait(ep, ev, 256, 2);
		now = now_ns(CLOCK_MONOTONIC);
		for (int e = 0; e < k; e++) {
			struct soak_phone *p = &ph[ev[e].data.u32];
			ssize_t len;

			while ((len = recv(p->fd, msg, MSG_MAX, MSG_DONTWAIT)) > 0) {
				msg[len] = '\0';
				soak_response(p, &c, &o->to, msg, (size_t)len, now, interval);
			}
		}
		if (now >= next_scan) {
			for (unsigned i = 0; i < n; i++)
				soak_timers(&ph[i], &c, &o->to, now);
			next_scan = now + 5000000;
		}
		while ((double)c.committed < o->rate * (double)(now - start) / 1e9) {
			int tries = 0;
			struct soak_phone *p;

			do
				p = &ph[rnd() % n];
			while ((p->state != S_IDLE || !p->registered) && ++tries < 16);
			if (tries == 16) {
				c.no_idle_phone++;
				break;
			}
			soak_call(p, &c, &o->to, now);
		}
		if (now >= next_print) {
			soak_print(&c, ph, n, (double)(now - start) / 1e9);
			next_print += 10000000000ll;
		}
	}
	soak_print(&c, ph, n, (double)(now_ns(CLOCK_MONOTONIC) - start) / 1e9);
	for (unsigned i = 0; i < n; i++)
		close(ph[i].fd);
	free(ph);
	close(ep);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: sipload send|recv|answer|fill|soak [options] (see the comment at the top of sipload.c)\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct opts o = { .seconds = 0, .quiet_ms = 500 };
	struct sigaction sa;

	if (argc < 2)
		return usage();
	for (int i = 2; i < argc; i += 2) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int bad = 0;

		if (!v)
			return usage();
		if (!strcmp(k, "--from"))
			bad = parse_endpoint(v, &o.from), o.have_from = 1;
		else if (!strcmp(k, "--to"))
			bad = parse_endpoint(v, &o.to), o.have_to = 1;
		else if (!strcmp(k, "--at"))
			bad = parse_endpoint(v, &o.at), o.have_at = 1;
		else if (!strcmp(k, "--prime"))
			bad = parse_endpoint(v, &o.prime), o.have_prime = 1;
		else if (!strcmp(k, "--calls"))
			o.calls = (unsigned)atoi(v);
		else if (!strcmp(k, "--count"))
			o.count = (unsigned)atoi(v);
		else if (!strcmp(k, "--first-port"))
			o.first_port = (unsigned)atoi(v);
		else if (!strcmp(k, "--seconds"))
			o.seconds = atof(v);
		else if (!strcmp(k, "--register-interval"))
			o.reg_interval = atof(v);
		else if (!strcmp(k, "--rate"))
			o.rate = atof(v);
		else if (!strcmp(k, "--quiet-ms"))
			o.quiet_ms = atoi(v);
		else if (!strcmp(k, "--need"))
			o.need = v;
		else if (!strcmp(k, "--forbid"))
			o.forbid = v;
		else if (!strcmp(k, "--transport") && (!strcmp(v, "udp") || !strcmp(v, "tcp")))
			via_transport = !strcmp(v, "tcp") ? "TCP" : "UDP";
		else
			bad = 1;
		if (bad) {
			fprintf(stderr, "sipload: %s '%s': not understood\n", k, v);
			return 2;
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (!strcmp(argv[1], "send") && o.have_from && o.have_to && o.seconds > 0)
		return !strcmp(via_transport, "TCP") ? cmd_send_tcp(&o) : cmd_send(&o);
	if (!strcmp(argv[1], "recv") && o.have_at)
		return !strcmp(via_transport, "TCP") ? cmd_recv_tcp(&o) : cmd_recv(&o);
	if (!strcmp(argv[1], "answer") && o.have_at)
		return cmd_answer(&o);
	if (!strcmp(argv[1], "fill") && o.have_from && o.have_to && o.count && o.first_port)
		return cmd_fill(&o);
	if (!strcmp(argv[1], "soak") && o.have_from && o.have_to && o.count && o.first_port && o.rate > 0 &&
	    o.seconds > 0)
		return cmd_soak(&o);
	return usage();
}
