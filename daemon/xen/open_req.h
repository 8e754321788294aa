/* SPDX-License-Identifier: MIT */
/*
 * A guest's endpoint open request (the <frontend>/ep/<slot>/ nodes, see
 * shim/README.md), parsed and checked without any I/O so the unit test and
 * the fuzzer drive it directly.  Every value is guest-written and hostile.
 * Error convention: 0 or -errno (-EINVAL malformed, -EPROTO ABI version,
 * -E2BIG over the daemon's limits).
 */
#ifndef MXD_XEN_OPEN_REQ_H
#define MXD_XEN_OPEN_REQ_H

#include <stdint.h>
#include <myrixen/layout.h>

#define MXD_XEN_DIR_MAX 16u
#define MXD_XEN_REFS_PER_PAGE (MXN_PAGE_SIZE / sizeof(uint32_t))

enum mxd_xen_open_field {
	MXD_XO_ABI, MXD_XO_KEY, MXD_XO_ENDPOINT, MXD_XO_CMD_ORDER, MXD_XO_EVT_ORDER,
	MXD_XO_SENDQ, MXD_XO_RECVQ, MXD_XO_PAGES, MXD_XO_PORT, MXD_XO_DIR_REFS,
	MXD_XO_SESSION, /* optional: a re-attach asks for its index and session back */
	MXD_XO_NFIELDS
};
/* xenstore node name of each field */
extern const char *const mxd_xen_open_nodes[MXD_XO_NFIELDS];

struct mxd_xen_open {
	uint32_t abi, key, endpoint;
	uint32_t cmd_order, evt_order, sendq_size, recvq_size;
	uint32_t npages, port, ndir;
	uint32_t session;         /* 0: a new opening; else a re-attach (endpoint named) */
	uint32_t dir[MXD_XEN_DIR_MAX];
	struct mxn_layout geo;
};

/* Decimal, fully consumed, no sign, no leading blanks, <= UINT32_MAX. */
int mxd_xs_parse_u32(const char *s, uint32_t *out);
/* "r0 r1 ..." single spaces, 1..max refs. */
int mxd_xen_parse_refs(const char *s, uint32_t *refs, uint32_t max, uint32_t *n);
/* val[i] is field i's string or NULL when the node is missing. */
int mxd_xen_open_parse(const char *const val[MXD_XO_NFIELDS], uint32_t max_sendq,
		       uint32_t max_recvq, struct mxd_xen_open *o);

/*
 * A re-attach names the session it keeps.  The daemon keeps, for each index,
 * "<session> <owner>" in a dom0-only xenstore node (MXD_XEN_SESSIONS), the
 * owner being the domain's /vm/<uuid> (toolstack-written, read-only to the
 * guest, the same after xl restore).  A claim must match both, so a guest
 * that learnt a session as a peer cannot take that index over, not even
 * right after a daemon restart when the core has no history.  record is
 * NULL when there is none.  0 or -ESTALE.
 */
#define MXD_XEN_SESSIONS "/local/domain/0/backend/myrixen-sessions"
int mxd_xen_claim_check(const char *record, uint32_t session, const char *owner);

#endif /* MXD_XEN_OPEN_REQ_H */
