/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * myrixen guest shim: private declarations.
 *
 * One xenbus device (device/myrixen/0) per guest carries the connection to
 * myribackd; every open file of /dev/myrixen is one endpoint whose area is
 * granted page by page to the backend domain.  The xenstore protocol is in
 * shim/README.md.  Error convention: functions return 0 or -errno.
 */
#ifndef MXS_H
#define MXS_H

#include <linux/interrupt.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/xarray.h>
#include <xen/grant_table.h>
#include <xen/xenbus.h>
#include <myrixen/abi.h>
#include <myrixen/layout.h>
#include <myrixen/pair.h>
#include <myrixen/shim.h>

#define MXS_SLOTS_MAX 256u           /* per-guest endpoint slots in xenstore */
#define MXS_REFS_PER_DIR_PAGE (PAGE_SIZE / sizeof(u32))
#define MXS_DIR_PAGES_MAX 16u        /* 16 x 1024 area pages = 64 MiB */
#define MXS_OPEN_TIMEOUT_MS 10000u

/* module parameters (main.c) */
extern unsigned int mxs_max_endpoints;
extern unsigned int mxs_cmd_order, mxs_evt_order;
extern unsigned int mxs_sendq_kb, mxs_recvq_kb;
extern unsigned int mxs_max_pinned_mb;

/* The xenbus connection (front.c).  Protected by mxs_front.lock. */
struct mxs_front {
	struct mutex lock;
	struct xenbus_device *xdev;   /* NULL while no device is probed */
	bool connected;               /* backend Connected, ep watch armed */
	u32 conn_gen;                 /* bumps on every (re)connection */
	struct list_head eps;         /* struct mxs_ep, open ones */
	DECLARE_BITMAP(slots, MXS_SLOTS_MAX);
	struct xenbus_watch ep_watch; /* <backend>/ep: open replies */
	bool watching;
	atomic_t ep_seq;              /* bumps on every ep_watch event */
	wait_queue_head_t ep_wq;
	u32 nonce;
	u32 grant_gen;                /* bumps on every restore: grants are void */
	u32 reattaches;               /* endpoints handed to a new backend */
	u32 resumes;                  /* restores (xenbus .resume) */
	u32 backend_waits;            /* resumes that found no device yet (front.c) */
	struct list_head bells;       /* struct mxs_bell, every bound pair bell */
	u32 bells_bound;              /* pair bells bound (bell.c) */
	u32 bells_broken;             /* ... ended by a suspend or a resume */
	struct list_head peer_maps;   /* struct mxs_peer_map, every one (peermap.c) */
	u32 peer_maps_added;          /* ranges registered (MYRIXEN_IOC_PEER_MAP) */
	u32 peer_maps_dropped;        /* ... replaced by zeroes at a suspend */
	u32 peer_maps_failed;         /* ... that could not be (left mapped) */
};
extern struct mxs_front mxs_front;

struct mxs_region {
	u32 handle;
	unsigned int npages;
	struct page **pages;
	grant_ref_t *grefs;
};

/* One endpoint = one open file (endpoint.c). */
struct mxs_ep {
	struct mutex lock;            /* serialises ioctls on this file */
	struct list_head link;        /* in mxs_front.eps while attached */
	bool opened;
	atomic_t dead;                /* backend gone: waits return -ENOTCONN */
	int slot;
	u32 nonce, conn_gen;
	u32 grant_gen;                /* mxs_front.grant_gen when the area was granted */
	struct mxn_open_req req;      /* the open request, for re-attaching */
	char fe_node[96];             /* <frontend>/ep/<slot> */
	struct mxn_layout lay;
	struct mxn_open_rsp rsp;
	unsigned int npages;
	struct page **pages;
	grant_ref_t *grefs;
	unsigned int ndir;
	struct page *dir[MXS_DIR_PAGES_MAX];
	grant_ref_t dir_grefs[MXS_DIR_PAGES_MAX];
	evtchn_port_t port;
	int irq;
	domid_t backend_id;
	wait_queue_head_t wq;
	atomic_t irqs;                /* event-channel interrupts */
	atomic_t irqs_seen;           /* ... already reported by read() */
	struct xarray regions;        /* handle -> struct mxs_region */
	struct xarray bells;          /* id -> struct mxs_bell (bell.c) */
	spinlock_t bell_lock;         /* a ring against its bell's IRQ going */
	struct xarray peer_maps;      /* id -> struct mxs_peer_map (peermap.c) */
	u32 next_handle;
	unsigned long pinned_pages;
};

/* A Xen pair channel's bell, bound for an endpoint (bell.c). */
struct mxs_bell {
	struct list_head link;        /* in mxs_front.bells */
	struct mxs_ep *ep;
	int irq;                      /* -1 once freed; under ep->bell_lock */
	evtchn_port_t port;
	u32 id;
};

int mxs_front_register(void);
void mxs_front_unregister(void);
/* Called with mxs_front.lock held: the backend went away. */
void mxs_ep_mark_dead_locked(struct mxs_ep *ep);

int mxs_ep_open(struct mxs_ep *ep, struct mxn_shim_open *op);
int mxs_ep_reattach(struct mxs_ep *ep, struct mxn_shim_reattach *ra);
void mxs_ep_release(struct mxs_ep *ep);
int mxs_ep_mmap(struct mxs_ep *ep, struct vm_area_struct *vma);
int mxs_ep_wait(struct mxs_ep *ep, const struct mxn_shim_wait *w);
ssize_t mxs_ep_read_irqs(struct mxs_ep *ep, u64 __user *out, bool nonblock);
__poll_t mxs_ep_poll(struct mxs_ep *ep);
irqreturn_t mxs_ep_irq(int irq, void *data);

int mxs_bell_bind(struct mxs_ep *ep, struct mxn_shim_bell *bb);
int mxs_bell_ring(struct mxs_ep *ep, unsigned long id);
int mxs_bell_unbind(struct mxs_ep *ep, unsigned long id);
void mxs_bell_release_all(struct mxs_ep *ep);
/* Called with mxs_front.lock held: the guest suspends or was restored. */
void mxs_bells_break_locked(void);

int mxs_peer_map_add(struct mxs_ep *ep, struct mxn_shim_peer_map *pm);
int mxs_peer_map_del(struct mxs_ep *ep, unsigned long id);
void mxs_peer_map_release_all(struct mxs_ep *ep);
/* The guest suspends (processes frozen); without mxs_front.lock. */
void mxs_peer_maps_drop(void);

int mxs_region_register(struct mxs_ep *ep, struct mxn_shim_region *r);
int mxs_region_deregister(struct mxs_ep *ep, u32 handle);
void mxs_region_release_all(struct mxs_ep *ep);

extern const struct file_operations mxs_fops;

#endif /* MXS_H */
