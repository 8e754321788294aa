/* SPDX-License-Identifier: MIT */
/*
 * The guest side of the Xen transport: the /dev/myrixen character device
 * exposed by the shim (shim/myrixen.ko) to libmyrixen.  Compiles in the
 * kernel and in user space.  Versioned together with abi.h
 * (MYRIXEN_ABI_VERSION): same bump rule.
 *
 * One open file = one endpoint.  Sequence:
 *   fd = open("/dev/myrixen", O_RDWR | O_CLOEXEC);
 *   ioctl(fd, MYRIXEN_IOC_OPEN, &open);      area granted, daemon answered
 *   mmap(NULL, area_size, PROT_READ, MAP_SHARED, fd, 0);        whole area
 *   mmap(area + ctl, .., PROT_READ|PROT_WRITE, MAP_SHARED|MAP_FIXED, fd, ctl)
 *   mmap(area + sendq, .., PROT_READ|PROT_WRITE, MAP_SHARED|MAP_FIXED, fd, sendq)
 * The file is also the guest's doorbell, with eventfd semantics: poll()
 * reports POLLIN once the daemon raised the endpoint's event channel (or a
 * pair bell the shim bound for it rang, MYRIXEN_IOC_BELL_BIND) since the
 * last read(), and read() of 8 bytes returns (and clears) that count,
 * blocking unless O_NONBLOCK.  POLLHUP/-ENOTCONN: the backend went away.
 * The header page, the event ring and the recvq refuse writable mappings
 * (the daemon is their only writer); the control page, the command ring and
 * the sendq may be mapped writable.  close() (or process death) ends the
 * endpoint: grants revoked, event channel closed, pinned pages released.
 *
 * Error convention: ioctls return 0 or -1 with errno.
 *
 * New calls come with a bit in MYRIXEN_IOC_FEATURES; a shim that predates a
 * call refuses it cleanly (-ENOTTY), so adding one bumps no version (the
 * rule of abi.h for new opcodes).
 */
#ifndef MYRIXEN_SHIM_H
#define MYRIXEN_SHIM_H

#include "abi.h"
#ifdef __KERNEL__
#include <linux/ioctl.h>
#else
#include <sys/ioctl.h>
#endif

#define MXN_SHIM_DEVICE "/dev/myrixen"
#define MXN_SHIM_XENBUS_TYPE "myrixen" /* xenstore device type */

struct mxn_shim_open {
	struct mxn_open_req req;  /* in */
	struct mxn_open_rsp rsp;  /* out (rsp.error 0 when the ioctl returns 0) */
};
_Static_assert(sizeof(struct mxn_shim_open) == 136, "mxn_shim_open");

/* Sleep until the event ring's prod differs from evt_prod_seen, the
 * timeout expires (-ETIMEDOUT), a signal arrives (-EINTR) or the backend
 * went away (-ENOTCONN).  The caller arms prod_event first (mxn_ring_arm). */
struct mxn_shim_wait {
	uint32_t evt_prod_seen;
	uint32_t timeout_ms;      /* 0xffffffff = forever */
	uint64_t pad;
};
_Static_assert(sizeof(struct mxn_shim_wait) == 16, "mxn_shim_wait");

/* Register user memory: pin every page of the vaddr segments, grant each to
 * the backend domain (read-write), write the mxn_grant_seg list in order.
 * 'handle' names the registration for MYRIXEN_IOC_DEREG_REGION. */
struct mxn_shim_region {
	uint64_t vsegs;           /* in: user pointer to struct mxn_vaddr_seg[] */
	uint64_t gsegs;           /* in: user pointer to struct mxn_grant_seg[] */
	uint32_t nvsegs;          /* in: <= MXN_REGION_VADDR_SEGS_MAX */
	uint32_t max_gsegs;       /* in: capacity of gsegs */
	uint32_t ngsegs;          /* out */
	uint32_t handle;          /* out */
	uint32_t flags;           /* in: MXN_SHIM_REGION_* */
	uint32_t pad;
};
_Static_assert(sizeof(struct mxn_shim_region) == 40, "mxn_shim_region");
_Static_assert(offsetof(struct mxn_shim_region, handle) == 28, "region.handle");

/* The backend only reads the region (a send buffer): pinned without write
 * access and granted read-only, so const or read-only memory can be sent. */
#define MXN_SHIM_REGION_READONLY 0x1u

#define MYRIXEN_IOC_MAGIC 'X'
#define MYRIXEN_IOC_OPEN _IOWR(MYRIXEN_IOC_MAGIC, 1, struct mxn_shim_open)
#define MYRIXEN_IOC_NOTIFY _IO(MYRIXEN_IOC_MAGIC, 2)
#define MYRIXEN_IOC_WAIT _IOW(MYRIXEN_IOC_MAGIC, 3, struct mxn_shim_wait)
#define MYRIXEN_IOC_REG_REGION _IOWR(MYRIXEN_IOC_MAGIC, 4, struct mxn_shim_region)
#define MYRIXEN_IOC_DEREG_REGION _IOW(MYRIXEN_IOC_MAGIC, 5, uint32_t)
#define MYRIXEN_IOC_INFO _IOR(MYRIXEN_IOC_MAGIC, 6, struct mxn_open_rsp)

/* Re-attach an endpoint the backend lost (myribackd restarted, or this
 * guest was restored or migrated): the same area pages, the same endpoint
 * index and session, a new event channel, handed to the backend that is
 * Connected now.  The caller drained the event ring first: the backend
 * starts both rings from 0.  Waits up to timeout_ms (0 = 10 s) for a
 * backend; -ENOTCONN, -ETIMEDOUT, -EINTR, -EBUSY (not cut off), -ESTALE
 * (the backend gave another index or session: the endpoint is lost). */
