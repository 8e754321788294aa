/* SPDX-License-Identifier: MIT */
/*
 * Local transport: memfd areas + eventfd doorbells over a UNIX socket.
 *
 * Restarts: each open is recorded (index, session, uid, pid, start time) in
 * a claims file beside the socket (local_claims.h); stopping keeps the
 * records and writes nothing more into the areas, so the libraries find
 * their rings as they left them.  The next daemon loads the records of
 * processes still alive, keeps their indices for MXD_LOCAL_REATTACH_S, and
 * lets exactly those processes re-attach (struct mxn_reattach_req: the area
 * memfd they hold, the session they had).
 */
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/futex.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>
#include "copy_pool.h"
#include "fdpass.h"
#include "core.h"
#include "log.h"
#include "principal.h"
#include "copy_bounded.h"
#include "local_claims.h"
#include "transport_local.h"
#include "unix_listen.h"

/* A connection that has not sent its open request by then is dropped. */
#define MXD_LOCAL_OPEN_TIMEOUT_S 5.
/* A mediated copy that has not finished by then fails alone (copy_pool.h). */
#define MXD_LOCAL_COPY_TIMEOUT_S 2.
/* After a restart, an index stays kept for its holder this long (the
 * library's own bound, MYRIXEN_REATTACH_MS, defaults to the same). */
#define MXD_LOCAL_REATTACH_S 60.

struct local_conn {
	struct mxd_local *l;
	ev_io sock_w, kick_w;
	ev_timer open_w;            /* a connection must ask to open in time */
	int sock, memfd, kickfd, irqfd;
	struct mxd_principal *who;  /* the process that connected, as it was */
	pid_t pid;
	uid_t uid;
	bool refused;               /* not admitted: the open gets -EACCES */
	bool keep_claim;            /* a re-attach its holder never heard of */
	void *area;
	size_t area_len;
	struct mxd_endpoint *ep;
	LIST_ENTRY(local_conn) link;
};

struct mxd_local {
	struct mxd_core *core;
	struct ev_loop *loop;
	ev_io listen_w;
	ev_timer pause_w;           /* listener paused while out of fds */
	int lfd;
	uid_t owner;                /* admitted besides root and the group */
	gid_t gid;                  /* the socket's group */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	LIST_HEAD(, local_conn) conns;
	struct mxd_copy_pool *copies;
	struct mxd_ratelimit rl;
	struct mxd_claims claims;   /* who holds which index (local_claims.h) */
	char claims_path[sizeof(((struct sockaddr_un *)0)->sun_path) + 8];
	ev_timer grace_w;           /* kept indices given up after a restart */
	bool stopping;              /* endpoints end with us: keep their claims */
	struct mxd_local_stats st;
};

static void conn_free(struct local_conn *cn)
{
	if (!cn)
		return;
	ev_io_stop(cn->l->loop, &cn->sock_w);
	ev_io_stop(cn->l->loop, &cn->kick_w);
	ev_timer_stop(cn->l->loop, &cn->open_w);
	LIST_REMOVE(cn, link);
	if (cn->area)
		munmap(cn->area, cn->area_len);
	if (cn->memfd >= 0)
		close(cn->memfd);
	if (cn->kickfd >= 0)
		close(cn->kickfd);
	if (cn->irqfd >= 0)
		close(cn->irqfd);
	mxd_principal_put(cn->who);
	if (cn->sock >= 0)
		close(cn->sock);
	free(cn);
}

/* ---- transport ops ---- */

/*
 * One syscall either way.  The library says how it sleeps in the event
 * ring's flags (MXN_RINGF_FUTEX: a futex wait on prod, lib/fbell.c), stored
 * before the fence of its arm; we read them after the fence of our push
 * (mxd_ep_publish), so a library that is going to sleep is seen with the
 * mode it sleeps in.  A library lying about it only misses its own wake-up.
 */
