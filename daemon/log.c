/* SPDX-License-Identifier: MIT */
/* Logging to stderr, journal-aware, with a rate limiter for the data path. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "log.h"

static enum mxd_log_level log_level = MXD_LOG_NOTICE;
static int log_journal = -1; /* -1: not probed yet */

static const char *const level_names[] = {
	[MXD_LOG_ERR] = "error", [MXD_LOG_WARNING] = "warning", [MXD_LOG_NOTICE] = "notice",
	[MXD_LOG_INFO] = "info", [MXD_LOG_DEBUG] = "debug",
};

void mxd_log_init(enum mxd_log_level level)
{
	/* systemd sets JOURNAL_STREAM when stderr is connected to the journal;
	 * only then do "<N>" prefixes mean something to the reader. */
	log_journal = getenv("JOURNAL_STREAM") != NULL;
	mxd_log_set_level(level);
}

void mxd_log_set_level(enum mxd_log_level level)
{
	if (level < MXD_LOG_ERR)
		level = MXD_LOG_ERR;
	if (level > MXD_LOG_DEBUG)
		level = MXD_LOG_DEBUG;
	log_level = level;
}

enum mxd_log_level mxd_log_get_level(void)
{
	return log_level;
}

void mxd_log(enum mxd_log_level level, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (level > log_level)
		return;
	if (level < MXD_LOG_ERR)
		level = MXD_LOG_ERR;
	if (level > MXD_LOG_DEBUG)
		level = MXD_LOG_DEBUG;
	if (log_journal < 0)
		log_journal = getenv("JOURNAL_STREAM") != NULL;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One fprintf per line so concurrent writers do not interleave. */
	if (log_journal)
		fprintf(stderr, "<%d>%s\n", (int)level, line);
	else
		fprintf(stderr, "myribackd: %s: %s\n", level_names[level], line);
}

uint64_t mxd_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

bool mxd_ratelimit_ok(struct mxd_ratelimit *rl)
{
	uint64_t now = mxd_now_ns();
	uint64_t interval = (uint64_t)(rl->interval_ms ? rl->interval_ms : 5000) * 1000000ull;
	uint32_t burst = rl->burst ? rl->burst : 1;

	if (rl->window_start_ns == 0 || now - rl->window_start_ns >= interval) {
		if (rl->suppressed)
			mxd_log(MXD_LOG_WARNING, "%u similar messages suppressed", rl->suppressed);
		rl->window_start_ns = now;
		rl->printed = 0;
		rl->suppressed = 0;
	}
	if (rl->printed < burst) {
		rl->printed++;
		return true;
	}
	rl->suppressed++;
	return false;
}
