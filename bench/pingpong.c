/* SPDX-License-Identifier: MIT */
/* The shared ping-pong loop: see pingpong.h. */
#include "pingpong.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

double pp_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int pp_parse_u32(const char *s, uint32_t *v)
{
	char *end;
	unsigned long n = strtoul(s, &end, 0);

	if (!*s || *end || n > UINT32_MAX)
		return -1;
	*v = (uint32_t)n;
	return 0;
}

uint32_t pp_iters_for(uint32_t iters, uint32_t size)
{
	uint64_t n = iters;

	if (size > 65536)
		n = n * 65536 / size;
	return n < 4 ? 4 : (uint32_t)n;
}

uint32_t pp_next_size(const struct pp_sweep *s, uint32_t size)
{
	if (size >= s->max)
		return 0;
	size = size ? size * 2 : 1;
	return size > s->max ? s->max : size;
}

int pp_rounds(const struct pp_link *l, uint32_t size, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (l->round(l->ctx, size, i))
			return -1;
	return 0;
}

int pp_echoes(const struct pp_link *l, uint32_t size, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (l->echo(l->ctx, size))
			return -1;
	return 0;
}

/* One size: warm-up, then the timed rounds.  Half a round trip in us. */
static int one_size(const struct pp_sweep *s, const struct pp_link *l, uint32_t size,
		    double *lat)
{
	uint32_t n = pp_iters_for(s->iters, size), i;
	double t0 = 0;

	for (i = 0; i < n + s->warm; i++) {
		if (i == s->warm)
			t0 = pp_now_us();
		if (l->round(l->ctx, size, i))
			return -1;
	}
	*lat = (pp_now_us() - t0) / n / 2;
	return 0;
}

int pp_drive(const struct pp_sweep *s, const struct pp_link *l)
{
	FILE *csv = NULL;
	uint32_t size = s->min;
	double lat;

	if (s->csv && !(csv = fopen(s->csv, "w"))) {
		perror(s->csv);
		return 1;
	}
	if (csv)
		fprintf(csv, "bytes,latency_us,mb_per_s\n");
	printf("%10s %12s %12s\n", "bytes", "latency(us)", "MB/s");
	do {
		if (one_size(s, l, size, &lat)) {
			fprintf(stderr, "%s: failed at %u bytes\n", s->name, size);
			if (csv)
				fclose(csv);
			return 1;
		}
		printf("%10u %12.2f %12.2f\n", size, lat, lat > 0 ? size / lat : 0.0);
		if (csv)
			fprintf(csv, "%u,%.3f,%.3f\n", size, lat, lat > 0 ? size / lat : 0.0);
		fflush(stdout);
	} while ((size = pp_next_size(s, size)));
	if (csv)
		fclose(csv);
	return 0;
}

int pp_echo(const struct pp_sweep *s, const struct pp_link *l)
{
	uint32_t size = s->min;

	do {
		if (pp_echoes(l, size, pp_iters_for(s->iters, size) + s->warm))
			return 1;
	} while ((size = pp_next_size(s, size)));
	return 0;
}