static int local_notify(struct mxd_endpoint *ep)
{
	struct local_conn *cn = ep->tp;
	uint64_t one = 1;

	if (atomic_load_explicit(MXN_ATOMIC(&ep->evt.ctl->flags), memory_order_relaxed) &
	    MXN_RINGF_FUTEX) {
		(void)syscall(SYS_futex, &ep->evt.ctl->prod, FUTEX_WAKE, 1, NULL, NULL, 0);
		return 0;
	}
	/* EAGAIN means the counter is saturated: the guest is woken anyway. */
	if (write(cn->irqfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return -errno;
	return 0;
}

/*
 * Every touch of a client's memory is done as the principal that opened the
 * endpoint (principal.h): the kernel refuses it once that process exec'd a
 * setuid program or became undumpable, and the pidfd/proc dir taken at
 * accept refuse an exited client whose pid was reused.  These run on the
 * loop (the wire engine's pull blocks), so they are bounded (copy_bounded.h):
 * memory whose fault never resolves stalls the loop once for the bound.
 */
static int local_region_read(struct mxd_endpoint *ep, const struct mxd_region *r, uint64_t off,
			     void *buf, size_t len)
{
	struct local_conn *cn = ep->tp;

	return mxd_bounded_copy(cn->who, r, off, buf, len, false);
}

static int local_region_write(struct mxd_endpoint *ep, const struct mxd_region *r,
			      uint64_t off, const void *buf, size_t len)
{
	struct local_conn *cn = ep->tp;

	/* The job copies buf before the write: it is only read. */
	return mxd_bounded_copy(cn->who, r, off, (void *)(uintptr_t)buf, len, true);
}

static int local_pull_owner_check(struct mxd_endpoint *ep)
{
	return mxd_principal_check(((struct local_conn *)ep->tp)->who);
}

/* Same uid and gid at open: the receiver's own process may read the
 * sender's memory (the kernel still checks, with its credentials). */
static int local_pull_direct(struct mxd_endpoint *src, struct mxd_endpoint *dst, uint32_t *pid)
{
	const struct mxd_principal *s = ((struct local_conn *)src->tp)->who;

	if (!mxd_principal_same(s, ((struct local_conn *)dst->tp)->who))
		return -EPERM;
	*pid = (uint32_t)s->pid;
	return 0;
}

static int local_pull_async(struct mxd_endpoint *src, const struct mxd_region *from,
			    struct mxd_endpoint *dst, const struct mxd_region *to, uint32_t len,
			    void *token, void **job)
{
	struct local_conn *s = src->tp, *d = dst->tp;

	return mxd_copy_start(d->l->copies, s->who, from, d->who, to, len, mxd_pull_async_done,
			      token, (struct mxd_copy_job **)job);
}

static void local_pull_cancel(void *job)
{
	mxd_copy_cancel(job);
}

/* ---- claims: who may re-attach after a restart ---- */

static void claims_store(struct mxd_local *l)
{
	int err = mxd_claims_save(l->claims_path, &l->claims);

	if (err)
		mxd_log_rl(&l->rl, MXD_LOG_WARNING,
			   "local: %s: %s (endpoints will not survive a restart)", l->claims_path,
			   strerror(-err));
}

static void claims_note(struct mxd_local *l, const struct local_conn *cn)
{
	uint64_t start;

	if (mxd_proc_start((uint32_t)cn->pid, &start))
		return; /* gone already: nothing to re-attach */
	l->claims.c[cn->ep->index] = (struct mxd_claim){ .session = cn->ep->session,
							 .uid = (uint32_t)cn->uid,
							 .pid = (uint32_t)cn->pid, .start = start };
	claims_store(l);
}

/* The holder closed (or was cut off): nobody may re-attach it.  A stopping
 * daemon keeps every record for the next one. */
static void claims_forget(struct mxd_local *l, const struct mxd_endpoint *ep)
{
	struct mxd_claim *c = &l->claims.c[ep->index];

	if (l->stopping || c->session != ep->session)
		return;
	memset(c, 0, sizeof(*c));
	claims_store(l);
}

/* The records of the previous daemon: kept for processes still alive (same
 * start time), their indices reserved until the grace timer. */
static void claims_load(struct mxd_local *l)
{
	uint64_t until = mxd_now_ns() + (uint64_t)(MXD_LOCAL_REATTACH_S * 1e9);
	int err = mxd_claims_load(l->claims_path, &l->claims);
	unsigned kept = 0;

	if (err)
		mxd_log(MXD_LOG_WARNING, "local: %s ignored: %s", l->claims_path, strerror(-err));
	for (unsigned i = 0; i < MXN_ENDPOINTS_MAX; i++) {
		struct mxd_claim *c = &l->claims.c[i];
		uint64_t start;

		if (!c->session)
			continue;
		if (mxd_proc_start(c->pid, &start) || start != c->start) {
			memset(c, 0, sizeof(*c));
			continue;
		}
		c->pending = true;
		mxd_core_reserve(l->core, (uint8_t)i, c->session, until);
		/* remote senders keep resending meanwhile (core.h) */
		mxd_core_quiet(l->core, (uint8_t)i, MXD_QUIET_MS);
		kept++;
	}
	l->st.claims_kept = kept;
	claims_store(l);
	if (kept) {
		mxd_log(MXD_LOG_NOTICE, "local: %u endpoint(s) kept for re-attach", kept);
		ev_timer_start(l->loop, &l->grace_w);
	}
}

static void grace_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct mxd_local *l = w->data;
	bool changed = false;

	(void)loop;
	(void)revents;
	for (unsigned i = 0; i < MXN_ENDPOINTS_MAX; i++) {
		struct mxd_claim *c = &l->claims.c[i];

		if (!c->session || !c->pending)
			continue;
		mxd_core_reserve(l->core, (uint8_t)i, 0, 0);
		memset(c, 0, sizeof(*c));
		l->st.claims_expired++;
		changed = true;
	}
	if (changed)
		claims_store(l);
}

/* A re-attach whose answer could not be sent (the holder gave up waiting
 * and will try again): still kept for the holder, as at start-up.  Its
 * record never left the claims file. */
static void claims_keep(struct mxd_local *l, const struct mxd_endpoint *ep)
{
	l->claims.c[ep->index].pending = true;
	l->st.eps_reattached--;
	mxd_core_reserve(l->core, ep->index, ep->session,
			 mxd_now_ns() + (uint64_t)(MXD_LOCAL_REATTACH_S * 1e9));
	if (!ev_is_active(&l->grace_w))
		ev_timer_start(l->loop, &l->grace_w);
}

static void local_destroy(struct mxd_endpoint *ep)
{
	struct local_conn *cn = ep->tp;

	if (cn->keep_claim)
		claims_keep(cn->l, ep);
	else
		claims_forget(cn->l, ep);
	conn_free(cn);
}

/* A sealed memfd for the channel, page 0 filled in (pair.h). */
static int pair_area(const struct mxn_pair_open *o)
{
	struct mxn_pair_hdr h = { .magic = MXN_PAIR_MAGIC, .abi_version = MYRIXEN_ABI_VERSION,
				  .area_size = o->area_size, .order = o->order,
				  .data_size = o->data_size };
	int fd = memfd_create("myrixen-pair", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return -errno;
	/* Neither side can shrink the area under the other's mapping. */
	if (ftruncate(fd, o->area_size) || pwrite(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/*
 * Two endpoints of one principal, both still the processes that opened
 * them: each side gets the other's pidfd and /proc/PID directory with its
 * half (pair.h "Rendezvous"), and may then read the other's rendezvous
 * itself.  Anything less keeps the plain hand-over.
 */
static bool pair_proc(const struct local_conn *ca, const struct local_conn *cb)
{
	const struct mxd_principal *a = ca->who, *b = cb->who;

	return a && b && mxd_principal_same(a, b) && a->id.pidfd >= 0 && b->id.pidfd >= 0 &&
	       a->id.procfd >= 0 && b->id.procfd >= 0 && !mxd_principal_check(a) &&
	       !mxd_principal_check(b);
}

/* One side's half: the channel, its bells, and the peer's process when
 * proc (the descriptors are the daemon's own, sent as they are). */
static int pair_send(const struct local_conn *to, const struct local_conn *peer,
		     const struct mxn_pair_open *o, int memfd, int rx, int tx, bool proc)
{
	struct mxn_pair_open h = *o;
	int fds[MXN_PAIR_OPEN_FDS_MAX] = { memfd, rx, tx };

	if (proc) {
		h.flags |= MXN_PAIR_OPENF_PROC;
		h.peer_pid = (uint32_t)peer->who->pid;
		fds[3] = peer->who->id.pidfd;
		fds[4] = peer->who->id.procfd;
	}
	return mxc_send_fds(to->sock, &h, sizeof(h), fds, proc ? 5 : 3, MSG_DONTWAIT);
}

/* The daemon keeps nothing of the channel: both halves go out, then every
 * descriptor here is closed. */
static int local_pair_open(struct mxd_endpoint *a, struct mxd_endpoint *b,
			   const struct mxn_pair_open *oa, const struct mxn_pair_open *ob)
{
	struct local_conn *ca = a->tp, *cb = b->tp;
	int fd = -1, bell[2] = { -1, -1 }, err;
	bool proc = pair_proc(ca, cb);

	fd = pair_area(oa);
	err = fd;
	if (fd < 0)
		goto out;
	err = -errno;
	bell[0] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); /* a's rx bell */
	if (bell[0] < 0)
		goto out;
	bell[1] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); /* b's rx bell */
	if (bell[1] < 0)
		goto out;
	err = pair_send(ca, cb, oa, fd, bell[0], bell[1], proc);
	if (!err)
		err = pair_send(cb, ca, ob, fd, bell[1], bell[0], proc);
	if (!err && proc)
		ca->l->st.pairs_proc++;
out:
	if (fd >= 0)
		close(fd);
	for (int i = 0; i < 2; i++)
		if (bell[i] >= 0)
			close(bell[i]);
	return err;
}

static const struct mxd_transport_ops local_ops = {
	.name = "local",
	.region_kind = MXN_REGION_VADDR,
	.notify = local_notify,
	.region_read = local_region_read,
	.region_write = local_region_write,
	.pull_owner_check = local_pull_owner_check,
	.pull_direct = local_pull_direct,
	.pull_async = local_pull_async,
	.pull_cancel = local_pull_cancel,
	.destroy = local_destroy,
	.pair_open = local_pair_open,
};

/* ---- open handshake ---- */

static uint32_t clamp_u32(uint32_t v, uint32_t lo, uint32_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static uint32_t pick_queue(uint32_t req, uint32_t conf)
{
	uint32_t max = clamp_u32(mxn_page_round(conf), MXN_QUEUE_MIN, MXN_QUEUE_MAX);

	if (!req)
		return max;
	/* Round before clamping so a huge request cannot wrap to a small one. */
	if (req > MXN_QUEUE_MAX)
		req = MXN_QUEUE_MAX;
	return clamp_u32(mxn_page_round(req), MXN_QUEUE_MIN, max);
}

static int geometry(const struct mxd_config *cfg, const struct mxn_open_req *req,
		    struct mxn_layout *geo)
{
	uint32_t co = req->cmd_order ? req->cmd_order : cfg->limits.cmd_order;
	uint32_t eo = req->evt_order ? req->evt_order : cfg->limits.evt_order;

	co = clamp_u32(co, MXN_RING_ORDER_MIN, MXN_RING_ORDER_MAX);
	eo = clamp_u32(eo, MXN_RING_ORDER_MIN, MXN_RING_ORDER_MAX);
	return mxn_layout_compute(geo, co, eo, pick_queue(req->sendq_size, cfg->limits.sendq_size),
				  pick_queue(req->recvq_size, cfg->limits.recvq_size));
}

/* Map cn->memfd (geo->area_size bytes), fill the header, make the bells. */
static int map_area(struct local_conn *cn, const struct mxn_layout *geo)
{
	cn->area = mmap(NULL, geo->area_size, PROT_READ | PROT_WRITE, MAP_SHARED, cn->memfd, 0);
	if (cn->area == MAP_FAILED) {
		cn->area = NULL;
		return -errno;
	}
	cn->area_len = geo->area_size;
	mxn_layout_fill_hdr(geo, cn->area);
	/* local_notify wakes a futex sleeper (MXN_RINGF_FUTEX). */
	((struct mxn_area_hdr *)cn->area)->features |= MXN_AREAF_FUTEX;
	cn->kickfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (cn->kickfd < 0)
		return -errno;
	cn->irqfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (cn->irqfd < 0)
		return -errno;
	return 0;
}

/* The guest can neither shrink the area under our mapping (SIGBUS) nor
 * change the seals. */
#define MXD_AREA_SEALS (F_SEAL_SHRINK | F_SEAL_GROW)

static int make_area(struct local_conn *cn, const struct mxn_layout *geo)
{
	cn->memfd = memfd_create("myrixen-endpoint", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (cn->memfd < 0)
		return -errno;
	if (ftruncate(cn->memfd, geo->area_size) ||
	    fcntl(cn->memfd, F_ADD_SEALS, MXD_AREA_SEALS | F_SEAL_SEAL))
		return -errno;
	return map_area(cn, geo);
}

/* A re-attach brings the area back (the client's fd, so hostile): a file of
 * exactly the geometry's size that nobody can resize under our mapping. */
static int adopt_area(struct local_conn *cn, int fd, const struct mxn_layout *geo)
{
	struct stat st;
	int seals;

	cn->memfd = fd;
	if (fstat(fd, &st))
		return -errno;
	seals = fcntl(fd, F_GET_SEALS);
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != geo->area_size || seals < 0 ||
	    (seals & MXD_AREA_SEALS) != MXD_AREA_SEALS)
		return -EINVAL;
	return map_area(cn, geo);
}

static int send_rsp(struct local_conn *cn, const struct mxn_open_rsp *rsp, bool with_fds)
{
	int fds[3] = { cn->memfd, cn->kickfd, cn->irqfd };

	return mxc_send_fds(cn->sock, rsp, sizeof(*rsp), fds, with_fds ? 3 : 0, MSG_DONTWAIT);
}

static void kick_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct local_conn *cn = w->data;
	uint64_t v;

	(void)loop;
	(void)revents;
	if (read(cn->kickfd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	mxd_endpoint_kick(cn->ep);
}

static void guest_name(pid_t pid, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(buf, len, "pid%d", (int)pid);
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = 0;
	fclose(f);
}

/* The request itself: exactly one struct (n bytes received), our ABI
 * version, reserved fields zero (abi.h). */
static int check_open_req(const struct mxn_open_req *req, ssize_t n)
{
	if (n != (ssize_t)sizeof(*req))
		return -EINVAL;
	if (req->abi_version != MYRIXEN_ABI_VERSION)
		return -EPROTO;
	return req->pad0 || req->pad1 ? -EINVAL : 0;
}

/* The area is mapped: register the endpoint and fill the reply. */
static int attach(struct local_conn *cn, struct mxd_endpoint_params *p, struct mxn_open_rsp *rsp)
{
	struct mxd_local *l = cn->l;
	const struct mxd_config *cfg = mxd_core_config(l->core);
	struct mxd_guest *g = NULL;
	char name[64];
	int err;

	p->area = cn->area;
	guest_name(cn->pid, name, sizeof(name));
	/* Limits count per user: a process is a guest, its uid the principal. */
	err = mxd_guest_get_as(l->core, MXD_GUEST_LOCAL, (uint32_t)cn->pid, (uint32_t)cn->uid, name,
			       &g);
	if (err)
		goto out;
	err = mxd_endpoint_attach(l->core, g, p, &cn->ep);
	if (err)
		goto out;
	rsp->session = cn->ep->session;
	rsp->endpoint = cn->ep->index;
	rsp->area_size = p->geo.area_size;
	rsp->medium_max = clamp_u32(cfg->limits.medium_max, MXN_TINY_MAX + 1, MXN_MEDIUM_MAX_LIMIT);
	ev_io_init(&cn->kick_w, kick_cb, cn->kickfd, EV_READ);
	cn->kick_w.data = cn;
	ev_io_start(l->loop, &cn->kick_w);
	ev_timer_stop(l->loop, &cn->open_w);
out:
	mxd_guest_put(g); /* the endpoint holds its own reference */
	return err;
}

static int open_endpoint(struct local_conn *cn, const struct mxn_open_req *req,
			 struct mxn_open_rsp *rsp)
{
	struct mxd_endpoint_params p = { .ops = &local_ops, .tp = cn, .key = req->key,
					 .endpoint = req->endpoint };
	int err;

	err = geometry(mxd_core_config(cn->l->core), req, &p.geo);
	if (!err)
		err = make_area(cn, &p.geo);
	if (!err)
		err = attach(cn, &p, rsp);
	if (!err)
		claims_note(cn->l, cn);
	return err;
}

/* Exactly the geometry the area was made with, still within our limits. */
static int same_geometry(const struct mxd_config *cfg, const struct mxn_open_req *req,
			 struct mxn_layout *geo)
{
	int err = geometry(cfg, req, geo);

	if (!err && (geo->cmd_order != req->cmd_order || geo->evt_order != req->evt_order ||
		     geo->sendq_size != req->sendq_size || geo->recvq_size != req->recvq_size))
		err = -EINVAL;
	return err;
}

/* The holder of an endpoint of the previous daemon takes it back: same
 * process (local_claims.h), same index and session, its own area (fd,
 * which this takes). */
static int reattach_endpoint(struct local_conn *cn, const struct mxn_reattach_req *q, int fd,
			     struct mxn_open_rsp *rsp)
{
	struct mxd_local *l = cn->l;
	struct mxd_endpoint_params p = { .ops = &local_ops, .tp = cn, .key = q->open.key,
					 .endpoint = q->open.endpoint, .session = q->session };
	uint64_t start = 0;
	int err;

	err = check_open_req(&q->open, sizeof(q->open));
	if (!err && (q->pad0 || q->open.endpoint == MXN_ENDPOINT_ANY))
		err = -EINVAL;
	if (!err && mxd_proc_start((uint32_t)cn->pid, &start))
		err = -ESTALE;
	if (!err)
		err = mxd_claims_check(&l->claims, q->open.endpoint, q->session, (uint32_t)cn->uid,
				       (uint32_t)cn->pid, start);
	if (!err)
		err = same_geometry(mxd_core_config(l->core), &q->open, &p.geo);
	if (err) {
		close(fd);
		goto out;
	}
	err = adopt_area(cn, fd, &p.geo);
	if (!err)
		err = attach(cn, &p, rsp);
	if (err)
		goto out;
	l->claims.c[cn->ep->index].pending = false;
	l->st.eps_reattached++;
	mxd_core_quiet(l->core, cn->ep->index, MXD_QUIET_MS); /* its peers come back too */
	mxd_log(MXD_LOG_NOTICE, "local: pid %d endpoint %u re-attached (session kept)",
		(int)cn->pid, cn->ep->index);
out:
	if (err)
		l->st.reattach_refused++;
	return err;
}

static void sock_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct local_conn *cn = w->data;
	/* One byte more than a request: a longer message is seen as such
	 * (SOCK_SEQPACKET truncates silently) and refused, not read as its prefix. */
	union {
		struct mxn_open_req req;
		struct mxn_reattach_req reattach;
		char raw[sizeof(struct mxn_reattach_req) + 1];
	} in;
	struct mxn_open_rsp rsp;
	ssize_t n;
	int err, fd;

	(void)loop;
	(void)revents;
	/* At most one descriptor is taken; any other that came is closed. */
	n = mxc_recv_fds(cn->sock, &in, sizeof(in), MSG_DONTWAIT, &fd, 1, NULL, NULL);
	if (n == -EAGAIN)
		return;
	if (fd >= 0 && (cn->ep || n != (ssize_t)sizeof(in.reattach))) {
		close(fd); /* only a re-attach brings a descriptor */
		fd = -1;
	}
	if (cn->ep) {
		/* After the open, the socket only signals the close; anything
		 * else is a confused client, and closing is the answer. */
		if (n != 0)
			mxd_log_rl(&cn->l->rl, MXD_LOG_INFO, "local: pid %d wrote after open, closing",
				   (int)cn->pid);
		mxd_endpoint_detach(cn->ep); /* frees cn through local_destroy */
		return;
	}
	if (n <= 0) {
		conn_free(cn);
		return;
	}
	memset(&rsp, 0, sizeof(rsp));
	rsp.abi_version = MYRIXEN_ABI_VERSION;
	rsp.nic_id = mxd_core_nic_id(cn->l->core);
	snprintf(rsp.hostname, sizeof(rsp.hostname), "%s", mxd_core_hostname(cn->l->core));
	/* The refusal answers the request, so the client reads a reason. */
	if (cn->refused) {
		err = -EACCES;
		if (fd >= 0)
			close(fd);
		mxd_core_count_open_refused(cn->l->core);
	} else if (fd >= 0) {
		err = reattach_endpoint(cn, &in.reattach, fd, &rsp);
		cn->keep_claim = !err; /* until the answer is sent */
	} else {
		err = check_open_req(&in.req, n);
		if (err)
			mxd_core_count_open_refused(cn->l->core);
		else
			err = open_endpoint(cn, &in.req, &rsp);
	}
	rsp.error = err;
	if (err) {
		mxd_log_rl(&cn->l->rl, MXD_LOG_INFO, "local: open from pid %d uid %u refused: %s",
			   (int)cn->pid, (unsigned)cn->uid, strerror(-err));
		send_rsp(cn, &rsp, false);
		conn_free(cn);
		return;
	}
	if (send_rsp(cn, &rsp, true))
		mxd_endpoint_detach(cn->ep);
	else
		cn->keep_claim = false;
}

static void open_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct local_conn *cn = w->data;

	(void)loop;
	(void)revents;
	mxd_log_rl(&cn->l->rl, MXD_LOG_INFO, "local: pid %d never asked to open, closing",
		   (int)cn->pid);
	mxd_core_count_open_timeout(cn->l->core);
	conn_free(cn);
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct mxd_local *l = w->data;
	struct local_conn *cn;
	struct ucred cred = { .pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1 };
	int fd;

	(void)revents;
	fd = accept4(l->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			/* The pending connection keeps the socket readable: pause
			 * instead of spinning, and try again shortly. */
			mxd_log_rl(&l->rl, MXD_LOG_WARNING, "local: accept: %s, pausing",
				   strerror(errno));
			ev_io_stop(loop, &l->listen_w);
			ev_timer_set(&l->pause_w, 0.1, 0.);
			ev_timer_start(loop, &l->pause_w);
		}
		return;
	}
	cn = calloc(1, sizeof(*cn));
	if (!cn) {
		close(fd);
		return;
	}
	cn->l = l;
	cn->sock = fd;
	cn->memfd = cn->kickfd = cn->irqfd = -1;
	cn->refused = !mxd_peer_admitted(fd, l->owner, l->gid, &cred);
	cn->pid = cred.pid;
	cn->uid = cred.uid;
	/* Without its identity (gone already, no /proc) nothing of the client
	 * could be checked later: refuse the open. */
	if (!cn->refused && mxd_principal_new(cred.pid, cred.uid, cred.gid, &cn->who))
		cn->refused = true;
	ev_io_init(&cn->sock_w, sock_cb, fd, EV_READ);
	cn->sock_w.data = cn;
	ev_io_init(&cn->kick_w, kick_cb, -1, EV_READ);
	ev_timer_init(&cn->open_w, open_timeout_cb, MXD_LOCAL_OPEN_TIMEOUT_S, 0.);
	cn->open_w.data = cn;
	LIST_INSERT_HEAD(&l->conns, cn, link);
	ev_io_start(loop, &cn->sock_w);
	ev_timer_start(loop, &cn->open_w);
}

static void resume_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct mxd_local *l = w->data;

	(void)revents;
	ev_io_start(loop, &l->listen_w);
}

/* Mode 0660, group local_group or else the daemon's own group (root for a
 * root daemon); admitted: root, the daemon's user, members of that group. */
static int listen_local(struct mxd_local *l, const char *group)
{
	l->owner = geteuid();
	l->gid = getegid();
	if (group && group[0] && mxd_group_gid(group, &l->gid)) {
		mxd_log(MXD_LOG_ERR, "local_group '%s': no such group", group);
		return -ENOENT;
	}
	return mxd_unix_listen(l->path, SOCK_SEQPACKET, 64, 0660, l->gid, &l->lfd);
}

int mxd_local_start(struct mxd_core *core, struct ev_loop *loop, const char *path,
		    struct mxd_local **out)
{
	struct mxd_local *l;
	int err = -ENAMETOOLONG;

	*out = NULL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->core = core;
	l->loop = loop;
	l->lfd = -1;
	l->rl = (struct mxd_ratelimit)MXD_RATELIMIT_INIT(5000, 5);
	LIST_INIT(&l->conns);
	if (strlen(path) >= sizeof(l->path))
		goto out;
	snprintf(l->path, sizeof(l->path), "%s", path);
	err = listen_local(l, mxd_core_config(core)->local_group);
	if (err)
		goto out;
	err = mxd_copy_pool_new(loop, MXD_LOCAL_COPY_TIMEOUT_S, &l->copies);
	if (err)
		goto out;
	ev_io_init(&l->listen_w, accept_cb, l->lfd, EV_READ);
	l->listen_w.data = l;
	ev_timer_init(&l->pause_w, resume_cb, 0.1, 0.);
	l->pause_w.data = l;
	ev_timer_init(&l->grace_w, grace_cb, MXD_LOCAL_REATTACH_S, 0.);
	l->grace_w.data = l;
	snprintf(l->claims_path, sizeof(l->claims_path), "%s.claims", path);
	claims_load(l); /* before the first accept: kept indices are reserved */
	ev_io_start(loop, &l->listen_w);
	mxd_log(MXD_LOG_INFO, "local transport listening on %s", path);
	*out = l;
	return 0;
out:
	mxd_log(MXD_LOG_ERR, "local transport: %s: %s", path, strerror(-err));
	if (l->lfd >= 0)
		close(l->lfd);
	free(l);
	return err;
}

void mxd_local_get_stats(const struct mxd_local *l, struct mxd_local_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (l)
		*out = l->st;
}

void mxd_local_stop(struct mxd_local *l)
{
	struct local_conn *cn;

	if (!l)
		return;
	ev_io_stop(l->loop, &l->listen_w);
	ev_timer_stop(l->loop, &l->pause_w);
	ev_timer_stop(l->loop, &l->grace_w);
	/* A restart, as far as we know: the libraries re-attach to the next
	 * daemon, so nothing more is written into their areas (a "closed" now
	 * would end what the next daemon carries on) and their claims stay. */
	l->stopping = true;
	LIST_FOREACH(cn, &l->conns, link)
		if (cn->ep)
			mxd_endpoint_quiesce(cn->ep);
	while ((cn = LIST_FIRST(&l->conns))) {
		if (cn->ep)
			mxd_endpoint_detach(cn->ep);
		else
			conn_free(cn);
	}
	if (l->lfd >= 0) {
		close(l->lfd);
		unlink(l->path);
	}
	mxd_copy_pool_free(l->copies);
	free(l);
}
