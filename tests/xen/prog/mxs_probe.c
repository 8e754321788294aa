/* SPDX-License-Identifier: MIT */
/*
 * mxs_probe: drives /dev/myrixen directly (no libmyrixen) inside a domU.
 *   mxs_probe open [EXPECT_ERRNO]   open an endpoint, check the reply, the
 *                                   area header, mmap permissions, regions
 *   mxs_probe wake                  + WAKE command -> WAKE event via myribackd
 *   mxs_probe hostile               + scribble over the command ring indices:
 *                                   the daemon must cut this guest off
 *   mxs_probe hold                  open, register a region, then sleep until
 *                                   killed (the domain gets destroyed)
 * Prints "MXS-PROBE: ..." lines; exit 0 when every check held.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <myrixen/layout.h>
#include <myrixen/ring.h>
#include <myrixen/shim.h>

static int failures;

#define CHECK(cond, ...)                                         \
	do {                                                     \
		if (cond) {                                      \
			printf("MXS-PROBE: ok: " __VA_ARGS__);   \
		} else {                                         \
			printf("MXS-PROBE: FAIL: " __VA_ARGS__); \
			failures++;                              \
		}                                                \
		printf("\n");                                    \
	} while (0)

struct probe {
	int fd;
	struct mxn_open_rsp rsp;
	struct mxn_layout lay;
	uint8_t *area;
	struct mxn_ring cmd, evt;
};

static int probe_open(struct probe *p)
{
	struct mxn_shim_open op = { .req = { .abi_version = MYRIXEN_ABI_VERSION,
					     .key = 0x1234, .endpoint = MXN_ENDPOINT_ANY } };

	p->fd = open(MXN_SHIM_DEVICE, O_RDWR | O_CLOEXEC);
	if (p->fd < 0)
		return -errno;
	if (ioctl(p->fd, MYRIXEN_IOC_OPEN, &op) < 0)
		return -errno;
	p->rsp = op.rsp;
	printf("MXS-PROBE: open: endpoint %u session %u nic %llu medium %u host '%s' area %u\n",
	       p->rsp.endpoint, p->rsp.session, (unsigned long long)p->rsp.nic_id,
	       p->rsp.medium_max, p->rsp.hostname, p->rsp.area_size);
	return 0;
}

/* Whole area read-only, then the guest-writable parts writable on top. */
static void probe_map(struct probe *p)
{
	const struct mxn_area_hdr *h;
	void *m;

	p->area = mmap(NULL, p->rsp.area_size, PROT_READ, MAP_SHARED, p->fd, 0);
	CHECK(p->area != MAP_FAILED, "mmap whole area read-only");
	if (p->area == MAP_FAILED)
		exit(1);
	h = (const void *)p->area;
	CHECK(h->magic == MYRIXEN_AREA_MAGIC && h->abi_version == MYRIXEN_ABI_VERSION &&
	      h->area_size == p->rsp.area_size, "area header magic/version/size");
	CHECK(mxn_layout_compute(&p->lay, h->cmd_order, h->evt_order, h->sendq_size,
				 h->recvq_size) == 0 && p->lay.area_size == h->area_size &&
	      p->lay.recvq_off == h->recvq_off, "area header geometry follows layout.h");
	m = mmap(p->area + p->lay.cmd_ctl_off, p->lay.evt_ring_off - p->lay.cmd_ctl_off,
		 PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, p->fd, p->lay.cmd_ctl_off);
	CHECK(m != MAP_FAILED, "ctl page + command ring writable");
	m = mmap(p->area + p->lay.sendq_off, p->lay.sendq_size, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, p->fd, p->lay.sendq_off);
	CHECK(m != MAP_FAILED, "sendq writable");
	m = mmap(NULL, p->lay.recvq_size, PROT_READ | PROT_WRITE, MAP_SHARED, p->fd,
		 p->lay.recvq_off);
	CHECK(m == MAP_FAILED && errno == EACCES, "recvq refuses a writable mapping");
	m = mmap(NULL, MXN_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, p->fd,
		 p->lay.evt_ring_off);
	CHECK(m == MAP_FAILED && errno == EACCES, "event ring refuses a writable mapping");
	m = mmap(NULL, MXN_PAGE_SIZE, PROT_READ, MAP_SHARED, p->fd, p->lay.evt_ring_off);
	CHECK(m != MAP_FAILED && mprotect(m, MXN_PAGE_SIZE, PROT_READ | PROT_WRITE) < 0,
	      "event ring cannot be mprotect()ed writable");
	mxn_ring_init(&p->cmd, (void *)(p->area + p->lay.cmd_ctl_off), p->lay.cmd_order);
	mxn_ring_init(&p->evt, (void *)(p->area + p->lay.evt_ctl_off), p->lay.evt_order);
}

