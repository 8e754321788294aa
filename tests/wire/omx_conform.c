/* SPDX-License-Identifier: MIT */
/*
 * omx_conform: a native Open-MX 1.5 node, reduced to what a conformance
 * check needs, speaking raw AF_PACKET against a real myribackd.
 *
 * Independent of the engine on purpose: it does not include mxoe_wire.h.
 * Every field is put and read at its byte offset as Open-MX 1.5.4's
 * common/omx_wire.h lays it out (native mode, not MX-wire-compatible),
 * big-endian, and the geometry is Open-MX's for OMX_MTU = -m (the whole
 * frame, Ethernet header included): medium fragments of MTU - 48 up to
 * 4 KiB else 8192 or 4096, pull replies of MTU - 32, 32 per block.
 *
 *   omx_conform -i IFACE -p DAEMON_MAC -m MTU -k KEY [-q SECONDS]
 *
 * Script (the daemon side runs `mxw_xfer -e 1 -d omxnode:0:0 -R -n 5`):
 *  1. HOST_QUERY to the daemon; its HOST_REPLY checked field by field
 *     (name "d:0" with the NUL counted, our index echoed as its, magic).
 *  2. CONNECT to endpoint 1; reply checked.  The reflector's CONNECT to
 *     our endpoint 0 is answered.
 *  3. TINY 20, SMALL 100, MEDIUM 20000 and 32768 (several fragments of our
 *     geometry), RNDV 100000 whose PULLs we serve with Open-MX's reply
 *     geometry; the daemon's NOTIFY checked.
 *  4. Each comes back: TINY/SMALL/MEDIUM frames checked byte by byte (the
 *     32-bit medium length at offset 4, fragment sizes of the MTU, zero
 *     pads), the RNDV pulled by us block by block with every reply's
 *     frame_length, msg_offset and frame_seqnum checked, then our NOTIFY.
 *  5. (-q) Stay up to SECONDS answering HOST_QUERY (`myrixenctl ping` from
 *     the daemon's side) with Open-MX's reply: "omxnode:0" and its NUL.
 *  -r COUNT [-H FILE [-P N[,M]]] replaces 3-5: COUNT messages streamed across restarts
 *  of the daemon (omx_restart.c); -a: the reflector only answers the source, so
 *  its connect back in 2 is not waited for.
 * Every sequenced frame of the daemon is acked with a TRUC.
 * Exit 0: all checks passed; 1: a check failed (printed); 2: usage/setup.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "omx_node.h"

int fd, failures;
static int ifindex;
uint8_t me[6], them[6];
uint32_t mtu, key, med_max, reply_max;
uint32_t their_session, their_index_of_us = 0xffff;
uint16_t send_seq, recv_next;  /* ours out, theirs in */
bool tx_mute;                   /* every frame we send is lost (omx_restart.c -M) */
static uint32_t acknum;
static bool they_connected;
static unsigned queries_answered;

void put16(uint8_t *b, unsigned o, uint16_t v) { b[o] = (uint8_t)(v >> 8); b[o + 1] = (uint8_t)v; }
void put32(uint8_t *b, unsigned o, uint32_t v)
{
	put16(b, o, (uint16_t)(v >> 16));
	put16(b, o + 2, (uint16_t)v);
}
uint16_t get16(const uint8_t *b, unsigned o) { return (uint16_t)(b[o] << 8 | b[o + 1]); }
uint32_t get32(const uint8_t *b, unsigned o) { return (uint32_t)get16(b, o) << 16 | get16(b, o + 2); }

uint8_t pat(uint64_t match, uint32_t i)   /* as mxw_xfer */
{
	return (uint8_t)(match * 131 + i * 7 + (i >> 9));
}

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void head(uint8_t *f, uint8_t type)
{
	memset(f, 0, 60);
	memcpy(f, them, 6);
	memcpy(f + 6, me, 6);
	put16(f, 12, ETHERTYPE_OMX);
	put16(f, 14, (uint16_t)their_index_of_us);
	f[B] = type;
}

void tx(const uint8_t *f, size_t len)
{
	struct sockaddr_ll a = { .sll_family = AF_PACKET, .sll_ifindex = ifindex, .sll_halen = 6 };

	if (tx_mute)
		return;
	if (len < 60)
		len = 60;
	memcpy(a.sll_addr, them, 6);
	if (sendto(fd, f, len, 0, (struct sockaddr *)&a, sizeof(a)) != (ssize_t)len) {
		perror("sendto");
		exit(2);
	}
}

