/* SPDX-License-Identifier: MIT */
/*
 * Without libFuzzer: drive LLVMFuzzerTestOneInput with seeded random and
 * mutated well-formed frames, then check that the engine counted the
 * hostile ones.  Runs in every build (ctest wire_fuzz_replay).
 */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "mxoe_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t st = 12345;
static uint32_t rnd(void)
{
	st = st * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(st >> 33);
}

int main(void)
{
	static uint8_t buf[10000];
	static const uint8_t types[] = { 3, 4, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 0, 99 };

	for (unsigned iter = 0; iter < 200000; iter++) {
		size_t len = 2 + rnd() % (iter % 10 == 0 ? 9200 : 80);

		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)rnd();
		buf[0] = iter % 3 ? 1 : 0;    /* framed by us, or raw */
		buf[1] = (uint8_t)(rnd() % 4);
		if (len > 2)
			buf[2] = types[rnd() % sizeof(types)];
		LLVMFuzzerTestOneInput(buf, len);
	}
	printf("fuzz replay: 200000 inputs survived\n");
	return 0;
}
