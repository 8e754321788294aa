/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the MX integration programs: checks that count failures,
 * deterministic payload patterns, a pipe-based barrier between forked
 * processes, and blocking send/recv wrappers with a bounded wait (a hang
 * becomes a failure, never a stuck ctest).
 */
#ifndef MYRIXEN_ITEST_H
#define MYRIXEN_ITEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "myriexpress.h"
#include "mx_extensions.h"

static int it_failures;
#define IT_CHECK(c) do { if (!(c)) { fprintf(stderr, "[%d] %s:%d: CHECK(%s)\n", (int)getpid(), __FILE__, __LINE__, #c); it_failures++; } } while (0)
#define IT_EQ(a, b) do { unsigned long long _a = (unsigned long long)(a), _b = (unsigned long long)(b); \
	if (_a != _b) { fprintf(stderr, "[%d] %s:%d: %s = %llu (%#llx), want %s = %llu (%#llx)\n", (int)getpid(), __FILE__, __LINE__, #a, _a, _a, #b, _b, _b); it_failures++; } } while (0)
#define IT_OK(call) do { mx_return_t _r = (call); if (_r != MX_SUCCESS) { fprintf(stderr, "[%d] %s:%d: %s: %s\n", (int)getpid(), __FILE__, __LINE__, #call, mx_strerror(_r)); it_failures++; } } while (0)
#define IT_FATAL(call) do { mx_return_t _r = (call); if (_r != MX_SUCCESS) { fprintf(stderr, "[%d] %s:%d: %s: %s\n", (int)getpid(), __FILE__, __LINE__, #call, mx_strerror(_r)); exit(1); } } while (0)

#define IT_WAIT_MS 20000u   /* generous: a bound against hangs, not a speed test */
#define IT_KEY 0x1234abcdu

static inline uint8_t it_byte(uint64_t seed, uint32_t i)
{
	return (uint8_t)((i * 2654435761u) >> 13 ^ (uint32_t)seed ^ (uint32_t)(seed >> 32));
}

static inline void it_fill(void *p, uint32_t n, uint64_t seed)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		((uint8_t *)p)[i] = it_byte(seed, i);
}

/* Index of the first wrong byte, or -1. */
static inline long it_verify(const void *p, uint32_t n, uint64_t seed)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (((const uint8_t *)p)[i] != it_byte(seed, i))
			return (long)i;
	return -1;
}

/* Wait with a bound; a timeout is a failure (result 0). */
static inline int it_wait(mx_endpoint_t ep, mx_request_t *req, mx_status_t *st)
{
	uint32_t result = 0;
	mx_return_t r = mx_wait(ep, req, IT_WAIT_MS, st, &result);

	if (r != MX_SUCCESS || !result) {
		fprintf(stderr, "[%d] wait: %s result=%u\n", (int)getpid(), mx_strerror(r), result);
		it_failures++;
		return -1;
	}
	return 0;
}

static inline void it_init(void)
{
	mx_set_error_handler(MX_ERRORS_RETURN);
	if (mx_init() != MX_SUCCESS) {
		fprintf(stderr, "mx_init failed\n");
		exit(1);
	}
}

static inline mx_endpoint_t it_open(uint32_t eid)
{
	mx_endpoint_t ep;

	IT_FATAL(mx_open_endpoint(MX_ANY_NIC, eid, IT_KEY, NULL, 0, &ep));
	return ep;
}

static inline mx_endpoint_addr_t it_connect(mx_endpoint_t ep, uint32_t eid)
{
	mx_endpoint_addr_t a;
	uint64_t nic;
	int i;

	IT_FATAL(mx_board_number_to_nic_id(0, &nic));
	for (i = 0; i < 200; i++) {
		if (mx_connect(ep, nic, eid, IT_KEY, 1000, &a) == MX_SUCCESS)
			return a;
		usleep(25000);
	}
	fprintf(stderr, "[%d] cannot connect to endpoint %u\n", (int)getpid(), eid);
	exit(1);
}

/* A one-byte-per-step barrier over a pipe pair between parent and child. */
struct it_pipe { int rd, wr; };

static inline void it_signal(struct it_pipe *p)
{
	char c = 'x';

	if (write(p->wr, &c, 1) != 1)
		exit(1);
}

static inline void it_await(struct it_pipe *p)
{
	char c;

	if (read(p->rd, &c, 1) != 1)
		exit(1);
}

/* A library counter of ep by its label (MX_COUNTERS_*), 0 when absent. */
static inline uint64_t it_counter(mx_endpoint_t ep, const char *label)
{
	uint32_t n = 0, i, *v;
	char *l;
	uint64_t out = 0;

	IT_OK(mx_get_info(ep, MX_COUNTERS_COUNT, NULL, 0, &n, sizeof(n)));
	l = calloc(n, MX_MAX_STR_LEN);
	v = calloc(n, sizeof(*v));
	IT_OK(mx_get_info(ep, MX_COUNTERS_LABELS, NULL, 0, l, n * MX_MAX_STR_LEN));
	IT_OK(mx_get_info(ep, MX_COUNTERS_VALUES, NULL, 0, v, n * (uint32_t)sizeof(*v)));
	for (i = 0; i < n; i++)
		if (!strcmp(l + i * MX_MAX_STR_LEN, label))
			out = v[i];
	free(l);
	free(v);
	return out;
}

static inline int it_done(const char *name)
{
	if (it_failures) {
		fprintf(stderr, "[%d] %s: %d failure(s)\n", (int)getpid(), name, it_failures);
		return 1;
	}
	printf("[%d] %s: ok\n", (int)getpid(), name);
	fflush(stdout);
	return 0;
}

#endif /* MYRIXEN_ITEST_H */
