/* SPDX-License-Identifier: MIT */
/*
 * What a hostile segment can make the MXoE engine hold (issue 8.5/8.6):
 * one real engine on a fake clock receives forged frames (spoofed source
 * MACs, connects, half medium messages) and must keep its peer table,
 * partners and reassembly memory within their bounds, never evict a
 * configured peer or one with something in flight, count what it refused
 * or evicted, and still serve a newcomer once the flood's state is idle.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <myrixen/abi.h>
#include "mxoe_proto.h"

#include "wcheck.h"

#define EP 1u
#define SESSION 0x5e55104u
#define KEY 0x4b4559u

static uint64_t now_us = 1000000;
static const uint8_t my_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static unsigned delivered;
static struct {                 /* the last frame the engine sent to 'watch' */
	uint8_t mac[6];
	bool seen;
	struct mxw_frame f;
	uint8_t bytes[16384];
} watch;

static uint64_t cb_now(void *ctx)
{
	(void)ctx;
	return now_us;
}

static int cb_tx(void *ctx, const uint8_t *frame, size_t len)
{
	(void)ctx;
	if (memcmp(frame, watch.mac, 6) == 0 && len <= sizeof(watch.bytes)) {
		memcpy(watch.bytes, frame, len);
		watch.seen = mxw_decode(watch.bytes, len, &watch.f) == 0;
	}
	return 0;
}

static int cb_ep_info(void *ctx, uint8_t index, uint32_t *session, uint32_t *key)
{
	(void)ctx;
	if (index != EP)
		return -ENOENT;
	*session = SESSION;
	*key = KEY;
	return 0;
}

static int cb_deliver(void *ctx, const struct mxw_delivery *d)
{
	(void)ctx;
	(void)d;
	delivered++;
	return 0;
}

static struct mxw_proto *engine(void)
{
	struct mxw_proto_params p;
	struct mxw_proto_cb cb = { .now_us = cb_now, .tx = cb_tx, .ep_info = cb_ep_info,
				   .deliver = cb_deliver };
	struct mxw_proto *pr = NULL;

	mxw_proto_params_default(&p);
	memcpy(p.mac, my_mac, 6);
	snprintf(p.hostname, sizeof(p.hostname), "victim");
	p.mtu = 9000;
	CHECK(mxw_proto_new(&p, &cb, &pr) == 0);
	return pr;
}

static void spoof_mac(uint32_t n, uint8_t mac[6])
{
	mac[0] = 0x06;                  /* locally administered, unicast */
	mac[1] = 0xbd;
	mac[2] = (uint8_t)(n >> 24);
	mac[3] = (uint8_t)(n >> 16);
	mac[4] = (uint8_t)(n >> 8);
	mac[5] = (uint8_t)n;
}

static void inject(struct mxw_proto *pr, struct mxw_frame *f, const uint8_t src[6])
{
	uint8_t buf[16384];
	int len;

	memcpy(f->dst_mac, my_mac, 6);
	memcpy(f->src_mac, src, 6);
	f->peer_index = MXW_PEER_INDEX_UNKNOWN;
	len = mxw_encode_frame(buf, sizeof(buf), f);
	CHECK(len > 0);
	if (len > 0)
		mxw_proto_rx(pr, buf, (size_t)len);
}

static void connect_from(struct mxw_proto *pr, const uint8_t src[6], uint8_t dst_ep,
			 uint8_t src_ep, uint32_t key)
{
	struct mxw_frame f;

	memset(&f, 0, sizeof(f));
	f.type = MXW_PKT_CONNECT;
	f.u.connect.dst_ep = dst_ep;
	f.u.connect.src_ep = src_ep;
	f.u.connect.src_dst_peer_index = MXW_PEER_INDEX_UNKNOWN;
	f.u.connect.src_session = 0x1000u + src_ep;
	f.u.connect.app_key = key;
	inject(pr, &f, src);
}

/* A legitimate newcomer connects to the open endpoint: did it get a
 * successful reply? */
