/* SPDX-License-Identifier: MIT */
/*
 * Xen pair channels, the guest's half (include/myrixen/pair.h "Xen"): the
 * area of a pair of endpoints in two guests of one host lives in side 0's
 * pages, granted to side 1's domain; one interdomain event channel is the
 * bell of both directions.  The pages are the guest kernel's standard
 * devices' (xen-gntalloc grants our pages, xen-gntdev maps a peer's), as
 * libxenvchan does: a PV guest can only put a foreign page into a
 * process's page tables through gntdev's PTE-level mapping, which we do
 * not duplicate in the shim.  The bell is the shim's (MYRIXEN_IOC_BELL_*,
 * shim/bell.c) when it offers it: it survives a restore of this guest
 * without the kernel BUG a port bound through /dev/xen/evtchn trips
 * (lib/README.md), and its rings wake the endpoint's own file.  With an
 * older shim the port is bound through xen-evtchn, as before.  Without
 * those devices (modules not loaded, or the process may not open them)
 * the set-up is declined and the pair keeps going through the daemon.
 *
 * Side 1 maps the peer's pages, which a guest cannot keep mapped across a
 * save or a migration (the toolstack leaves out the page table that holds
 * them and the restored process dies of SIGBUS: include/myrixen/shim.h
 * MYRIXEN_IOC_PEER_MAP).  So side 1 registers its mapping with the shim,
 * which replaces it by zeroes when the guest suspends; a shim that cannot
 * do that gets the set-up declined (the pair stays on the daemon path).
 *
 * The daemon chose the peer domain (e->u.xpair.peer_domid): we grant to no
 * one else and map from no one else.  Every ref read from the peer's
 * directory page is copied, then checked (mxn_gref_ok); the hypervisor
 * checks that each was granted to us.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
/* linux-libc-dev's Xen device headers use the hypervisor's type names. */
typedef uint16_t domid_t;
typedef uint32_t grant_ref_t;
#include <xen/evtchn.h>
#include <xen/gntalloc.h>
#include <xen/gntdev.h>
#include "myrixen/shim.h"
#include "transport_xen.h"

#define XP_GNTALLOC "/dev/xen/gntalloc"
#define XP_GNTDEV "/dev/xen/gntdev"
#define XP_EVTCHN "/dev/xen/evtchn"

struct xpair {
	int gfd;                  /* gntalloc (side 0) or gntdev (side 1) */
	int efd;                  /* xen-evtchn, one port (no shim bell) */
	int sfd;                  /* the endpoint's /dev/myrixen (shim bell), not ours */
	int mfd;                  /* the same file when it takes peer maps, else -1 */
	uint32_t bell;            /* the shim's bell id, 0 = none */
	uint32_t pmap;            /* the shim's id of our peer mapping, 0 = none */
	uint32_t port;            /* our end */
};

static int xp_open(const char *dev)
{
	int fd = open(dev, O_RDWR | O_CLOEXEC | O_NONBLOCK);

	return fd < 0 ? -errno : fd;
}

/* n pages of ours granted to dom (writable or not); their refs in refs[]. */
static int grant_pages(int gfd, uint16_t dom, uint32_t n, bool writable, uint32_t *refs,
		       uint64_t *index)
{
	struct ioctl_gntalloc_alloc_gref *a;
	size_t sz = sizeof(*a) + n * sizeof(a->gref_ids[0]);
	int err = 0;

	a = calloc(1, sz);
	if (!a)
		return -ENOMEM;
	a->domid = dom;
	a->flags = writable ? GNTALLOC_FLAG_WRITABLE : 0;
	a->count = n;
	if (ioctl(gfd, IOCTL_GNTALLOC_ALLOC_GREF, a) < 0)
		err = -errno;
	else {
		memcpy(refs, a->gref_ids, n * sizeof(*refs));
		*index = a->index;
	}
	free(a);
	return err;
}

static void *map_fd(int fd, uint32_t pages, int prot, uint64_t index)
{
	void *p = mmap(NULL, (size_t)pages * MXN_PAGE_SIZE, prot, MAP_SHARED, fd, (off_t)index);

	return p == MAP_FAILED ? NULL : p;
}

/* Through xen-evtchn (a shim without MXN_SHIMF_PAIR_BELL): remote_port 0
 * offers a port unbound for dom, else binds to dom's remote_port. */