/* ---- what we answer whenever it comes ---- */

void tx_truc(void)
{
	uint8_t f[60];

	head(f, T_TRUC);
	f[B + 1] = THEIR_EP;
	f[B + 2] = OUR_EP;
	f[B + 4] = 16;
	put32(f, B + 8, their_session);
	f[B + 12] = 0x55;
	put16(f, B + 14, recv_next);
	put32(f, B + 16, their_session);
	put32(f, B + 20, ++acknum);
	tx(f, 60);
}

void answer_query(const uint8_t *q)
{
	static const char name[] = "omxnode:0";
	uint8_t f[60];

	head(f, T_HR);
	f[B + 1] = sizeof(name);        /* the NUL counted, as Open-MX */
	put16(f, B + 2, OUR_INDEX_OF_THEM);
	memcpy(f + B + 8, q + B + 8, 4);
	memcpy(f + B + 16, name, sizeof(name));
	tx(f, 60);
	queries_answered++;
}

static void answer_connect(const uint8_t *r)
{
	uint8_t f[60];

	head(f, T_CONNECT);
	f[B + 1] = r[B + 2];
	f[B + 2] = OUR_EP;
	f[B + 4] = 16;
	put16(f, B + 8, get16(r, B + 8));
	put16(f, B + 10, OUR_INDEX_OF_THEM);
	put32(f, B + 16, get32(r, B + 16));        /* its session echoed */
	put32(f, B + 20, OUR_SESSION);             /* ours */
	put16(f, B + 24, recv_next);
	f[B + 26] = 1;
	f[B + 27] = r[B + 27];
	f[B + 28] = get32(r, B + 20) == key && r[B + 1] == OUR_EP ? 0 : 11;
	CHECK(get32(r, B + 20) == key, "the daemon's connect carries key %08x", get32(r, B + 20));
	CHECK(r[B + 4] == 16 && r[B + 26] == 0, "connect request length %u is_reply %u", r[B + 4], r[B + 26]);
	their_index_of_us = get16(r, B + 10);
	tx(f, 60);
	they_connected = true;
}

/*
 * Receive one frame of ours; answer queries and connect requests on the
 * way.  A sequenced frame (TINY..RNDV, NOTIFY) of the next seqnum is
 * returned and acked; a duplicate is acked again and skipped.
 */
static ssize_t rx(uint8_t *f, size_t cap, int timeout_ms)
{
	uint64_t end = now_ms() + (uint64_t)timeout_ms;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = (int64_t)(end - now_ms());
		ssize_t n;
		uint8_t t;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return -1;
		n = recv(fd, f, cap, 0);
		if (n < B + 1 || get16(f, 12) != ETHERTYPE_OMX || memcmp(f, me, 6) ||
		    memcmp(f + 6, them, 6))
			continue;
		t = f[B] & 0x7f;
		if (t == T_HQ) {
			answer_query(f);
			continue;
		}
		if (t == T_CONNECT && !f[B + 26]) {
			answer_connect(f);
			continue;
		}
		if (t >= T_TINY && t <= T_RNDV) {
			uint16_t seq = get16(f, B + 8);

			if (seq != recv_next) {
				tx_truc();      /* a resend of what we have: ack again */
				continue;
			}
			if (t != T_MEDIUM)
				recv_next = (uint16_t)((recv_next & 0xc000) | ((recv_next + 1) & 0x3fff));
		} else if (t == T_NOTIFY) {
			if (get16(f, B + 18) != recv_next) {
				tx_truc();
				continue;
			}
			recv_next = (uint16_t)((recv_next & 0xc000) | ((recv_next + 1) & 0x3fff));
			tx_truc();
		}
		return n;
	}
}

/* Wait for a frame of type t (others are handled or dropped). */
static ssize_t rx_type(uint8_t *f, size_t cap, uint8_t t, int timeout_ms)
{
	uint64_t end = now_ms() + (uint64_t)timeout_ms;
	ssize_t n;

	while (now_ms() < end) {
		n = rx(f, cap, (int)(end - now_ms()));
		if (n > 0 && (f[B] & 0x7f) == t)
			return n;
	}
	return -1;
}