static bool newcomer_served(struct mxw_proto *pr, const uint8_t mac[6])
{
	memcpy(watch.mac, mac, 6);
	watch.seen = false;
	connect_from(pr, mac, EP, 3, KEY);
	return watch.seen && watch.f.type == MXW_PKT_CONNECT && watch.f.u.connect.is_reply &&
	       watch.f.u.connect.status_code == MXW_CONNECT_STATUS_SUCCESS &&
	       watch.f.u.connect.target_session == SESSION;
}

static void send_tiny(struct mxw_proto *pr, const uint8_t src[6], uint8_t src_ep, uint16_t seq)
{
	struct mxw_frame f;
	static const uint8_t hello[5] = "hello";

	memset(&f, 0, sizeof(f));
	f.type = MXW_PKT_TINY;
	f.u.msg.dst_ep = EP;
	f.u.msg.src_ep = src_ep;
	f.u.msg.length = sizeof(hello);
	f.u.msg.seqnum = seq;
	f.u.msg.session = SESSION;
	f.u.msg.match_info = 0x77;
	f.payload = hello;
	f.payload_len = sizeof(hello);
	inject(pr, &f, src);
}

/* 400 spoofed MACs each send a connect (to a closed endpoint, as a
 * scanner would); then a new host must still be served. */
