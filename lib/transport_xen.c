/* SPDX-License-Identifier: MIT */
/*
 * Xen transport: the endpoint is an open file of /dev/myrixen (shim/).  The
 * shim grants the area to dom0 and runs the xenstore handshake during
 * MYRIXEN_IOC_OPEN; we map the area (read-only, with the guest-written
 * parts mapped writable on top), kick with MYRIXEN_IOC_NOTIFY and sleep on
 * the file, which behaves like the local transport's irq eventfd (the
 * bells of pair channels ring it too when the shim binds them).  Regions
 * are user pages pinned and granted by the shim (MXN_REGION_GRANT), one
 * MXN_RNDV_WINDOW of a larger message at a time (issue.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "myrixen/layout.h"
#include "myrixen/shim.h"
#include "transport_xen.h"

struct mxl_xen {
	int fd;
	bool dead;
	bool shim_bell;             /* the shim binds pair bells (MXN_SHIMF_PAIR_BELL) */
	bool peer_maps;             /* ... and drops peer mappings at a suspend */
	uint32_t nwatch;
	int watch[MXN_PAIRS_MAX];   /* pair bells (xen-evtchn fds), without shim_bell */
};

static int xen_map_range(struct mxl_transport *t, int fd, uint32_t off, uint32_t len)
{
	void *p = mmap((uint8_t *)t->area + off, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_FIXED, fd, off);

	return p == MAP_FAILED ? -errno : 0;
}

/* Whole area read-only, then the control page + command ring and the sendq
 * writable at the same addresses (the shim refuses writable mappings of
 * the header, the event ring and the recvq). */
