/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer entry for the MXoE decoder and the protocol engine behind it.
 * Input byte 0 picks the framing: odd = we prepend a well-formed head
 * addressed to us from a known peer (so the body reaches the protocol
 * state machines), even = the bytes are the whole frame.  Byte 1 advances
 * the fake clock so timers fire, and with its top bit set tells the engine
 * that endpoint (byte 1 & 7) has room (deliveries of odd match_info are
 * refused: held).  Every input must leave the engine
 * consistent; frames it refuses must show up in bad_frames or drops.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "mxoe_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t fz_now;
static struct mxw_proto *fz_pr;
static const uint8_t fz_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t fz_peer_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };

static uint64_t fz_clock(void *ctx) { (void)ctx; return fz_now; }
static int fz_tx(void *ctx, const uint8_t *f, size_t len)
{
	struct mxw_frame d;

	(void)ctx;
	/* whatever the engine sends must decode */
	if (mxw_decode(f, len, &d) != 0)
		abort();
	return 0;
}
static int fz_ep_info(void *ctx, uint8_t index, uint32_t *session, uint32_t *key)
{
	(void)ctx;
	if (index >= 8)
		return -EINVAL;
	if (index == 7)
		return -ENOENT;
	*session = 0x100u + index;
	*key = 0x4242;
	return 0;
}
static int fz_deliver(void *ctx, const struct mxw_delivery *d)
{
	volatile uint8_t sink = 0;

	(void)ctx;
	/* touch every delivered byte: ASan checks the bounds */
	if (d->kind != MXW_DELIVER_RNDV)
		for (uint32_t i = 0; i < d->length; i++)
			sink ^= ((const uint8_t *)d->data)[i];
	(void)sink;
	return d->match_info & 1 ? -EAGAIN : 0;
}
static int fz_rndv_read(void *ctx, struct mxw_ep ep, uint32_t h, uint64_t off, void *buf,
			size_t len)
{
	(void)ctx; (void)ep; (void)h; (void)off;
	memset(buf, 0xab, len);
	return 0;
}
static int fz_pull_write(void *ctx, struct mxw_ep ep, uint32_t h, uint64_t off, const void *buf,
			 size_t len)
{
	(void)ctx; (void)ep; (void)h;
	if (off + len > (16u << 20))
		abort();
	(void)buf;
	return 0;
}

static void fz_setup(void)
{
	struct mxw_proto_params p;
	struct mxw_proto_cb cb = {
		.now_us = fz_clock, .tx = fz_tx, .ep_info = fz_ep_info, .deliver = fz_deliver,
		.rndv_read = fz_rndv_read, .pull_write = fz_pull_write,
	};

	mxw_proto_params_default(&p);
	memcpy(p.mac, fz_mac, 6);
	strcpy(p.hostname, "fuzzhost");
	if (mxw_proto_new(&p, &cb, &fz_pr) != 0)
		abort();
	if (mxw_proto_peer_add(fz_pr, 0x020000000002ull, "peer") != 1)
		abort();
	/* a connect so sequenced frames, pulls and rendezvous have state to hit */
	mxw_proto_connect(fz_pr, (struct mxw_ep){ 1, 0x101 }, 1, 0x020000000002ull, 2, 0x4242, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[16384];
	struct mxw_frame f;

	if (!fz_pr)
		fz_setup();
	if (size < 2)
		return 0;
	fz_now += data[1] * 1000u;
	if (data[0] & 1) {
		size_t body = size - 2 > sizeof(frame) - 16 ? sizeof(frame) - 16 : size - 2;

		memcpy(frame, fz_mac, 6);
		memcpy(frame + 6, fz_peer_mac, 6);
		frame[12] = 0x86;
		frame[13] = 0xdf;
		frame[14] = data[0];
		frame[15] = 0;
		memcpy(frame + 16, data + 2, body);
		(void)mxw_decode(frame, body + 16, &f);
		mxw_proto_rx(fz_pr, frame, body + 16);
	} else {
		(void)mxw_decode(data + 2, size - 2, &f);
		mxw_proto_rx(fz_pr, data + 2, size - 2);
	}
	/* now and then the application makes room: held messages go */
	if (data[1] & 0x80)
		mxw_proto_room(fz_pr, (struct mxw_ep){ (uint8_t)(data[1] & 7), 0x100u + (data[1] & 7u) });
	(void)mxw_proto_progress(fz_pr);
	return 0;
}