static void test_peer_flood(void)
{
	struct mxw_proto *pr = engine();
	struct mxw_counters c;
	struct mxw_usage u;
	uint8_t mac[6], legit[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	uint8_t busy[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x66 };
	const uint64_t configured = 0x020000000099ull;
	int busy_idx;

	if (!pr)
		return;
	CHECK(mxw_proto_peer_add(pr, configured, "cfg") == 1);
	/* a peer that owes us an ack: it holds state and must stay */
	CHECK(newcomer_served(pr, busy));
	busy_idx = mxw_proto_peer_by_nic(pr, 0x021122334466ull);
	CHECK(busy_idx > 1);
	CHECK(mxw_proto_send(pr, (struct mxw_ep){ EP, SESSION }, (uint16_t)busy_idx, 3,
			     0x1003u, 1, "x", 1, 42, false) == 0);

	for (uint32_t i = 0; i < 400; i++) {
		spoof_mac(i, mac);
		connect_from(pr, mac, 9, 0, 0);
	}
	mxw_proto_get_counters(pr, &c);
	mxw_proto_get_usage(pr, &u);
	CHECK(u.peers == MXW_PEERS_MAX - 1);
	CHECK(c.peers_refused == 400 - (MXW_PEERS_MAX - 3));
	/* the flood is fresh: nothing is idle long enough to give way yet */
	CHECK(!newcomer_served(pr, legit));

	now_us += 2500000;
	CHECK(newcomer_served(pr, legit));
	mxw_proto_get_counters(pr, &c);
	CHECK(c.peers_evicted == 1);
	/* the configured peer and the busy one kept their indices */
	CHECK(mxw_proto_peer_by_nic(pr, configured) == 1);
	CHECK(mxw_proto_peer_by_nic(pr, 0x021122334466ull) == busy_idx);
	/* and the newcomer's messages arrive */
	delivered = 0;
	send_tiny(pr, legit, 3, 0);
	CHECK(delivered == 1);
	/* a whole new wave once the first is idle: one eviction each */
	for (uint32_t i = 1000; i < 1100; i++) {
		spoof_mac(i, mac);
		connect_from(pr, mac, 9, 0, 0);
	}
	mxw_proto_get_counters(pr, &c);
	CHECK(c.peers_evicted == 101);
	CHECK(mxw_proto_peer_by_nic(pr, configured) == 1);
	CHECK(mxw_proto_peer_by_nic(pr, 0x021122334466ull) == busy_idx);
	mxw_proto_free(pr);
}

static void medium_first_frag(struct mxw_proto *pr, const uint8_t src[6], uint8_t src_ep)
{
	static uint8_t chunk[8192];
	struct mxw_frame f;

	memset(&f, 0, sizeof(f));
	f.type = MXW_PKT_MEDIUM;
	f.u.medium.msg.dst_ep = EP;
	f.u.medium.msg.src_ep = src_ep;
	f.u.medium.msg.length = 60000;
	f.u.medium.msg.seqnum = 0;
	f.u.medium.msg.session = SESSION;
	f.u.medium.frag_seqnum = 0;
	f.payload = chunk;
	f.payload_len = mxw_proto_frag_max(pr);
	inject(pr, &f, src);
}

/* Spoofed partners (connects with the right key, as a sniffer could
 * forge) each start a medium and never finish it. */
static void test_partner_flood(void)
{
	struct mxw_proto *pr = engine();
	struct mxw_counters c;
	struct mxw_usage u;
	uint8_t mac[6], legit[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x77 };
	const uint32_t hosts = 40, eps = 256;
	uint64_t reasm_peak = 0;

	if (!pr)
		return;
	for (uint32_t h = 0; h < hosts; h++) {
		spoof_mac(h, mac);
		for (uint32_t e = 0; e < eps; e++) {
			connect_from(pr, mac, EP, (uint8_t)e, KEY);
			medium_first_frag(pr, mac, (uint8_t)e);
			mxw_proto_get_usage(pr, &u);
			if (u.reasm_bytes > reasm_peak)
				reasm_peak = u.reasm_bytes;
		}
	}
	mxw_proto_get_counters(pr, &c);
	mxw_proto_get_usage(pr, &u);
	printf("partner flood: %u partners held, %llu refused; reassembly peak %llu bytes, "
	       "%llu fragments refused\n", u.partners, (unsigned long long)c.partners_refused,
	       (unsigned long long)reasm_peak, (unsigned long long)c.reasm_refused);
	CHECK(u.partners <= 8192);
	CHECK(c.partners_refused == hosts * eps - u.partners);
	CHECK(reasm_peak <= (8u << 20));
	CHECK(c.reasm_refused > 0);
	/* filled to the global budget, never past it */
	CHECK(u.reasm_bytes <= (8u << 20) && u.reasm_bytes + 60000u > (8u << 20));
	CHECK(!newcomer_served(pr, legit));

	/* stalled reassemblies expire on the timer */
	now_us += 1100000;
	(void)mxw_proto_progress(pr);
	mxw_proto_get_counters(pr, &c);
	CHECK(c.reasm_expired == u.reasm_bytes / 60000u);
	mxw_proto_get_usage(pr, &u);
	CHECK(u.reasm_bytes == 0);

	/* once idle, spoofed partners give way to a newcomer, who is served */
	now_us += 1000000;
	CHECK(newcomer_served(pr, legit));
	mxw_proto_get_counters(pr, &c);
	CHECK(c.partners_evicted >= 1);
	delivered = 0;
	send_tiny(pr, legit, 3, 0);
	CHECK(delivered == 1);
	mxw_proto_free(pr);
}

/* An evicted partner's sender gets a NACK, not silence forever. */
static void test_evicted_partner_nacked(void)
{
	struct mxw_proto *pr = engine();
	uint8_t mac[6], old[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x88 };

	if (!pr)
		return;
	CHECK(newcomer_served(pr, old));
	now_us += 2500000;
	for (uint32_t i = 0; i < MXW_PEERS_MAX - 1; i++) {
		spoof_mac(i, mac);
		connect_from(pr, mac, 9, 0, 0);
	}
	CHECK(mxw_proto_peer_by_nic(pr, 0x021122334488ull) < 0);
	memcpy(watch.mac, old, 6);
	watch.seen = false;
	delivered = 0;
	send_tiny(pr, old, 3, 0);
	CHECK(delivered == 0);
	CHECK(watch.seen && watch.f.type == MXW_PKT_NACK_LIB &&
	      watch.f.u.nack_lib.nack_type == MXW_NACK_BAD_SESSION);
	mxw_proto_free(pr);
}

int main(void)
{
	test_peer_flood();
	test_partner_flood();
	test_evicted_partner_nacked();
	if (failures) {
		fprintf(stderr, "wire bounds: %d failures\n", failures);
		return 1;
	}
	printf("wire bounds: all checks passed\n");
	return 0;
}