static int bind_evtchn(struct xpair *x, uint16_t dom, uint32_t remote_port)
{
	int rc;

	x->efd = xp_open(XP_EVTCHN);
	if (x->efd < 0)
		return x->efd;
	if (!remote_port)
		rc = ioctl(x->efd, IOCTL_EVTCHN_BIND_UNBOUND_PORT,
			   &(struct ioctl_evtchn_bind_unbound_port){ .remote_domain = dom });
	else
		rc = ioctl(x->efd, IOCTL_EVTCHN_BIND_INTERDOMAIN,
			   &(struct ioctl_evtchn_bind_interdomain){ .remote_domain = dom,
								    .remote_port = remote_port });
	if (rc < 0)
		return -errno;
	x->port = (uint32_t)rc;
	return 0;
}

/* Our end of the bell, bound to dom's remote_port (0: offered to dom). */
static int bind_bell(struct xpair *x, uint16_t dom, uint32_t remote_port)
{
	struct mxn_shim_bell b;

	if (x->sfd < 0)
		return bind_evtchn(x, dom, remote_port);
	memset(&b, 0, sizeof(b));
	b.peer_domid = dom;
	b.remote_port = remote_port;
	if (ioctl(x->sfd, MYRIXEN_IOC_BELL_BIND, &b) < 0)
		return -errno;
	x->bell = b.id;
	x->port = b.port;
	return 0;
}

/* Side 0: the area and its directory page, granted to the peer. */
static int offer(struct xpair *x, const struct mxn_pair_xen *d, struct mxl_pair_chan *ch,
		 struct mxn_pair_xen *ans)
{
	uint32_t *refs = calloc(d->area_pages, sizeof(*refs));
	struct mxn_pair_hdr *h;
	uint64_t index = 0;
	void *dir = NULL;
	int err;

	if (!refs)
		return -ENOMEM;
	x->gfd = xp_open(XP_GNTALLOC);
	err = x->gfd;
	if (err < 0)
		goto out;
	err = grant_pages(x->gfd, d->peer_domid, d->area_pages, true, refs, &index);
	if (err)
		goto out;
	ch->area = map_fd(x->gfd, d->area_pages, PROT_READ | PROT_WRITE, index);
	if (!ch->area) {
		err = -errno;
		goto out;
	}
	ch->size = (size_t)d->area_pages * MXN_PAGE_SIZE;
	h = ch->area; /* informative (pair.h); the pages come zeroed */
	h->magic = MXN_PAIR_MAGIC;
	h->abi_version = MYRIXEN_ABI_VERSION;
	h->area_size = (uint32_t)ch->size;
	h->order = d->order;
	h->data_size = d->data_size;
	/* The directory: read-only to the peer; the grant outlives our
	 * mapping of it until the device file is closed. */
	err = grant_pages(x->gfd, d->peer_domid, 1, false, &ans->dir_ref, &index);
	if (err)
		goto out;
	dir = map_fd(x->gfd, 1, PROT_READ | PROT_WRITE, index);
	if (!dir) {
		err = -errno;
		goto out;
	}
	memcpy(dir, refs, d->area_pages * sizeof(*refs));
	munmap(dir, MXN_PAGE_SIZE);
	err = bind_bell(x, d->peer_domid, 0);
	ans->port = x->port;
out:
	free(refs);
	return err;
}

/* Side 1: the peer's refs out of its directory page, copied then checked. */
static int read_dir(struct xpair *x, const struct mxn_pair_xen *d, uint32_t *refs)
{
	struct ioctl_gntdev_map_grant_ref m = { .count = 1 };
	uint32_t *dir;
	int err = 0;

	m.refs[0].domid = d->peer_domid;
	m.refs[0].ref = d->dir_ref;
	if (ioctl(x->gfd, IOCTL_GNTDEV_MAP_GRANT_REF, &m) < 0)
		return -errno;
	dir = map_fd(x->gfd, 1, PROT_READ, m.index);
	if (!dir)
		err = -errno;
	else {
		memcpy(refs, dir, d->area_pages * sizeof(*refs));
		munmap(dir, MXN_PAGE_SIZE);
	}
	(void)ioctl(x->gfd, IOCTL_GNTDEV_UNMAP_GRANT_REF,
		    &(struct ioctl_gntdev_unmap_grant_ref){ .index = m.index, .count = 1 });
	for (uint32_t i = 0; !err && i < d->area_pages; i++)
		if (!mxn_gref_ok(refs[i]))
			err = -EPROTO;
	return err;
}

static int map_area(struct xpair *x, const struct mxn_pair_xen *d, const uint32_t *refs,
		    struct mxl_pair_chan *ch)
{
	struct ioctl_gntdev_map_grant_ref *m;
	uint32_t n = d->area_pages;
	int err = 0;

