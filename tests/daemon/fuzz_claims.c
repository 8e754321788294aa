/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer entry for the local claims file parser (daemon/local/local_claims.c):
 * any bytes either fail whole or parse into records that print back to a
 * text that parses into the same records.
 */
#include <stdlib.h>
#include "local_claims.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mxd_claims a, b;
	static char text[MXN_ENDPOINTS_MAX * 80];
	size_t n;

	if (mxd_claims_parse(&a, (const char *)data, size))
		return 0;
	n = mxd_claims_format(&a, text, sizeof(text));
	if (n >= sizeof(text) || mxd_claims_parse(&b, text, n))
		abort();
	for (unsigned i = 0; i < MXN_ENDPOINTS_MAX; i++)
		if (a.c[i].session != b.c[i].session || a.c[i].uid != b.c[i].uid ||
		    a.c[i].pid != b.c[i].pid || a.c[i].start != b.c[i].start)
			abort();
	return 0;
}