/* ---- our sends ---- */

void msg_hdr(uint8_t *f, uint8_t type, uint64_t match)
{
	head(f, type);
	f[B + 1] = THEIR_EP;
	f[B + 2] = OUR_EP;
	put16(f, B + 8, send_seq);
	put16(f, B + 10, recv_next);
	put32(f, B + 12, (uint32_t)(match >> 32));
	put32(f, B + 16, (uint32_t)match);
	put32(f, B + 20, their_session);
}

void next_send(void)
{
	send_seq = (uint16_t)((send_seq & 0xc000) | ((send_seq + 1) & 0x3fff));
}

static void send_small(uint8_t type, uint64_t match, uint32_t len)
{
	uint8_t f[200];

	msg_hdr(f, type, match);
	put16(f, B + 4, (uint16_t)len);
	for (uint32_t i = 0; i < len; i++)
		f[B + 24 + i] = pat(match, i);
	tx(f, B + 24 + len);
	next_send();
}

static void send_medium(uint64_t match, uint32_t len)
{
	static uint8_t f[9100];

	for (uint32_t off = 0, i = 0; off < len; off += med_max, i++) {
		uint32_t fl = len - off < med_max ? len - off : med_max;

		msg_hdr(f, T_MEDIUM, match);
		put32(f, B + 4, len);           /* native Open-MX: 32 bits */
		put16(f, B + 24, (uint16_t)fl);
		f[B + 26] = (uint8_t)i;
		for (uint32_t k = 0; k < fl; k++)
			f[B + 32 + k] = pat(match, off + k);
		tx(f, B + 32 + fl);
	}
	next_send();
}

/* Serve one PULL as omx_recv_pull_request does. */
uint32_t serve_pull(const uint8_t *p, uint64_t match, uint32_t len, uint8_t id, uint8_t seq)
{
	static uint8_t f[9100];
	uint32_t total = get32(p, B + 8), rdma_off = get32(p, B + 20), ffo = get32(p, B + 32);
	uint32_t block = get32(p, B + 36), index = get32(p, B + 40);
	uint32_t replies = (ffo + block + reply_max - 1) / reply_max, remaining = block;
	uint32_t off = index * reply_max - rdma_off % reply_max + ffo, sent = 0;

	CHECK(p[B + 1] == OUR_EP && p[B + 2] == THEIR_EP && get32(p, B + 4) == OUR_SESSION,
	      "pull endpoints %u/%u session %08x", p[B + 1], p[B + 2], get32(p, B + 4));
	CHECK(total == len && get32(p, B + 12) == id && p[B + 16] == seq && rdma_off == 0,
	      "pull total %u id %u seq %u offset %u", total, get32(p, B + 12), p[B + 16], rdma_off);
	CHECK(replies <= 32 && block > 0 && off + block <= len,
	      "pull block %u ffo %u index %u: %u replies at %u", block, ffo, index, replies, off);
	/* whole blocks of 32 replies, or (a re-request) whole replies */
	CHECK(ffo == 0 && (block % reply_max == 0 || off + block == len),
	      "pull geometry: index %u ffo %u block %u (replies of %u)", index, ffo, block, reply_max);
	if (replies > 32 || off + block > len)
		return 0;
	for (uint32_t i = 0; i < replies; i++) {
		uint32_t fl = i ? reply_max : reply_max - ffo;

		if (fl > remaining)
			fl = remaining;
		memset(f, 0, 60);
		head(f, T_PULL_REPLY);
		f[B + 1] = (uint8_t)(index + i);
		put16(f, B + 2, (uint16_t)fl);
		put32(f, B + 4, off);
		memcpy(f + B + 8, p + B + 24, 8);    /* its handle and magic */
		for (uint32_t k = 0; k < fl; k++)
			f[B + 16 + k] = pat(match, off + k);
		tx(f, B + 16 + fl);
		off += fl;
		remaining -= fl;
		sent += fl;
	}
	return sent;
}

