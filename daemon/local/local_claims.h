/* SPDX-License-Identifier: MIT */
/*
 * Who held which local endpoint, kept across a daemon restart (pure logic:
 * no I/O; the file is read and written by local_claims_file.c).
 *
 * A record per index: the session, and the process that opened it (uid,
 * pid, and the pid's start time, so a pid reused by another process never
 * matches).  After a restart a process may re-attach (struct
 * mxn_reattach_req) only to an index whose record names exactly it and the
 * session it presents (docs/security.md): knowing a session, which every
 * peer does, is not enough, and another process of the same user does not
 * match either.  The text form is one line "INDEX SESSION UID PID START"
 * per record, decimal; anything else rejects the whole file.
 * Error convention: 0 or -errno.
 */
#ifndef MXD_LOCAL_CLAIMS_H
#define MXD_LOCAL_CLAIMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <myrixen/abi.h>

struct mxd_claim {
	uint32_t session;           /* 0 = no record */
	uint32_t uid;
	uint32_t pid;
	uint64_t start;             /* /proc/PID/stat starttime (clock ticks since boot) */
	bool pending;               /* loaded at start-up, not re-attached yet */
};

struct mxd_claims {
	struct mxd_claim c[MXN_ENDPOINTS_MAX];
};

/* Replace t with the records of buf (len bytes).  -EINVAL (t emptied) when
 * any line is malformed, an index repeats or a field is out of range. */
int mxd_claims_parse(struct mxd_claims *t, const char *buf, size_t len);
/* The text form of t; the length it needs (like snprintf; NUL-terminated
 * when cap > 0). */
size_t mxd_claims_format(const struct mxd_claims *t, char *buf, size_t cap);
/* May (uid, pid, start) re-attach index idx with session?  0 or -ESTALE. */
int mxd_claims_check(const struct mxd_claims *t, uint32_t idx, uint32_t session, uint32_t uid,
		     uint32_t pid, uint64_t start);

/* ---- the file (local_claims_file.c, daemon only) ----
 * Loaded only when it is a regular file owned by the daemon's user and
 * writable by nobody else (a file another user planted is ignored);
 * replaced whole (temporary file, rename), removed when empty.  ENOENT
 * loads nothing. */
int mxd_claims_load(const char *path, struct mxd_claims *t);
int mxd_claims_save(const char *path, const struct mxd_claims *t);
/* The start time of process pid (/proc/PID/stat field 22): -ESRCH when it is gone. */
int mxd_proc_start(uint32_t pid, uint64_t *start);

#endif /* MXD_LOCAL_CLAIMS_H */