struct mxn_shim_reattach {
	uint32_t timeout_ms;      /* in */
	uint32_t flags;           /* out: MXN_SHIM_REATTACH_* */
	struct mxn_open_rsp rsp;  /* out */
};
_Static_assert(sizeof(struct mxn_shim_reattach) == 120, "mxn_shim_reattach");
/* The guest was restored: every grant was re-issued, so region handles
 * and grant segments from before are void (register the memory again). */
#define MXN_SHIM_REATTACH_REGRANTED 0x1u
#define MYRIXEN_IOC_REATTACH _IOWR(MYRIXEN_IOC_MAGIC, 7, struct mxn_shim_reattach)

/*
 * What this shim offers beyond the calls above (a shim without this call
 * says -ENOTTY: features 0).  One bit each, never reused for another
 * meaning; a library uses a call only when its bit is set.
 */
struct mxn_shim_features {
	uint32_t features;        /* out: MXN_SHIMF_* */
	uint32_t pad0;
	uint64_t pad1;
};
_Static_assert(sizeof(struct mxn_shim_features) == 16, "mxn_shim_features");
#define MXN_SHIMF_PAIR_BELL 0x1u  /* MYRIXEN_IOC_BELL_* (Xen pair channels) */
#define MXN_SHIMF_PEER_MAPS 0x2u  /* MYRIXEN_IOC_PEER_MAP/UNMAP, dropped at suspend */
#define MYRIXEN_IOC_FEATURES _IOR(MYRIXEN_IOC_MAGIC, 8, struct mxn_shim_features)

/*
 * The bell of a Xen pair channel (pair.h "Xen"), an interdomain event
 * channel the shim binds and owns for the endpoint, as a frontend does:
 * after a restore it frees the IRQ by number and never looks the dead port
 * up (which a process binding through /dev/xen/evtchn cannot avoid, and
 * which trips a BUG in that driver: lib/README.md).
 *
 * BELL_BIND: remote_port 0 allocates a port unbound for peer_domid (side 0
 * offers it), else binds to the peer's remote_port (side 1).  Out: our
 * port and the bell's id (1 .. MXN_PAIRS_MAX) for RING and UNBIND.  A ring
 * from the peer counts as the endpoint's doorbell: poll() and read() of
 * the endpoint's file report it like the daemon's.  -EMFILE: the endpoint
 * holds MXN_PAIRS_MAX bells; -EBADFD: not opened.
 * BELL_RING (the id is the argument itself, no copy): notify the peer.
 * -EPIPE: the bell died with a restore (or a migration) of this guest: the
 * channel is void, unbind the bell.  -ENOENT: no such bell.
 * BELL_UNBIND (the id as argument): free the bell (closing the file frees
 * all of them).
 */
struct mxn_shim_bell {
	uint16_t peer_domid;      /* in */
	uint16_t pad0;
	uint32_t remote_port;     /* in: the peer's port, or 0 to offer one */
	uint32_t port;            /* out: ours */
	uint32_t id;              /* out */
	uint64_t pad1;
};
_Static_assert(sizeof(struct mxn_shim_bell) == 24, "mxn_shim_bell");
_Static_assert(offsetof(struct mxn_shim_bell, port) == 8, "mxn_shim_bell.port");
#define MYRIXEN_IOC_BELL_BIND _IOWR(MYRIXEN_IOC_MAGIC, 9, struct mxn_shim_bell)
#define MYRIXEN_IOC_BELL_RING _IO(MYRIXEN_IOC_MAGIC, 10)
#define MYRIXEN_IOC_BELL_UNBIND _IO(MYRIXEN_IOC_MAGIC, 11)

/*
 * A range of the caller's memory that maps a peer guest's pages (side 1 of
 * a Xen pair channel maps side 0's through xen-gntdev).  A guest cannot
 * keep another domain's page mapped across a save or a migration: the
 * toolstack leaves out of the image every page table that holds a foreign
 * frame (libxenguest normalise_pagetable), so the restored process runs on
 * a page table that is gone and dies of SIGBUS, its neighbouring mappings
 * with it.  Nothing in user space runs between the suspend request and the
 * freeze, so the shim does it: when this guest suspends, after the freeze
 * and before the guest stops, it maps zeroed private memory over every
 * registered range (xen-gntdev ends those grant mappings as for munmap) and
 * ends every pair bell (BELL_RING then says -EPIPE, a checkpoint that
 * resumes in place included): the library drops the channel, and what it
 * may still read there is zeroes, never a fault.
 * PEER_MAP: addr and len page aligned, 0 < len <= MXN_SHIM_PEER_MAP_MAX, in
 * the caller's address space (the one the shim will replace); out: id
 * (1 .. MXN_PAIRS_MAX, -EMFILE beyond).  PEER_UNMAP (the id as argument):
 * forget the range, before unmapping it (closing the file forgets all).
 */
struct mxn_shim_peer_map {
	uint64_t addr;            /* in */
	uint64_t len;             /* in */
	uint32_t id;              /* out */
	uint32_t pad0;
	uint64_t pad1;
};
_Static_assert(sizeof(struct mxn_shim_peer_map) == 32, "mxn_shim_peer_map");
#define MXN_SHIM_PEER_MAP_MAX ((MXN_PAGE_SIZE / 4u) * MXN_PAGE_SIZE) /* a directory page of refs */
#define MYRIXEN_IOC_PEER_MAP _IOWR(MYRIXEN_IOC_MAGIC, 12, struct mxn_shim_peer_map)
#define MYRIXEN_IOC_PEER_UNMAP _IO(MYRIXEN_IOC_MAGIC, 13)

#endif /* MYRIXEN_SHIM_H */