static void send_rndv(uint64_t match, uint32_t len)
{
	static uint8_t f[9100];
	uint32_t served = 0;
	uint64_t end = now_ms() + 20000;

	msg_hdr(f, T_RNDV, match);
	put16(f, B + 4, 8);
	put32(f, B + 24, len);
	f[B + 28] = RDMA_ID;
	f[B + 29] = RDMA_SEQ;
	tx(f, 60);
	next_send();
	while (now_ms() < end) {
		ssize_t n = rx(f, sizeof(f), 1000);
		uint8_t t = n > 0 ? f[B] & 0x7f : 0;

		if (t == T_PULL) {
			served += serve_pull(f, match, len, RDMA_ID, RDMA_SEQ);
		} else if (t == T_NOTIFY) {
			CHECK(f[B + 1] == OUR_EP && f[B + 2] == THEIR_EP && get32(f, B + 4) == OUR_SESSION,
			      "notify endpoints/session");
			CHECK(get32(f, B + 8) == len && f[B + 12] == RDMA_ID && f[B + 13] == RDMA_SEQ,
			      "notify total %u id %u seq %u", get32(f, B + 8), f[B + 12], f[B + 13]);
			CHECK(served == len, "served %u of %u before the NOTIFY", served, len);
			printf("rndv %u: pulled in replies of %u, NOTIFY ok\n", len, reply_max);
			return;
		}
	}
	CHECK(0, "no NOTIFY for the rendezvous of %u (served %u)", len, served);
}

/* ---- checking what comes back ---- */

static void check_msg_common(const uint8_t *f, uint64_t match, const char *what)
{
	CHECK(memcmp(f, me, 6) == 0 && memcmp(f + 6, them, 6) == 0 && get16(f, 12) == ETHERTYPE_OMX,
	      "%s: Ethernet header", what);
	CHECK(get16(f, 14) == OUR_INDEX_OF_THEM, "%s: head peer index %u, ours of them is %u", what,
	      get16(f, 14), OUR_INDEX_OF_THEM);
	CHECK(f[B + 1] == OUR_EP && f[B + 2] == THEIR_EP && f[B + 3] == 0, "%s: endpoints", what);
	CHECK(get32(f, B + 12) == (uint32_t)(match >> 32) && get32(f, B + 16) == (uint32_t)match,
	      "%s: match %08x%08x", what, get32(f, B + 12), get32(f, B + 16));
	CHECK(get32(f, B + 20) == OUR_SESSION, "%s: session %08x", what, get32(f, B + 20));
}

static void expect_small(uint8_t type, uint64_t match, uint32_t len)
{
	uint8_t f[200];
	ssize_t n = rx_type(f, sizeof(f), type, 10000);
	uint32_t bad = 0, hdr = B + 24;

	CHECK(n > 0, "no %s echo of %u bytes", type == T_TINY ? "TINY" : "SMALL", len);
	if (n <= 0)
		return;
	check_msg_common(f, match, "tiny/small");
	CHECK(get16(f, B + 4) == len && get16(f, B + 6) == 0, "length %u pad %u", get16(f, B + 4),
	      get16(f, B + 6));
	CHECK((size_t)n == (hdr + len < 60 ? 60 : hdr + len), "frame of %zd bytes", n);
	for (uint32_t i = 0; i < len; i++)
		bad += f[hdr + i] != pat(match, i);
	for (size_t i = hdr + len; i < (size_t)n; i++)
		bad += f[i] != 0;
	CHECK(bad == 0, "%u bytes differ", bad);
	tx_truc();
	printf("%s %u: ok\n", type == T_TINY ? "tiny" : "small", len);
}

