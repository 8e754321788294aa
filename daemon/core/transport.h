/* SPDX-License-Identifier: MIT */
/*
 * What a transport (local memfd/eventfd, Xen grants/evtchn) provides to the
 * daemon core.  The core never touches guest memory outside the mapped
 * endpoint area except through these operations.
 *
 * Error convention: 0 or -errno; a region operation that fails because the
 * guest gave memory it does not own returns -EFAULT (the command completes
 * with MXN_ST_BAD_REQUEST; the guest is not cut off: it may have unmapped
 * the buffer, which is a bug, not an attack).
 */
#ifndef MXD_TRANSPORT_H
#define MXD_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <myrixen/abi.h>
#include <myrixen/pair.h>

struct mxd_endpoint;

/*
 * A region descriptor copied out of a guest's sendq and validated by
 * mxd_region_copy() (validate.h): kind, nsegs and total_len are consistent,
 * every segment is non-empty, sum(len) == total_len <= MXN_LARGE_MAX, grant
 * segments satisfy offset + len <= MXN_PAGE_SIZE.  The segment array lives
 * in the same allocation; free with mxd_region_free().
 */
struct mxd_region {
	uint32_t kind;              /* enum mxn_region_kind */
	uint32_t nsegs;
	uint64_t total_len;
	union {
		struct mxn_vaddr_seg *vaddr;
		struct mxn_grant_seg *grant;
		void *raw;
	} seg;
};

struct mxd_transport_ops {
	const char *name;           /* "local", "xen" */
	/* The only region kind this transport's guests may describe. */
	uint32_t region_kind;
	/* Transport-specific checks beyond mxd_region_copy (e.g. grant refs
	 * below the guest's table size).  NULL = nothing more to check. */
	int (*validate_region)(struct mxd_endpoint *ep, const struct mxd_region *r);
	/* Raise the guest's event interrupt (local: write the irq eventfd;
	 * Xen: xenevtchn_notify).  Called at most once per batch. */
	int (*notify)(struct mxd_endpoint *ep);
	/* Copy 'len' bytes starting 'off' bytes into region r (which belongs to
	 * ep's guest) into/out of a daemon buffer.  off + len <= r->total_len is
	 * guaranteed by the caller.  Local: process_vm_readv/writev on the pid;
	 * Xen: GNTTABOP_copy. */
	int (*region_read)(struct mxd_endpoint *ep, const struct mxd_region *r,
			   uint64_t off, void *buf, size_t len);
	int (*region_write)(struct mxd_endpoint *ep, const struct mxd_region *r,
			    uint64_t off, const void *buf, size_t len);
	/*
	 * Local pulls between two endpoints of this transport (all optional).
	 * pull_owner_check: the process behind ep is still the principal that
	 * opened it (same process, credentials, dumpable, executable): 0,
	 * -ESRCH or -EPERM.  pull_direct: dst's own process may read src's
	 * memory with its own rights (same principal): 0 and the pid to read,
	 * or -EPERM.  pull_async: copy len bytes off the loop (local: a
	 * copy_pool worker; Xen: grant refs to grant refs, xen/gcopy.h); the core is
	 * called back through mxd_pull_async_done(token, ...); *job names it
	 * for pull_cancel (after which no callback comes). */
	int (*pull_owner_check)(struct mxd_endpoint *ep);
	int (*pull_direct)(struct mxd_endpoint *src, struct mxd_endpoint *dst, uint32_t *pid);
	int (*pull_async)(struct mxd_endpoint *src, const struct mxd_region *from,
			  struct mxd_endpoint *dst, const struct mxd_region *to, uint32_t len,
			  void *token, void **job);
	void (*pull_cancel)(void *job);
	/* Free the transport's per-endpoint resources (unmap the area, close
	 * fds/ports, drop the connection).  Called exactly once, by the core,
	 * after the endpoint was unlinked from everything; must accept an
	 * endpoint whose transport state is half built. */
	void (*destroy)(struct mxd_endpoint *ep);
	/* Broker a pair channel between a and b (both of this transport):
	 * create the shared area and its two doorbells and hand each side its
	 * half (open_a to a, open_b to b) before the core publishes
	 * MXN_EVT_PAIR_OPEN.  The transport keeps nothing: the channel lives
	 * in the two guests.  NULL = this transport has no pair channels. */
	int (*pair_open)(struct mxd_endpoint *a, struct mxd_endpoint *b,
			 const struct mxn_pair_open *open_a, const struct mxn_pair_open *open_b);
	/* Pair channels the guests build themselves from pages they grant each
	 * other (Xen, pair.h "Xen"): the core relays the set-up through the
	 * endpoints' rings, only between endpoints of two different guests,
	 * and never maps anything. */
	bool pair_by_grant;
};

#endif /* MXD_TRANSPORT_H */
