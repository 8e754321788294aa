/* SPDX-License-Identifier: MIT */
/* The library's counters through mx_get_info (mx_info, mx_pingpong -C). */
#ifndef MX_TOOLS_COUNTERS_H
#define MX_TOOLS_COUNTERS_H

#include <stdio.h>
#include <stdlib.h>
#include "myriexpress.h"

/* ep NULL: every endpoint of this process. */
static inline void print_counters(mx_endpoint_t ep)
{
	uint32_t board = 0, n = 0, i, *vals;
	char *labels;

	if (mx_get_info(ep, MX_COUNTERS_COUNT, &board, sizeof(board), &n, sizeof(n)) != MX_SUCCESS || !n)
		return;
	labels = calloc(n, MX_MAX_STR_LEN);
	vals = calloc(n, sizeof(*vals));
	if (labels && vals &&
	    mx_get_info(ep, MX_COUNTERS_LABELS, &board, sizeof(board), labels, n * MX_MAX_STR_LEN) == MX_SUCCESS &&
	    mx_get_info(ep, MX_COUNTERS_VALUES, &board, sizeof(board), vals, n * (uint32_t)sizeof(*vals)) == MX_SUCCESS) {
		printf("library counters (this process):\n");
		for (i = 0; i < n; i++)
			printf("  %-28s %u\n", labels + i * MX_MAX_STR_LEN, vals[i]);
	}
	free(labels);
	free(vals);
}

#endif /* MX_TOOLS_COUNTERS_H */