static void expect_medium(uint64_t match, uint32_t len)
{
	static uint8_t f[9100];
	uint32_t nfrags = (len + med_max - 1) / med_max, got = 0, bad = 0;
	bool seen[64] = { false };

	while (got < nfrags) {
		ssize_t n = rx_type(f, sizeof(f), T_MEDIUM, 10000);
		uint32_t fl, i, off, want;

		CHECK(n > 0, "medium %u: %u of %u fragments", len, got, nfrags);
		if (n <= 0)
			return;
		check_msg_common(f, match, "medium");
		i = f[B + 26];
		fl = get16(f, B + 24);
		off = i * med_max;
		want = i + 1 < nfrags ? med_max : len - off;
		CHECK(get32(f, B + 4) == len, "medium length field %08x (32 bits at offset 4), want %u",
		      get32(f, B + 4), len);
		CHECK(i < nfrags && fl == want, "fragment %u of %u bytes, Open-MX's geometry at MTU %u says %u",
		      i, fl, mtu, want);
		CHECK(f[B + 27] == 0 && get32(f, B + 28) == 0, "medium pads");
		CHECK((size_t)n == B + 32 + fl && (size_t)n <= mtu, "frame %zd bytes", n);
		if (i >= nfrags || fl != want)
			return;         /* another geometry: no use waiting for the rest */
		if (seen[i])
			continue;
		seen[i] = true;
		got++;
		for (uint32_t k = 0; k < fl; k++)
			bad += f[B + 32 + k] != pat(match, off + k);
	}
	CHECK(bad == 0, "medium %u: %u bytes differ", len, bad);
	recv_next = (uint16_t)((recv_next & 0xc000) | ((recv_next + 1) & 0x3fff));
	tx_truc();
	printf("medium %u: %u fragments of %u, ok\n", len, nfrags, med_max);
}

/* Pull their rendezvous block by block (Open-MX's omx_ioctl_pull). */
static void expect_rndv(uint64_t match, uint32_t len)
{
	static uint8_t f[9100];
	ssize_t n = rx_type(f, sizeof(f), T_RNDV, 10000);
	uint32_t total, bad = 0, frames = 0;
	uint8_t id, seq;

	CHECK(n > 0, "no RNDV echo");
	if (n <= 0)
		return;
	check_msg_common(f, match, "rndv");
	total = get32(f, B + 24);
	id = f[B + 28];
	seq = f[B + 29];
	CHECK(get16(f, B + 4) == 8 && total == len && get16(f, B + 30) == 0,
	      "rndv length %u msg_length %u offset %u", get16(f, B + 4), total, get16(f, B + 30));
	tx_truc();
	for (uint32_t start = 0, index = 0; start < total; index += 32) {
		uint32_t block = total - start < 32 * reply_max ? total - start : 32 * reply_max;
		uint32_t nrep = (block + reply_max - 1) / reply_max, have = 0, tries = 0;
		uint64_t got = 0;
		uint8_t p[60];

		head(p, T_PULL);
		p[B + 1] = THEIR_EP;
		p[B + 2] = OUR_EP;
		put32(p, B + 4, their_session);
		put32(p, B + 8, total);
		put32(p, B + 12, id);
		p[B + 16] = seq;
		put32(p, B + 24, PULL_HANDLE);
		put32(p, B + 28, PULL_MAGIC);
		put32(p, B + 36, block);
		put32(p, B + 40, index);
		tx(p, 60);
		while (have < nrep) {
			uint32_t j, fl, off, want;

			n = rx_type(f, sizeof(f), T_PULL_REPLY, 1000);
			if (n <= 0 && ++tries < 10) {
				tx(p, 60);      /* the whole block again, as Open-MX does */
				continue;
			}
			CHECK(n > 0, "pull block at %u: %u of %u replies", start, have, nrep);
			if (n <= 0)
				return;
			j = (uint8_t)(f[B + 1] - (uint8_t)index);
			fl = get16(f, B + 2);
			off = get32(f, B + 4);
			want = j + 1 < nrep ? reply_max : block - j * reply_max;
			CHECK(j < nrep && fl == want && off == start + j * reply_max,
			      "reply seqnum %u: %u bytes at %u, Open-MX's geometry at MTU %u: %u at %u",
			      f[B + 1], fl, off, mtu, want, start + j * reply_max);
			CHECK(get32(f, B + 8) == PULL_HANDLE && get32(f, B + 12) == PULL_MAGIC,
			      "reply handle/magic");
			CHECK((size_t)n == (B + 16 + fl < 60 ? 60 : B + 16 + fl) && (size_t)n <= mtu,
			      "reply frame %zd bytes", n);
			if (j >= nrep || fl != want || off != start + j * reply_max)
				return;
			if (got & (1ull << j))
				continue;       /* a duplicate of a re-requested block */
			got |= 1ull << j;
			for (uint32_t k = 0; k < fl; k++)
				bad += f[B + 16 + k] != pat(match, off + k);
			have++;
			frames++;
		}
		start += block;
	}
	CHECK(bad == 0, "rndv %u: %u bytes differ", len, bad);
	msg_hdr(f, T_NOTIFY, 0);
	memset(f + B + 8, 0, 16);
	put32(f, B + 4, their_session);
	put32(f, B + 8, total);
	f[B + 12] = id;
	f[B + 13] = seq;
	put16(f, B + 18, send_seq);
	put16(f, B + 20, recv_next);
	tx(f, 60);
	next_send();
	printf("rndv %u: pulled in %u replies of up to %u, ok\n", len, frames, reply_max);
}