static int xen_map_area(struct mxl_transport *t, int fd, uint32_t area_size)
{
	const struct mxn_area_hdr *h;
	struct mxn_layout l;
	void *p;
	int err;

	p = mmap(NULL, area_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	t->area = p;
	t->area_size = area_size;
	h = p;
	if (h->magic != MYRIXEN_AREA_MAGIC || h->area_size != area_size ||
	    mxn_layout_compute(&l, h->cmd_order, h->evt_order, h->sendq_size, h->recvq_size) ||
	    l.area_size != area_size)
		return -EPROTO;
	err = xen_map_range(t, fd, l.cmd_ctl_off, l.evt_ring_off - l.cmd_ctl_off);
	if (!err)
		err = xen_map_range(t, fd, l.sendq_off, l.sendq_size);
	return err;
}

/* What the shim offers: an older one knows no FEATURES call (-ENOTTY), and
 * its pair bells go through /dev/xen/evtchn (transport_xen_pair.c). */
static void xen_features(struct mxl_xen *x)
{
	struct mxn_shim_features f;

	memset(&f, 0, sizeof(f));
	if (ioctl(x->fd, MYRIXEN_IOC_FEATURES, &f) < 0)
		f.features = 0;
	x->shim_bell = (f.features & MXN_SHIMF_PAIR_BELL) &&
		       mxl_env_u32("MYRIXEN_XEN_SHIM_BELL", 1) != 0;
	x->peer_maps = (f.features & MXN_SHIMF_PEER_MAPS) != 0;
}

static int xen_open(struct mxl_transport *t, const struct mxn_open_req *req,
		    struct mxn_open_rsp *rsp)
{
	struct mxn_shim_open op;
	struct mxl_xen *x = calloc(1, sizeof(*x));

	if (!x)
		return -ENOMEM;
	t->priv = x;
	x->fd = open(MXN_SHIM_DEVICE, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (x->fd < 0)
		return -errno;
	memset(&op, 0, sizeof(op));
	op.req = *req;
	if (ioctl(x->fd, MYRIXEN_IOC_OPEN, &op) < 0) {
		*rsp = op.rsp;
		return -errno;
	}
	*rsp = op.rsp;
	xen_features(x);
	return xen_map_area(t, x->fd, rsp->area_size);
}

int mxl_xen_bell_fd(struct mxl_transport *t)
{
	struct mxl_xen *x = t->priv;

	return x && x->shim_bell ? x->fd : -1;
}

int mxl_xen_peer_map_fd(struct mxl_transport *t)
{
	struct mxl_xen *x = t->priv;

	return x && x->peer_maps ? x->fd : -1;
}

static int xen_kick(struct mxl_transport *t)
{
	struct mxl_xen *x = t->priv;

	if (ioctl(x->fd, MYRIXEN_IOC_NOTIFY) < 0) {
		if (errno == ENOTCONN)
			x->dead = true;
		return -errno;
	}
	return 0;
}

/* A pair's bell (xen-evtchn fd) wakes wait() too.  A bell the shim owns
 * needs no watch: its rings are the endpoint file's doorbell. */
static int xen_watch(struct mxl_transport *t, int fd, bool on)
{
	struct mxl_xen *x = t->priv;
	uint32_t i;

	for (i = 0; i < x->nwatch && x->watch[i] != fd; i++)
		;
	if (!on) {
		if (i < x->nwatch)
			x->watch[i] = x->watch[--x->nwatch];
		return 0;
	}
	if (i < x->nwatch)
		return 0;
	if (x->nwatch == MXN_PAIRS_MAX)
		return -ENOSPC;
	x->watch[x->nwatch++] = fd;
	return 0;
}

static int xen_wait(struct mxl_transport *t, int timeout_ms, int extra_fd)
{
	struct mxl_xen *x = t->priv;
	struct pollfd p[2 + MXN_PAIRS_MAX] = { { .fd = x->fd, .events = POLLIN },
					       { .fd = extra_fd, .events = POLLIN } };
	uint64_t count;
	int n, res = 0;

	for (uint32_t i = 0; i < x->nwatch; i++)
		p[2 + i] = (struct pollfd){ .fd = x->watch[i], .events = POLLIN };
	n = poll(p, 2 + x->nwatch, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	if (p[0].revents & POLLIN) {
		(void)!read(x->fd, &count, sizeof(count)); /* non-blocking: clears */
		res |= MXL_WAIT_IRQ;
	}
	if (p[0].revents & (POLLHUP | POLLERR)) {
		x->dead = true;
		res |= MXL_WAIT_DEAD;
	}
	if (extra_fd >= 0 && (p[1].revents & POLLIN))
		res |= MXL_WAIT_WAKE;
	for (uint32_t i = 0; i < x->nwatch; i++)
		if (p[2 + i].revents & POLLIN) {
			mxl_xen_bell_ack(p[2 + i].fd);
			res |= MXL_WAIT_IRQ;
		}
	return res;
}

static bool xen_dead(struct mxl_transport *t)
{
	struct mxl_xen *x = t->priv;
	struct pollfd p = { .fd = x->fd, .events = POLLIN };

	if (!x->dead && poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR)))
		x->dead = true;
	return x->dead;
}

/* The shim cut us off (backend restart, guest restore): ask it to hand the
 * same area to the backend that is there now.  A restarting daemon may
 * take a while (MYRIXEN_REATTACH_MS, default 60 s, 0 = never re-attach). */
static int xen_reattach(struct mxl_transport *t, struct mxn_open_rsp *rsp, bool *regions_lost)
{
	struct mxl_xen *x = t->priv;
	uint64_t limit = mxl_env_u32("MYRIXEN_REATTACH_MS", 60000);
	uint64_t end = mxl_now_ns() + limit * 1000000ull;
	struct mxn_shim_reattach ra;
	uint64_t count;
	int err;

	if (!limit)
		return -ENOTCONN;
	for (;;) {
		memset(&ra, 0, sizeof(ra));
		ra.timeout_ms = 2000;
		if (ioctl(x->fd, MYRIXEN_IOC_REATTACH, &ra) == 0)
			break;
		err = -errno;
		if (err != -ENOTCONN && err != -ETIMEDOUT && err != -EINTR)
			return err;
		if (mxl_now_ns() >= end)
			return err;
	}
	(void)!read(x->fd, &count, sizeof(count)); /* stale doorbell counts */
	x->dead = false;
	*rsp = ra.rsp;
	*regions_lost = (ra.flags & MXN_SHIM_REATTACH_REGRANTED) != 0;
	return 0;
}

static uint64_t xen_iov_pages(const struct mxl_iov *v)
{
	uintptr_t a = (uintptr_t)v->base;

	if (!v->len)
		return 0;
	return ((a + v->len - 1) / MXN_PAGE_SIZE) - (a / MXN_PAGE_SIZE) + 1;
}

static uint32_t xen_region_size(struct mxl_transport *t, const struct mxl_iov *iov,
				uint32_t niov)
{
	uint64_t pages = 0;
	uint32_t i;

	(void)t;
	for (i = 0; i < niov; i++)
		pages += xen_iov_pages(&iov[i]);
	if (pages > MXN_REGION_GRANT_SEGS_MAX)
		pages = MXN_REGION_GRANT_SEGS_MAX + 1; /* region() then says -E2BIG */
	return (uint32_t)(sizeof(struct mxn_region_desc) + pages * sizeof(struct mxn_grant_seg));
}

static int xen_region(struct mxl_transport *t, const struct mxl_iov *iov, uint32_t niov,
		      void *buf, uint32_t cap, uint32_t *len, void **handle)
{
	struct mxl_xen *x = t->priv;
	struct mxn_vaddr_seg v[MXN_REGION_VADDR_SEGS_MAX];
	struct mxn_region_desc desc = { .kind = MXN_REGION_GRANT };
	struct mxn_shim_region r;
	uint32_t i, nv = 0;

	*handle = NULL;
	if (cap < sizeof(desc))
		return -E2BIG;
	for (i = 0; i < niov; i++) {
		if (!iov[i].len)
			continue;
		if (nv == MXN_REGION_VADDR_SEGS_MAX)
			return -E2BIG;
		v[nv].addr = (uintptr_t)iov[i].base;
		v[nv].len = iov[i].len;
		desc.total_len += iov[i].len;
		nv++;
	}
	if (!nv) {
		/* the empty region: nothing to grant */
		memcpy(buf, &desc, sizeof(desc));
		*len = sizeof(desc);
		return 0;
	}
	memset(&r, 0, sizeof(r));
	r.vsegs = (uintptr_t)v;
	r.gsegs = (uintptr_t)((uint8_t *)buf + sizeof(desc));
	r.nvsegs = nv;
	r.max_gsegs = (cap - (uint32_t)sizeof(desc)) / (uint32_t)sizeof(struct mxn_grant_seg);
	if (ioctl(x->fd, MYRIXEN_IOC_REG_REGION, &r) < 0) {
		/* read-only memory (a const send buffer): grant it read-only */
		if (errno != EFAULT)
			return -errno;
		r.flags = MXN_SHIM_REGION_READONLY;
		if (ioctl(x->fd, MYRIXEN_IOC_REG_REGION, &r) < 0)
			return -errno;
	}
	desc.nsegs = r.ngsegs;
	memcpy(buf, &desc, sizeof(desc));
	*len = (uint32_t)(sizeof(desc) + r.ngsegs * sizeof(struct mxn_grant_seg));
	*handle = (void *)(uintptr_t)r.handle; /* the shim never hands out 0 */
	return 0;
}

static void xen_region_release(struct mxl_transport *t, void *handle)
{
	struct mxl_xen *x = t->priv;
	uint32_t h = (uint32_t)(uintptr_t)handle;

	if (x && h)
		(void)ioctl(x->fd, MYRIXEN_IOC_DEREG_REGION, &h);
}

static void xen_close(struct mxl_transport *t)
{
	struct mxl_xen *x = t->priv;

	if (t->area)
		munmap(t->area, t->area_size);
	t->area = NULL;
	if (!x)
		return;
	if (x->fd >= 0)
		close(x->fd); /* the shim revokes grants, unpins, closes the port */
	free(x);
	t->priv = NULL;
}

const struct mxl_transport_ops mxl_transport_xen = {
	.name = "xen",
	.open = xen_open,
	.kick = xen_kick,
	.wait = xen_wait,
	.dead = xen_dead,
	.region_size = xen_region_size,
	.region = xen_region,
	.region_release = xen_region_release,
	.region_window = MXN_RNDV_WINDOW,
	.reattach = xen_reattach,
	.close = xen_close,
	.watch = xen_watch,
	.pair_attach = mxl_xen_pair_attach,
	.pair_ring = mxl_xen_pair_ring,
	.pair_detach = mxl_xen_pair_detach,
};
