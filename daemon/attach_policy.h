/* SPDX-License-Identifier: MIT */
/*
 * Which Xen domains get a myrixen device by themselves (myribackd.conf
 * "xen_attach"): "all", "none", or a comma-separated list of shell
 * patterns (fnmatch) on the domain's name.  The daemon attaches a domain
 * that matches when it appears (xl create, xl restore, the end of an
 * incoming xl migrate), so the operator has nothing to do.  Pure logic.
 */
#ifndef MXD_ATTACH_POLICY_H
#define MXD_ATTACH_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#define MXD_ATTACH_POLICY_MAX 256   /* the value, terminator included */
#define MXD_ATTACH_PATTERN_MAX 64   /* one pattern, terminator included */

/* 0 when V is a valid policy, else -EINVAL with WHY filled (no newline). */
int mxd_attach_policy_check(const char *v, char *why, size_t whylen);

/* Does the (checked) POLICY give domain NAME a device?  xl names a domain
 * "NAME--incoming" while a migration brings it in: it matches as NAME. */
bool mxd_attach_policy_match(const char *policy, const char *name);

#endif /* MXD_ATTACH_POLICY_H */
