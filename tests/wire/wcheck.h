/* SPDX-License-Identifier: MIT */
/* Counting assertions for the wire unit tests: every failed check is
 * reported with its location and counted; main() returns !!failures. */
#ifndef WCHECK_H
#define WCHECK_H

#include <stdio.h>

static int failures;
#define CHECK(cond)                                                              \
	do {                                                                     \
		if (!(cond)) {                                                   \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, \
				#cond);                                          \
			failures++;                                              \
		}                                                                \
	} while (0)

#endif /* WCHECK_H */
