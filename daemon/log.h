/* SPDX-License-Identifier: MIT */
/*
 * myribackd logging.  Everything goes to stderr.  When JOURNAL_STREAM is set
 * (started by systemd) each line carries an sd-daemon "<N>" priority prefix
 * so the journal keeps the level; otherwise lines are plain with a level tag.
 *
 * The data path never logs unconditionally: it counts, and logs through a
 * struct mxd_ratelimit so a hostile guest cannot flood the journal.
 */
#ifndef MXD_LOG_H
#define MXD_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include "conf.h"

/* Read JOURNAL_STREAM once and set the filter (messages above 'level' are dropped). */
void mxd_log_init(enum mxd_log_level level);
void mxd_log_set_level(enum mxd_log_level level);
enum mxd_log_level mxd_log_get_level(void);

void mxd_log(enum mxd_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * At most 'burst' messages per 'interval_ms'; the first message after a
 * suppressed stretch says how many were dropped.  Zero-initialise with
 * MXD_RATELIMIT_INIT.
 */
struct mxd_ratelimit {
	uint32_t interval_ms;
	uint32_t burst;
	uint64_t window_start_ns;
	uint32_t printed;
	uint32_t suppressed;
};
#define MXD_RATELIMIT_INIT(ms, n) { .interval_ms = (ms), .burst = (n) }

/* True when a message may be printed now (and accounts for it). */
bool mxd_ratelimit_ok(struct mxd_ratelimit *rl);

#define mxd_log_rl(rl, level, ...)                                       \
	do {                                                             \
		if ((level) <= mxd_log_get_level() && mxd_ratelimit_ok(rl)) \
			mxd_log((level), __VA_ARGS__);                   \
	} while (0)

/* Monotonic clock in nanoseconds (shared by the loop and the rate limiter). */
uint64_t mxd_now_ns(void);

#endif /* MXD_LOG_H */