	m = calloc(1, sizeof(*m) + n * sizeof(m->refs[0]));
	if (!m)
		return -ENOMEM;
	m->count = n;
	for (uint32_t i = 0; i < n; i++) {
		m->refs[i].domid = d->peer_domid;
		m->refs[i].ref = refs[i];
	}
	if (ioctl(x->gfd, IOCTL_GNTDEV_MAP_GRANT_REF, m) < 0)
		err = -errno;
	else if (!(ch->area = map_fd(x->gfd, n, PROT_READ | PROT_WRITE, m->index)))
		err = -errno;
	else
		ch->size = (size_t)n * MXN_PAGE_SIZE;
	free(m);
	return err;
}

/* The shim replaces the mapping by zeroes when this guest suspends. */
static int register_map(struct xpair *x, const struct mxl_pair_chan *ch)
{
	struct mxn_shim_peer_map pm;

	memset(&pm, 0, sizeof(pm));
	pm.addr = (uint64_t)(uintptr_t)ch->area;
	pm.len = ch->size;
	if (ioctl(x->mfd, MYRIXEN_IOC_PEER_MAP, &pm) < 0)
		return -errno;
	x->pmap = pm.id;
	return 0;
}

static int map(struct xpair *x, const struct mxn_pair_xen *d, struct mxl_pair_chan *ch)
{
	uint32_t *refs = calloc(d->area_pages, sizeof(*refs));
	int err;

	if (!refs)
		return -ENOMEM;
	err = -EOPNOTSUPP; /* a suspend would kill us with the mapping */
	if (x->mfd < 0)
		goto out;
	x->gfd = xp_open(XP_GNTDEV);
	err = x->gfd;
	if (err < 0)
		goto out;
	err = read_dir(x, d, refs);
	if (!err)
		err = map_area(x, d, refs, ch);
	if (!err)
		err = register_map(x, ch);
	if (!err)
		err = bind_bell(x, d->peer_domid, d->port);
out:
	free(refs);
	return err;
}

int mxl_xen_pair_attach(struct mxl_transport *t, const struct mxn_evt *e,
			struct mxl_pair_chan *ch, struct mxn_pair_xen *ans)
{
	struct xpair *x = calloc(1, sizeof(*x));
	int err;

	if (!x)
		return -ENOMEM;
	x->gfd = x->efd = -1;
	x->sfd = mxl_xen_bell_fd(t);
	x->mfd = mxl_xen_peer_map_fd(t);
	ch->priv = x;
	ch->area = NULL;
	ch->rx_fd = -1;
	ch->shim_bell = x->sfd >= 0;
	if (e->type == MXN_EVT_PAIR_XEN_OFFER)
		err = offer(x, &e->u.xpair, ch, ans);
	else
		err = map(x, &e->u.xpair, ch);
	ch->rx_fd = x->efd; /* -1 with the shim's bell: the endpoint file rings */
	if (err)
		mxl_xen_pair_detach(t, ch);
	return err;
}

int mxl_xen_pair_ring(struct mxl_transport *t, struct mxl_pair_chan *ch)
{
	struct xpair *x = ch->priv;

	(void)t;
	if (x->bell) {
		/* -EPIPE: a restore of this guest ended the bell (shim.h) */
		if (ioctl(x->sfd, MYRIXEN_IOC_BELL_RING, (unsigned long)x->bell) < 0)
			return errno == EPIPE ? -EPIPE : 0;
		return 0;
	}
	(void)ioctl(x->efd, IOCTL_EVTCHN_NOTIFY, &(struct ioctl_evtchn_notify){ .port = x->port });
	return 0;
}

void mxl_xen_pair_detach(struct mxl_transport *t, struct mxl_pair_chan *ch)
{
	struct xpair *x = ch->priv;

	(void)t;
	/* The shim forgets the range before it is unmapped (or reused). */
	if (x && x->pmap)
		(void)ioctl(x->mfd, MYRIXEN_IOC_PEER_UNMAP, (unsigned long)x->pmap);
	if (ch->area)
		munmap(ch->area, ch->size);
	ch->area = NULL;
	if (!x)
		return;
	/* Closing gntalloc ends our grants (the hypervisor keeps the pages
	 * until the peer unmaps); closing gntdev unmaps the peer's. */
	if (x->gfd >= 0)
		close(x->gfd);
	if (x->efd >= 0)
		close(x->efd);
	if (x->bell) /* the shim frees the IRQ by number, even after a restore */
		(void)ioctl(x->sfd, MYRIXEN_IOC_BELL_UNBIND, (unsigned long)x->bell);
	free(x);
	ch->priv = NULL;
	ch->rx_fd = -1;
}

/* A watched port fired: the driver masked it; take the notifications and
 * unmask, so the next ring wakes us again. */
void mxl_xen_bell_ack(int fd)
{
	uint32_t ports[16];
	ssize_t n = read(fd, ports, sizeof(ports));

	if (n > 0)
		(void)!write(fd, ports, (size_t)n - (size_t)n % sizeof(ports[0]));
}
