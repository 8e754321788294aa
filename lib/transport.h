/* SPDX-License-Identifier: MIT */
/*
 * How libmyrixen reaches myribackd.  A transport opens an endpoint (maps its
 * shared area and hands back the geometry and the doorbells), rings the
 * daemon's doorbell, sleeps on the guest's doorbell, describes user memory
 * as a region descriptor and closes the endpoint.
 *
 *  local  (transport_local.c): memfd area + eventfds over a UNIX socket.
 *  xen    (transport_xen.c, when built): /dev/myrixen from the shim; regions
 *         are granted pages.
 *
 * Error convention: 0 or -errno.  Every op must accept a half-opened
 * transport in close().
 */
#ifndef MXL_TRANSPORT_H
#define MXL_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "myrixen/abi.h"
#include "myrixen/pair.h"

struct mxl_iov {
	void *base;
	uint64_t len;
};

/* Results of mxl_transport_ops.wait (bit set). */
#define MXL_WAIT_IRQ 0x1   /* the daemon rang our doorbell */
#define MXL_WAIT_WAKE 0x2  /* extra_fd became readable (mx_wakeup) */
#define MXL_WAIT_DEAD 0x4  /* the daemon is gone: fail everything */

struct mxl_transport;

/* A pair channel area a transport mapped itself (pair_attach). */
struct mxl_pair_chan {
	void *area;
	size_t size;
	int rx_fd;                /* -1: the transport's own wait sees the bell */
	bool shim_bell;           /* Xen: the shim owns the bell (MXN_SHIMF_PAIR_BELL) */
	void *priv;
};

struct mxl_transport_ops {
	const char *name;
	/* Open an endpoint: fill t->area/area_size and *rsp.  The caller
	 * validates the area header against rsp. */
	int (*open)(struct mxl_transport *t, const struct mxn_open_req *req,
		    struct mxn_open_rsp *rsp);
	/* Ring the daemon's doorbell (new commands, or freed event slots). */
	int (*kick)(struct mxl_transport *t);
	/* Sleep until the doorbell rings, extra_fd (>= 0) is readable, a
	 * watched fd fires or timeout_ms passes (-1 = for ever).  Returns an
	 * MXL_WAIT_* mask, 0 on timeout, or -errno.  A doorbell ring ends one
	 * sleep only (local: one epoll_wait, the eventfd is never drained). */
	int (*wait)(struct mxl_transport *t, int timeout_ms, int extra_fd);
	/* Cheap liveness check for busy-polling callers: true when the daemon
	 * side is known to be gone. */
	bool (*dead)(struct mxl_transport *t);
	/* Optional: true when the daemon wakes a futex sleeper on the event
	 * ring's prod (MXN_RINGF_FUTEX) and pair channels are plain shared
	 * memory, so the sleeper may use lib/fbell.c instead of wait(). */
	bool (*futex)(struct mxl_transport *t);
	/* Upper bound of the descriptor bytes region() writes for these iovs. */
	uint32_t (*region_size)(struct mxl_transport *t, const struct mxl_iov *iov,
				uint32_t niov);
	/* Describe user memory as struct mxn_region_desc + segments into buf
	 * (cap bytes); zero-length iovs are skipped.  *len is the bytes written;
	 * *handle (may stay NULL) is given back to region_release once the
	 * daemon is done with the region. */
	int (*region)(struct mxl_transport *t, const struct mxl_iov *iov, uint32_t niov,
		      void *buf, uint32_t cap, uint32_t *len, void **handle);
	void (*region_release)(struct mxl_transport *t, void *handle);
	/* 0: a region may describe a whole message.  Else the most one region
	 * describes at once: larger rendezvous with local peers go a window at
	 * a time (abi.h "Windowed regions"; Xen grants what it pins). */
	uint32_t region_window;
	/* Optional (NULL: a lost daemon is final).  After dead()/MXL_WAIT_DEAD:
	 * get the same area attached to the daemon that runs now (restarted,
	 * or this guest's new host), with the same endpoint index and session,
	 * both rings starting from 0.  The caller drained the event ring.
	 * *regions_lost: handles from region() are void, describe again. */
	int (*reattach)(struct mxl_transport *t, struct mxn_open_rsp *rsp, bool *regions_lost);
	void (*close)(struct mxl_transport *t);
	/* Take the pair-channel hand-over the daemon queued before it
	 * published MXN_EVT_PAIR_OPEN(pair_id): fills *o and fds [memfd, rx
	 * bell, tx bell, and with MXN_PAIR_OPENF_PROC the peer's pidfd and
	 * /proc dir; else -1] (the caller owns them).  Older hand-overs are
	 * dropped.  NULL = no pair channels on this transport. */
	int (*pair_take)(struct mxl_transport *t, uint32_t pair_id, struct mxn_pair_open *o,
			 int fds[MXN_PAIR_OPEN_FDS_MAX]);
	/* Let wait() also end when fd (a pair's rx bell, an eventfd) is
	 * written (on), or stop (off).  Edge-triggered: never drained. */
	int (*watch)(struct mxl_transport *t, int fd, bool on);
	/*
	 * Pair channels the guests build from pages they grant each other
	 * (Xen, pair.h "Xen"; all NULL elsewhere).  pair_attach acts on
	 * MXN_EVT_PAIR_XEN_OFFER (allocate and grant the area to the peer's
	 * domain, an event channel unbound for it; fill ans->dir_ref/port) or
	 * MXN_EVT_PAIR_XEN_MAP (map the peer's area, bind its port), after
	 * the caller checked e->u.xpair with mxn_pair_xen_check.  It fills *ch
	 * with the mapped area (read-write, ch->size bytes), ch->rx_fd (what
	 * wait() watches, the transport re-arms it; -1 when a ring from the
	 * peer already wakes wait() as the daemon's doorbell) and ch->priv.
	 * pair_ring rings the peer: 0, or -EPIPE when the channel is void
	 * (this guest was restored since: drop it); pair_detach unmaps and
	 * releases all.
	 */
	int (*pair_attach)(struct mxl_transport *t, const struct mxn_evt *e,
			   struct mxl_pair_chan *ch, struct mxn_pair_xen *ans);
	int (*pair_ring)(struct mxl_transport *t, struct mxl_pair_chan *ch);
	void (*pair_detach)(struct mxl_transport *t, struct mxl_pair_chan *ch);
};

struct mxl_transport {
	const struct mxl_transport_ops *ops;
	void *area;             /* the mapped endpoint area */
	size_t area_size;
	void *priv;             /* the transport's own state */
};

extern const struct mxl_transport_ops mxl_transport_local;
#ifdef MXL_HAVE_XEN_TRANSPORT
extern const struct mxl_transport_ops mxl_transport_xen;
#endif

/* The transport for this host: Xen when /dev/myrixen exists (and the Xen
 * transport is built in), else local. */
const struct mxl_transport_ops *mxl_transport_select(void);

/* An unsigned environment setting, dflt when unset or malformed. */
uint32_t mxl_env_u32(const char *name, uint32_t dflt);
/* CLOCK_MONOTONIC in ns (wait.c). */
uint64_t mxl_now_ns(void);

/* Shared helper: VADDR descriptor of the iovs (local transport and tests). */
uint32_t mxl_region_vaddr_size(const struct mxl_iov *iov, uint32_t niov);
int mxl_region_vaddr(const struct mxl_iov *iov, uint32_t niov, void *buf, uint32_t cap,
		     uint32_t *len);

#endif /* MXL_TRANSPORT_H */
