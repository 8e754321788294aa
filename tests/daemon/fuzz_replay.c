/* SPDX-License-Identifier: MIT */
/*
 * Runs the daemon fuzz entry on a fixed, seeded set of inputs in every
 * build (so the sanitizer stage covers it without libFuzzer): hand-made
 * valid commands plus deterministic pseudo-random mutations of them.
 */
#include <stdio.h>
#include <string.h>
#include <myrixen/abi.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t rng = 12345;

static uint32_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

int main(void)
{
	static uint8_t buf[8 + 4 * 64 + 2048 + 8 + 4 * 64];
	struct mxn_cmd *c = (struct mxn_cmd *)(buf + 8);
	struct mxn_region_desc *d = (struct mxn_region_desc *)(buf + 8 + 4 * 64);
	struct mxn_vaddr_seg *s = (struct mxn_vaddr_seg *)(d + 1);
	unsigned runs = 0;

	for (unsigned base = 0; base < 6; base++) {
		memset(buf, 0, sizeof(buf));
		for (int i = 0; i < 4; i++) {
			c[i].op = (uint8_t)((base + (unsigned)i) % MXN_CMD_OP_MAX);
			c[i].pad = 3;
			c[i].length = c[i].op == MXN_CMD_SEND_QUEUED ? 100 : 8;
			c[i].u.rndv.desc_off = 0;
			c[i].u.rndv.desc_len = 32;
			if (c[i].op == MXN_CMD_SEND_RNDV)
				c[i].length = 300;
		}
		d->kind = MXN_REGION_VADDR;
		d->nsegs = 1;
		d->total_len = 300;
		s->addr = 100;
		s->len = 300;
		LLVMFuzzerTestOneInput(buf, sizeof(buf));
		runs++;
		for (int m = 0; m < 400; m++) {
			uint8_t copy[sizeof(buf)];

			memcpy(copy, buf, sizeof(buf));
			for (int k = 0; k < 1 + m % 8; k++)
				copy[next() % sizeof(copy)] = (uint8_t)next();
			LLVMFuzzerTestOneInput(copy, 1 + next() % sizeof(copy));
			runs++;
		}
	}
	printf("daemon fuzz replay: %u inputs ok\n", runs);
	return 0;
}
