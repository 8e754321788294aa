/* SPDX-License-Identifier: MIT */
/* Minimal assertion helper shared by the library unit tests. */
#ifndef MXL_TEST_CHECK_H
#define MXL_TEST_CHECK_H
#include <stdio.h>

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s)\n", __FILE__, __LINE__, #c); failures++; } } while (0)
#define CHECK_EQ(a, b) do { long long _a = (long long)(a), _b = (long long)(b); \
	if (_a != _b) { fprintf(stderr, "%s:%d: %s == %lld, want %s == %lld\n", __FILE__, __LINE__, #a, _a, #b, _b); failures++; } } while (0)
#define DONE() do { if (failures) { fprintf(stderr, "%d failure(s)\n", failures); return 1; } printf("ok\n"); return 0; } while (0)
#endif