static void probe_region(struct probe *p)
{
	size_t len = 3 * 4096 + 200;
	uint8_t *buf = aligned_alloc(4096, 5 * 4096);
	struct mxn_vaddr_seg v[2] = { { (uintptr_t)(buf + 100), len - 100 },
				      { (uintptr_t)buf, 10 } };
	struct mxn_grant_seg g[16];
	struct mxn_shim_region r = { .vsegs = (uintptr_t)v, .gsegs = (uintptr_t)g,
				     .nvsegs = 2, .max_gsegs = 16 };
	uint32_t total = 0, i;

	memset(buf, 0x5a, 5 * 4096);
	CHECK(ioctl(p->fd, MYRIXEN_IOC_REG_REGION, &r) == 0, "register a 2-segment region");
	for (i = 0; i < r.ngsegs; i++)
		total += g[i].len;
	CHECK(r.ngsegs == 5 && g[0].offset == 100 && g[0].len == 3996 && g[4].len == 10 &&
	      total == len - 100 + 10, "grant segments: %u segs, %u bytes", r.ngsegs, total);
	CHECK(ioctl(p->fd, MYRIXEN_IOC_DEREG_REGION, &r.handle) == 0, "deregister it");
	CHECK(ioctl(p->fd, MYRIXEN_IOC_DEREG_REGION, &r.handle) < 0 && errno == ENOENT,
	      "deregistering twice is refused");
	r.max_gsegs = 2;
	CHECK(ioctl(p->fd, MYRIXEN_IOC_REG_REGION, &r) < 0 && errno == E2BIG,
	      "a segment list that does not fit is refused");
	free(buf);
}

/* Wait for the next event: arm, final check, then sleep on the doorbell. */
static int probe_next_event(struct probe *p, struct mxn_evt *out, int timeout_ms)
{
	const struct mxn_evt *slots = (const void *)(p->area + p->lay.evt_ring_off);
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
	uint64_t n;

	for (;;) {
		if (mxn_ring_peek_prod(&p->evt) != p->evt.cons_pvt) {
			*out = slots[p->evt.cons_pvt & p->evt.mask];
			p->evt.cons_pvt++;
			mxn_ring_release(&p->evt);
			return 0;
		}
		if (mxn_ring_arm(&p->evt))
			continue;
		if (poll(&pfd, 1, timeout_ms) <= 0)
			return -ETIMEDOUT;
		if (pfd.revents & POLLHUP)
			return -ENOTCONN;
		if (read(p->fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
			return -errno;
	}
}

static void probe_post(struct probe *p, const struct mxn_cmd *c)
{
	struct mxn_cmd *slots = (void *)(p->area + p->lay.cmd_ring_off);

	slots[p->cmd.prod_pvt & p->cmd.mask] = *c;
	p->cmd.prod_pvt++;
	if (mxn_ring_push(&p->cmd))
		CHECK(ioctl(p->fd, MYRIXEN_IOC_NOTIFY) == 0, "notify the daemon");
}

static void probe_wake(struct probe *p)
{
	struct mxn_cmd c = { .op = MXN_CMD_WAKE, .cookie = 0xfeed };
	struct mxn_evt e;
	int err;

	probe_post(p, &c);
	err = probe_next_event(p, &e, 10000);
	CHECK(err == 0 && e.type == MXN_EVT_WAKE, "WAKE answered (err %d type %u)", err,
	      err ? 0 : e.type);
}

static void probe_hostile(struct probe *p)
{
	struct mxn_ring_ctl *ctl = (void *)(p->area + p->lay.cmd_ctl_off);
	struct mxn_evt e;
	int err;

	/* prod 1000 slots ahead of cons: impossible for any ring size */
	__atomic_store_n(&ctl->prod, ctl->cons + 100000u, __ATOMIC_RELEASE);
	CHECK(ioctl(p->fd, MYRIXEN_IOC_NOTIFY) == 0, "notify with a corrupt ring");
	err = probe_next_event(p, &e, 10000);
	CHECK(err == 0 && e.type == MXN_EVT_GUEST_ERROR, "cut off with GUEST_ERROR (err %d)", err);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "open";
	struct probe p = { .fd = -1 };
	int err, want = argc > 2 ? atoi(argv[2]) : 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	err = probe_open(&p);
	if (want) {
		CHECK(err == -want, "open fails with errno %d (got %d)", want, -err);
		return failures != 0;
	}
	CHECK(err == 0, "open an endpoint (%s)", strerror(-err));
	if (err)
		return 1;
	probe_map(&p);
	probe_region(&p);
	if (!strcmp(mode, "wake"))
		probe_wake(&p);
	if (!strcmp(mode, "hostile"))
		probe_hostile(&p);
	if (!strcmp(mode, "hold")) {
		probe_wake(&p);
		printf("MXS-PROBE: holding the endpoint\n");
		pause();
	}
	close(p.fd);
	printf("MXS-PROBE: %s %s\n", mode, failures ? "FAILED" : "PASSED");
	return failures != 0;
}