/* ---- the script ---- */

static int setup(const char *ifname, const char *peer)
{
	struct sockaddr_ll a = { .sll_family = AF_PACKET, .sll_protocol = htons(ETHERTYPE_OMX) };
	struct ifreq ifr;

	if (sscanf(peer, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &them[0], &them[1], &them[2], &them[3],
		   &them[4], &them[5]) != 6)
		return -1;
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETHERTYPE_OMX));
	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFINDEX, &ifr))
		return -1;
	ifindex = ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		return -1;
	memcpy(me, ifr.ifr_hwaddr.sa_data, 6);
	a.sll_ifindex = ifindex;
	/* a block of 32 pull replies at MTU 9000 is 288 KiB: more than the
	 * default socket buffer if we are not scheduled in time */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &(int){ 16 << 20 }, sizeof(int));
	return bind(fd, (struct sockaddr *)&a, sizeof(a));
}

static void host_query(void)
{
	uint8_t f[200];
	ssize_t n = -1;

	/* asked again every 500 ms, as Open-MX does (every 5 s): the first may
	 * go out before the link is up on both sides */
	for (int tries = 0; tries < 10 && n < 0; tries++) {
		head(f, T_HQ);
		put16(f, 14, 0xffff);
		put16(f, B + 2, OUR_INDEX_OF_THEM);
		put32(f, B + 8, MAGIC);
		tx(f, 60);
		n = rx_type(f, sizeof(f), T_HR, 500);
	}
	CHECK(n == 60, "HOST_REPLY of %zd bytes", n);
	if (n < 60)
		return;
	CHECK(f[B + 1] == 4 && memcmp(f + B + 16, "d:0", 4) == 0,
	      "HOST_REPLY name length %u '%.*s' (Open-MX: strlen + 1, the NUL sent)", f[B + 1],
	      f[B + 1], (const char *)f + B + 16);
	CHECK(get32(f, B + 8) == MAGIC && get32(f, B + 4) == 0 && get32(f, B + 12) == 0,
	      "HOST_REPLY magic and pads");
	their_index_of_us = get16(f, B + 2);
	CHECK(their_index_of_us > 0 && their_index_of_us != 0xffff,
	      "HOST_REPLY gives its index of us: %u", their_index_of_us);
	CHECK(get16(f, 14) == OUR_INDEX_OF_THEM, "HOST_REPLY head index %u (ours of them %u)",
	      get16(f, 14), OUR_INDEX_OF_THEM);
	printf("host query: reply '%s' (length %u with NUL), its index of us %u\n",
	       (const char *)f + B + 16, f[B + 1], their_index_of_us);
}

static int do_connect(void)
{
	uint8_t f[200];
	ssize_t n = -1;

	for (int tries = 0; tries < 10 && n < 0; tries++) {
		head(f, T_CONNECT);
		f[B + 1] = THEIR_EP;
		f[B + 2] = OUR_EP;
		f[B + 4] = 16;
		put16(f, B + 10, OUR_INDEX_OF_THEM);
		put32(f, B + 16, OUR_SESSION);
		put32(f, B + 20, key);
		put16(f, B + 24, recv_next);
		f[B + 27] = 1;
		tx(f, 60);
		for (uint64_t end = now_ms() + 500; now_ms() < end;) {
			n = rx_type(f, sizeof(f), T_CONNECT, (int)(end - now_ms()));
			if (n > 0 && f[B + 26])
				break;
			n = -1;
		}
	}
	CHECK(n > 0, "no CONNECT reply");
	if (n <= 0)
		return -1;
	CHECK(f[B + 1] == OUR_EP && f[B + 2] == THEIR_EP && f[B + 4] == 16, "connect reply endpoints");
	CHECK(get32(f, B + 16) == OUR_SESSION && f[B + 27] == 1 && f[B + 28] == 0,
	      "connect reply echoes session %08x cseq %u, status %u", get32(f, B + 16), f[B + 27],
	      f[B + 28]);
	their_session = get32(f, B + 20);
	send_seq = get16(f, B + 24);
	printf("connect: session %08x, send from seqnum %04x\n", their_session, send_seq);
	return 0;
}

