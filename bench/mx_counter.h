/* SPDX-License-Identifier: MIT */
/* A library counter of an endpoint by its label (mx_get_info
 * MX_COUNTERS_*), 0 when absent or unreadable: shared by the benches and
 * the tests that count what a message cost. */
#ifndef MYRIXEN_BENCH_MX_COUNTER_H
#define MYRIXEN_BENCH_MX_COUNTER_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <myriexpress.h>

static inline uint32_t mxb_counter(mx_endpoint_t ep, const char *label)
{
	uint32_t n = 0, out = 0, *v;
	char *l;

	if (mx_get_info(ep, MX_COUNTERS_COUNT, NULL, 0, &n, sizeof(n)) != MX_SUCCESS)
		return 0;
	l = calloc(n, MX_MAX_STR_LEN);
	v = calloc(n, sizeof(*v));
	if (l && v &&
	    mx_get_info(ep, MX_COUNTERS_LABELS, NULL, 0, l, n * MX_MAX_STR_LEN) == MX_SUCCESS &&
	    mx_get_info(ep, MX_COUNTERS_VALUES, NULL, 0, v, n * (uint32_t)sizeof(*v)) == MX_SUCCESS)
		for (uint32_t i = 0; i < n; i++)
			if (!strcmp(l + i * MX_MAX_STR_LEN, label))
				out = v[i];
	free(l);
	free(v);
	return out;
}

#endif