int main(int argc, char **argv)
{
	static const uint32_t sizes[] = { 20, 100, 20000, 32768, 100000 };
	const char *ifname = NULL, *peer = NULL;
	const char *hold = NULL;
	const char *pause = NULL;
	unsigned linger = 0, restart = 0;
	bool accept_only = false;   /* -a: the reflector only answers the source */
	bool mute = false;          /* -M: the pauses lose our frames, not theirs */
	bool dup = false;           /* -D: held rendezvous are sent again */
	int c;

	while ((c = getopt(argc, argv, "aDMi:p:m:k:q:r:H:P:")) != -1) {
		switch (c) {
		case 'i': ifname = optarg; break;
		case 'p': peer = optarg; break;
		case 'm': mtu = (uint32_t)atoi(optarg); break;
		case 'k': key = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'q': linger = (unsigned)atoi(optarg); break;
		case 'r': restart = (unsigned)atoi(optarg); break;
		case 'H': hold = optarg; break;
		case 'P': pause = optarg; break;
		case 'a': accept_only = true; break;
		case 'M': mute = true; break;
		case 'D': dup = true; break;
		default: return 2;
		}
	}
	if (!ifname || !peer || mtu < 600 || mtu > 9000) {
		fprintf(stderr, "usage: omx_conform -i IFACE -p DAEMON_MAC -m MTU -k KEY\n");
		return 2;
	}
	/* common/omx_wire.h: OMX_MEDIUM_FRAG_LENGTH_MAX, OMX_PULL_REPLY_LENGTH_MAX */
	med_max = mtu - 48 <= 4096 ? mtu - 48 : 8192 + 48 <= mtu ? 8192 : 4096;
	reply_max = mtu - 32;
	if (setup(ifname, peer)) {
		perror("omx_conform: AF_PACKET");
		return 2;
	}
	host_query();
	if (do_connect())
		return 1;
	/* the reflector connects back to our endpoint 0 (-a: it never does) */
	for (uint64_t end = now_ms() + 10000; !accept_only && !they_connected && now_ms() < end;) {
		uint8_t f[200];

		(void)rx(f, sizeof(f), 500);
	}
	CHECK(accept_only || they_connected, "the reflector never connected to us");
	if (restart)
		return omx_restart_run(restart, hold, pause, mute, dup);
	for (unsigned k = 0; k < 5; k++) {
		uint64_t match = 0x00c0ffee00000000ull | k;

		if (sizes[k] <= 32)
			send_small(T_TINY, match, sizes[k]);
		else if (sizes[k] <= 128)
			send_small(T_SMALL, match, sizes[k]);
		else if (sizes[k] <= 32768)
			send_medium(match, sizes[k]);
		else
			send_rndv(match, sizes[k]);
		if (sizes[k] <= 32)
			expect_small(T_TINY, match, sizes[k]);
		else if (sizes[k] <= 128)
			expect_small(T_SMALL, match, sizes[k]);
		else if (sizes[k] <= 32768)
			expect_medium(match, sizes[k]);
		else
			expect_rndv(match, sizes[k]);
	}
	/* the NOTIFY must be acked before the reflector's send completes */
	for (uint64_t end = now_ms() + 1000; now_ms() < end;) {
		uint8_t f[200];

		(void)rx(f, sizeof(f), 200);
	}
	if (linger) {
		unsigned q0 = queries_answered;

		printf("waiting up to %u s for a HOST_QUERY\n", linger);
		fflush(stdout);
		for (uint64_t end = now_ms() + linger * 1000ull; now_ms() < end &&
		     queries_answered == q0;) {
			uint8_t f[200];

			(void)rx(f, sizeof(f), 200);
		}
		CHECK(queries_answered > q0, "no HOST_QUERY came to answer");
	}
	printf("omx_conform at MTU %u: %s (%d failures)\n", mtu, failures ? "FAILED" : "ok", failures);
	return failures ? 1 : 0;
}
