/* The library's half of the Xen pair set-up (pair.h "Xen"), driven by hand
 * through an in-memory area (area.h plays the daemon) and a transport whose
 * pair_attach hands out anonymous memory: the answers it issues, that side
 * 0 sends nothing into the channel before PAIR_OPEN, that side 1 uses it at
 * once, and what it declines (bad geometry, a channel it already has with
 * that peer, a transport that cannot build one); after a restore of the
 * guest, the channels it drops and the new ones it takes. */
#include <errno.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "area.h"
#include "check.h"

#define PEER_EP 9
#define PEER_SESSION 4321u

static int attach_err;        /* what the next pair_attach returns */
static int ring_err;          /* what pair_ring returns */
static uint32_t attaches, rings, detaches;

static int tx_attach(struct mxl_transport *t, const struct mxn_evt *e, struct mxl_pair_chan *ch,
		     struct mxn_pair_xen *ans)
{
	(void)t;
	attaches++;
	if (attach_err)
		return attach_err;
	ch->size = (size_t)e->u.xpair.area_pages * MXN_PAGE_SIZE;
	ch->area = mmap(NULL, ch->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ch->area == MAP_FAILED)
		return -ENOMEM;
	ch->rx_fd = eventfd(0, EFD_CLOEXEC);
	if (e->type == MXN_EVT_PAIR_XEN_OFFER) {
		ans->dir_ref = 1000;
		ans->port = 33;
	}
	return 0;
}

static int tx_ring(struct mxl_transport *t, struct mxl_pair_chan *ch)
{
	(void)t;
	(void)ch;
	rings++;
	return ring_err;
}

static void tx_detach(struct mxl_transport *t, struct mxl_pair_chan *ch)
{
	(void)t;
	detaches++;
	munmap(ch->area, ch->size);
	close(ch->rx_fd);
}

static int tx_watch(struct mxl_transport *t, int fd, bool on)
{
	(void)t;
	(void)fd;
	(void)on;
	return 0;
}

static struct mxl_transport_ops xen_ops;

static struct mx_endpoint *xen_endpoint(void)
{
	struct mx_endpoint *ep = ta_endpoint();

	xen_ops = ta_ops;
	xen_ops.pair_attach = tx_attach;
	xen_ops.pair_ring = tx_ring;
	xen_ops.pair_detach = tx_detach;
	xen_ops.watch = tx_watch;
	ep->t.ops = &xen_ops;
	return ep;
}

static struct mxn_evt setup_evt(uint8_t type, uint32_t id, uint8_t peer_ep)
{
	struct mxn_evt e = { .type = type };
	struct mxn_pair_layout l;

	mxn_pair_layout_compute(&l, MXN_PAIR_XEN_ORDER, MXN_PAIR_XEN_DATA);
	e.u.xpair = (struct mxn_pair_xen){ .pair_id = id, .peer_session = PEER_SESSION,
					   .peer_endpoint = peer_ep, .order = MXN_PAIR_XEN_ORDER,
					   .peer_domid = 7, .data_size = MXN_PAIR_XEN_DATA,
					   .area_pages = l.area_size / MXN_PAGE_SIZE };
	if (type == MXN_EVT_PAIR_XEN_MAP) {
		e.u.xpair.dir_ref = 500;
		e.u.xpair.port = 12;
	}
	return e;
}

static mx_endpoint_addr_t local_peer(uint8_t peer_ep)
{
	struct mxl_addr a = { .nic_id = 0x0a0b0c0d0e0full, .session = PEER_SESSION,
			      .peer = MXN_PEER_SELF, .endpoint = peer_ep, .valid = true };
	mx_endpoint_addr_t out;

	mxl_addr_pack(&a, &out);
	return out;
}

/* The answer the library issued for pair id. */
static struct mxn_pair_xen take_answer(struct mx_endpoint *ep, uint32_t id)
{
	struct mxn_cmd c;

	CHECK(ta_take_cmd(ep, &c));
	CHECK_EQ(c.op, MXN_CMD_PAIR_XEN);
	CHECK_EQ(c.u.xpair.pair_id, id);
	/* the peer is the daemon's to name, never ours */
	CHECK_EQ(c.u.xpair.peer_domid, 0);
	CHECK_EQ(c.u.xpair.peer_session, 0);
	CHECK_EQ(c.u.xpair.peer_endpoint, 0);
	return c.u.xpair;
}

/* PAIR_OPEN / PAIR_CLOSED of channel id with PEER_EP, then a progress. */
static void pair_evt(struct mx_endpoint *ep, uint8_t type, uint32_t id, uint8_t status)
{
	struct mxn_evt e = { .type = type, .status = status };

	e.u.pair.pair_id = id;
	e.u.pair.peer_endpoint = PEER_EP;
	e.u.pair.peer_session = PEER_SESSION;
	ta_put_evt(ep, &e);
	CHECK_EQ(mx_progress(ep), MX_SUCCESS);
}

static void send_tiny(struct mx_endpoint *ep, uint8_t peer_ep)
{
	static char b[8] = "abcdefg";
	mx_segment_t seg = { b, sizeof(b) };
	mx_request_t r;
	mx_status_t st;
	uint32_t res;

	CHECK_EQ(mx_isend(ep, &seg, 1, local_peer(peer_ep), 0x42, NULL, &r), MX_SUCCESS);
	CHECK_EQ(mx_test(ep, &r, &st, &res), MX_SUCCESS);
	CHECK_EQ(res, 1);
	CHECK_EQ(st.code, MX_STATUS_SUCCESS);
}

/* Side 0: grant, answer, daemon path until PAIR_OPEN, then the channel. */
static void test_side0(struct mx_endpoint *ep)
{
	struct mxn_evt e = setup_evt(MXN_EVT_PAIR_XEN_OFFER, 5, PEER_EP);
	struct mxn_pair_xen a;
	struct mxn_cmd c;

	ta_put_evt(ep, &e);
	CHECK_EQ(mx_progress(ep), MX_SUCCESS);
	a = take_answer(ep, 5);
	CHECK_EQ(a.status, 0);
	CHECK_EQ(a.dir_ref, 1000);
	CHECK_EQ(a.port, 33);
	CHECK_EQ(a.order, e.u.xpair.order);
	CHECK_EQ(a.data_size, e.u.xpair.data_size);
	CHECK_EQ(a.area_pages, e.u.xpair.area_pages);
	CHECK_EQ(ep->npairs, 1);
	/* side 1 has not mapped it yet: nothing goes into it */
	send_tiny(ep, PEER_EP);
	CHECK(ta_take_cmd(ep, &c));
	CHECK_EQ(c.op, MXN_CMD_SEND_TINY);
	CHECK_EQ(ep->counters[MXL_CNT_PAIR_SEND], 0);
	/* PAIR_OPEN: side 1 mapped it, the next send goes straight in */
	pair_evt(ep, MXN_EVT_PAIR_OPEN, 5, MXN_ST_OK);
	send_tiny(ep, PEER_EP);
	CHECK_EQ(ta_cmds_pending(ep), 0);
	CHECK_EQ(ep->counters[MXL_CNT_PAIR_SEND], 1);
	/* a second offer for the same peer: the live channel stays */
	e = setup_evt(MXN_EVT_PAIR_XEN_OFFER, 6, PEER_EP);
	ta_put_evt(ep, &e);
	CHECK_EQ(mx_progress(ep), MX_SUCCESS);
	a = take_answer(ep, 6);
	CHECK_EQ(a.status, -EEXIST);
	CHECK_EQ(a.dir_ref, 0);
	CHECK_EQ(ep->npairs, 1);
	CHECK_EQ(ep->lp[PEER_EP].pair->id, 5);
}

/* Side 1: map, answer, send at once. */
static void test_side1(struct mx_endpoint *ep)
{
	struct mxn_evt e = setup_evt(MXN_EVT_PAIR_XEN_MAP, 8, PEER_EP + 1);
	struct mxn_pair_xen a;
	uint64_t before = ep->counters[MXL_CNT_PAIR_SEND];

	ta_put_evt(ep, &e);
	CHECK_EQ(mx_progress(ep), MX_SUCCESS);
	a = take_answer(ep, 8);
	CHECK_EQ(a.status, 0);
	CHECK(!a.dir_ref && !a.port && !a.order && !a.area_pages);
	send_tiny(ep, PEER_EP + 1);
	CHECK_EQ(ta_cmds_pending(ep), 0);
	CHECK_EQ(ep->counters[MXL_CNT_PAIR_SEND], before + 1);
}

/* What is declined: a geometry the layout rule refuses, a map request
 * without a grant, a transport that cannot build the channel. */
static void test_declined(struct mx_endpoint *ep)
{
	struct mxn_evt e = setup_evt(MXN_EVT_PAIR_XEN_OFFER, 10, PEER_EP + 2);
	uint32_t n = ep->npairs, calls = attaches;

	e.u.xpair.area_pages++;
	ta_put_evt(ep, &e);
	e = setup_evt(MXN_EVT_PAIR_XEN_MAP, 11, PEER_EP + 2);
	e.u.xpair.dir_ref = 0;
	ta_put_evt(ep, &e);
	CHECK_EQ(mx_progress(ep), MX_SUCCESS);
	CHECK_EQ(take_answer(ep, 10).status, -EPROTO);
	CHECK_EQ(take_answer(ep, 11).status, -EPROTO);
	CHECK_EQ(attaches, calls); /* never reached the transport */
	attach_err = -EACCES;
	ta_put_evt(ep, &(struct mxn_evt){ 0 });
	e = setup_evt(MXN_EVT_PAIR_XEN_OFFER, 12, PEER_EP + 2);
	ta_put_evt(ep, &e);
	CHECK_EQ(mx_progress(ep), MX_SUCCESS);
	CHECK_EQ(take_answer(ep, 12).status, -EACCES);
	attach_err = 0;
	CHECK_EQ(ep->npairs, n);
	CHECK_EQ(ep->counters[MXL_CNT_BAD_EVENT], 0);
}

/* After a re-attach (every channel a survivor), a restarted daemon offers
 * the channels again: the same one from the same side is kept under the
 * new id (side 0 answers with its old grant), another is declined. */
static void test_adopt(struct mx_endpoint *ep)
{
	struct mxn_evt e;
	struct mxn_pair_xen a;
	uint32_t calls = attaches;
	uint64_t kept = ep->counters[MXL_CNT_PAIR_KEPT];

	mxl_pair_mark_survivors(ep);
	e = setup_evt(MXN_EVT_PAIR_XEN_OFFER, 20, PEER_EP);
	ta_put_evt(ep, &e);
	e = setup_evt(MXN_EVT_PAIR_XEN_MAP, 22, PEER_EP + 1);
	e.u.xpair.dir_ref = 501; /* not what we mapped */
	ta_put_evt(ep, &e);
	CHECK_EQ(mx_progress(ep), MX_SUCCESS);
	a = take_answer(ep, 20);
	CHECK_EQ(a.status, 0);
	CHECK_EQ(a.dir_ref, 1000);
	CHECK_EQ(a.port, 33);
	CHECK_EQ(ep->lp[PEER_EP].pair->id, 20);
	CHECK_EQ(take_answer(ep, 22).status, -EEXIST);
	CHECK_EQ(ep->lp[PEER_EP + 1].pair->id, 8);
	mxl_pair_mark_survivors(ep);
	e = setup_evt(MXN_EVT_PAIR_XEN_MAP, 21, PEER_EP + 1);
	ta_put_evt(ep, &e);
	CHECK_EQ(mx_progress(ep), MX_SUCCESS);
	CHECK_EQ(take_answer(ep, 21).status, 0);
	CHECK_EQ(ep->lp[PEER_EP + 1].pair->id, 21);
	CHECK_EQ(attaches, calls); /* nothing granted or mapped again */
	CHECK_EQ(ep->counters[MXL_CNT_PAIR_KEPT], kept + 2);
	/* the peer's PAIR_OPEN for the new id is harmless */
	pair_evt(ep, MXN_EVT_PAIR_OPEN, 20, MXN_ST_OK);
	send_tiny(ep, PEER_EP);
	CHECK_EQ(ta_cmds_pending(ep), 0);
	mxl_pair_expire_survivors(ep); /* none left to expire */
	CHECK_EQ(ep->npairs, 2);
}

/* The new daemon after a restore of this guest: rings from 0, same index
 * and session, and the shim granted the area again (regions lost). */
static int tx_reattach(struct mxl_transport *t, struct mxn_open_rsp *rsp, bool *regions_lost)
{
	const struct mxn_area_hdr *h = t->area;

	memset((uint8_t *)t->area + h->cmd_ctl_off, 0, sizeof(struct mxn_ring_ctl));
	memset((uint8_t *)t->area + h->evt_ctl_off, 0, sizeof(struct mxn_ring_ctl));
	memset(rsp, 0, sizeof(*rsp));
	rsp->abi_version = MYRIXEN_ABI_VERSION;
	rsp->nic_id = 0x0a0b0c0d0e0full;
	rsp->endpoint = 3;
	rsp->session = 77;
	rsp->medium_max = MXN_MEDIUM_MAX_DEFAULT;
	*regions_lost = true;
	return 0;
}

/* No PAIR_FAULT among the commands issued so far (they are consumed). */
static void check_no_fault_report(struct mx_endpoint *ep)
{
	struct mxn_cmd c;

	while (ta_take_cmd(ep, &c))
		CHECK(c.op != MXN_CMD_PAIR_FAULT);
}

/*
 * A restore of this guest (the re-attach says regions were lost): every
 * Xen channel is void, its grants and its bell gone with the old domain.
 * Side 0's rx is our own memory: what the peer wrote there is taken.  Both
 * are freed without a PAIR_FAULT (nobody broke a rule), sends go through
 * the daemon, and the new daemon's set-up for the same peer is taken, not
 * declined as the set-up of a daemon restart would be (old code: -EEXIST,
 * and the dead channel kept carrying sends).  A ring the shim refuses
 * (-EPIPE: the bell died with a restore) drops its channel the same way.
 */
static void test_restore(void)
{
	struct mx_endpoint *ep = xen_endpoint();
	struct mxn_pair_slot s = { .type = MXN_PAIR_TINY, .length = 3, .match_info = 0x77,
				   .seq = 1 /* mxn_pair_seq_of(0): written */ };
	uint64_t faults;
	struct mxl_pair *p;
	struct mxn_evt e;
	struct mxn_cmd c;

	CHECK(ep);
	xen_ops.reattach = tx_reattach;
	e = setup_evt(MXN_EVT_PAIR_XEN_OFFER, 30, PEER_EP);
	ta_put_evt(ep, &e);
	e = setup_evt(MXN_EVT_PAIR_XEN_MAP, 31, PEER_EP + 1);
	ta_put_evt(ep, &e);
	CHECK_EQ(mx_progress(ep), MX_SUCCESS);
	CHECK_EQ(take_answer(ep, 30).status, 0);
	CHECK_EQ(take_answer(ep, 31).status, 0);
	pair_evt(ep, MXN_EVT_PAIR_OPEN, 30, MXN_ST_OK);
	faults = ep->counters[MXL_CNT_PAIR_FAULT];
	/* the peer wrote a tiny message into side 0's pages before the save */
	p = ep->lp[PEER_EP].pair;
	memcpy(s.tiny, "hey", 3);
	memcpy(&p->rx_slots[0], &s, sizeof(s));
	atomic_store_explicit(MXN_ATOMIC(&p->rx.ctl->prod), 1u, memory_order_release);
	CHECK(mxl_reattach(ep));
	CHECK_EQ(ep->npairs, 0);
	CHECK(!ep->lp[PEER_EP].pair && !ep->lp[PEER_EP + 1].pair);
	CHECK_EQ(ep->counters[MXL_CNT_PAIR_RESTORED], 2);
	CHECK_EQ(ep->counters[MXL_CNT_PAIR_RECV], 1);
	CHECK_EQ(ep->counters[MXL_CNT_PAIR_FAULT], faults);
	check_no_fault_report(ep);
	/* the pair goes through the daemon now */
	send_tiny(ep, PEER_EP);
	CHECK(ta_take_cmd(ep, &c));
	CHECK_EQ(c.op, MXN_CMD_SEND_TINY);
	/* the new daemon maps a fresh channel for the same peer: taken */
	e = setup_evt(MXN_EVT_PAIR_XEN_MAP, 32, PEER_EP + 1);
	e.u.xpair.dir_ref = 502;
	ta_put_evt(ep, &e);
	CHECK_EQ(mx_progress(ep), MX_SUCCESS);
	CHECK_EQ(take_answer(ep, 32).status, 0);
	CHECK_EQ(ep->lp[PEER_EP + 1].pair->id, 32);
	/* its bell dies (the shim says -EPIPE) once the peer asked for a ring */
	p = ep->lp[PEER_EP + 1].pair;
	atomic_store_explicit(MXN_ATOMIC(&p->tx.ctl->prod_event), p->tx.prod_pvt + 1u,
			      memory_order_relaxed);
	ring_err = -EPIPE;
	send_tiny(ep, PEER_EP + 1);
	CHECK_EQ(mx_progress(ep), MX_SUCCESS);
	ring_err = 0;
	CHECK_EQ(ep->npairs, 0);
	CHECK_EQ(ep->counters[MXL_CNT_PAIR_RESTORED], 3);
	CHECK_EQ(ep->counters[MXL_CNT_PAIR_FAULT], faults);
	check_no_fault_report(ep);
	/* the daemon gone and the bells dead (a restore): the probe marks the
	 * channel lost before a disarm or a drain touches its pages */
	e = setup_evt(MXN_EVT_PAIR_XEN_MAP, 33, PEER_EP + 1);
	ta_put_evt(ep, &e);
	CHECK_EQ(mx_progress(ep), MX_SUCCESS);
	CHECK_EQ(take_answer(ep, 33).status, 0);
	p = ep->lp[PEER_EP + 1].pair;
	ring_err = -EPIPE;
	mxl_pair_probe_lost(ep);
	ring_err = 0;
	CHECK(p->broken && p->lost);
	CHECK_EQ(ep->counters[MXL_CNT_PAIR_RESTORED], 4);
	mxl_endpoint_close(ep);
}

/* A new endpoint whose one channel, with PEER_EP, is set up as side 0
 * (OFFER, then PAIR_OPEN) or side 1 (MAP) under id. */
static struct mx_endpoint *one_channel(uint8_t type, uint32_t id)
{
	struct mx_endpoint *ep = xen_endpoint();
	struct mxn_evt e = setup_evt(type, id, PEER_EP);

	CHECK(ep);
	ta_put_evt(ep, &e);
	CHECK_EQ(mx_progress(ep), MX_SUCCESS);
	CHECK_EQ(take_answer(ep, id).status, 0);
	if (type == MXN_EVT_PAIR_XEN_OFFER)
		pair_evt(ep, MXN_EVT_PAIR_OPEN, id, MXN_ST_OK);
	CHECK(ep->lp[PEER_EP].pair);
	return ep;
}

/*
 * A suspend of this guest: the shim mapped zeroes over side 1's view of the
 * peer's pages and ended the bell (shim.h MYRIXEN_IOC_PEER_MAP).  The
 * library may meet the zeroes before it hears the bell is dead: a cons of
 * 0 where the peer had taken a ring's worth reads as a lie.  It is no
 * fault of the peer's: the channel is lost (no PAIR_FAULT issued, none
 * counted) and the send goes through the daemon.  Old code: counted as a
 * fault and reported to the daemon.
 */
static void test_suspended_zeroes(void)
{
	struct mx_endpoint *ep = one_channel(MXN_EVT_PAIR_XEN_MAP, 40);
	struct mxl_pair *p = ep->lp[PEER_EP].pair;
	uint64_t faults, lost;
	struct mxn_cmd c;
	uint32_t slots;

	slots = mxn_ring_slots(&p->tx);
	for (uint32_t i = 0; i < slots; i++)
		send_tiny(ep, PEER_EP);
	/* the peer took them all, and we saw it */
	atomic_store_explicit(MXN_ATOMIC(&p->tx.ctl->cons), slots, memory_order_release);
	send_tiny(ep, PEER_EP);
	CHECK_EQ(ta_cmds_pending(ep), 0);
	faults = ep->counters[MXL_CNT_PAIR_FAULT];
	lost = ep->counters[MXL_CNT_PAIR_RESTORED];
	/* the suspend: zeroes where the peer's pages were, the bell dead */
	memset(p->area, 0, p->lay.area_size);
	ring_err = -EPIPE;
	for (uint32_t i = 0; i < slots; i++)
		send_tiny(ep, PEER_EP);
	CHECK_EQ(mx_progress(ep), MX_SUCCESS);
	ring_err = 0;
	CHECK_EQ(ep->counters[MXL_CNT_PAIR_FAULT], faults);
	CHECK_EQ(ep->counters[MXL_CNT_PAIR_RESTORED], lost + 1);
	CHECK_EQ(ep->npairs, 0);
	/* what did not fit went through the daemon, and nobody was blamed */
	CHECK(ta_cmds_pending(ep) > 0);
	while (ta_take_cmd(ep, &c))
		CHECK(c.op != MXN_CMD_PAIR_FAULT);
	mxl_endpoint_close(ep);
}

/*
 * Send numbers in slots (pair.h "Send numbers"): a pair send carries the
 * number a daemon-path send of it would carry (the next one on that
 * connection, so the two paths share one numbering), and a receiver that
 * took a slot drops a daemon-path copy with the same number (a survivor
 * sending again what it believes its peer never consumed).  Old code: the
 * slot carried no number, and the copy was taken a second time.
 */
/* How many messages matching 'match' wait to be received (taken now). */
static uint32_t recv_all(struct mx_endpoint *ep, uint64_t match)
{
	char b[8];
	mx_segment_t seg = { b, sizeof(b) };
	mx_request_t r;
	mx_status_t st;
	uint32_t res, n = 0;

	while (mx_iprobe(ep, match, ~0ull, &st, &res) == MX_SUCCESS && res) {
		CHECK_EQ(mx_irecv(ep, &seg, 1, match, ~0ull, NULL, &r), MX_SUCCESS);
		CHECK_EQ(mx_test(ep, &r, &st, &res), MX_SUCCESS);
		CHECK_EQ(res, 1);
		n++;
	}
	return n;
}

static void test_send_numbers(void)
{
	struct mx_endpoint *ep = one_channel(MXN_EVT_PAIR_XEN_MAP, 50);
	struct mxn_pair_slot s = { .type = MXN_PAIR_TINY, .length = 3, .match_info = 0x55,
				   .seq = 1 /* mxn_pair_seq_of(0) */, .send_seq = 7 };
	struct mxl_pair *p = ep->lp[PEER_EP].pair;
	uint64_t dups, recvs;
	struct mxn_evt e;
	struct mxn_cmd c;

	/* ours: numbered 1, 2 in the slots, 3 through the daemon after */
	send_tiny(ep, PEER_EP);
	send_tiny(ep, PEER_EP);
	CHECK_EQ(p->tx_slots[0].send_seq, 1);
	CHECK_EQ(p->tx_slots[1].send_seq, 2);
	p->tx_off = true;
	send_tiny(ep, PEER_EP);
	CHECK(ta_take_cmd(ep, &c));
	CHECK_EQ(c.op, MXN_CMD_SEND_TINY);
	CHECK_EQ(mxn_cmd_seq(&c), 3);
	/* the peer's message numbered 7, taken from the channel */
	dups = ep->counters[MXL_CNT_DUP_DROPPED];
	recvs = ep->counters[MXL_CNT_PAIR_RECV];
	memcpy(s.tiny, "abc", 3);
	memcpy(&p->rx_slots[0], &s, sizeof(s));
	CHECK_EQ(mx_progress(ep), MX_SUCCESS);
	CHECK_EQ(ep->counters[MXL_CNT_PAIR_RECV], recvs + 1);
	/* ... and again through the daemon, with its number: dropped */
	memset(&e, 0, sizeof(e));
	e.type = MXN_EVT_RECV_TINY;
	e.length = 3;
	e.match_info = 0x55;
	e.src_nic_id = mxn_evt_nic_seq(ep->info.nic_id, 7);
	e.src_peer = MXN_PEER_SELF;
	e.src_endpoint = PEER_EP;
	e.src_session = PEER_SESSION;
	e.pair_seq = 1;
	memcpy(e.u.tiny, "abc", 3);
	ta_put_evt(ep, &e);
	CHECK_EQ(mx_progress(ep), MX_SUCCESS);
	CHECK_EQ(ep->counters[MXL_CNT_DUP_DROPPED], dups + 1);
	/* one message to receive, not two */
	CHECK_EQ(recv_all(ep, 0x55), 1);
	mxl_endpoint_close(ep);
}

/*
 * Side 0 whose peer is saved (PAIR_CLOSED, AWAY) while it maps our pages:
 * the slots it never released (3 written, its cons at 1) go again through
 * the daemon, in order, with their numbers and bytes, counted out of the
 * pair order (the next channel's counts start from what it consumed).
 * Old code: they were lost, counted nowhere.
 */
static void test_away_resends_unconsumed(void)
{
	struct mx_endpoint *ep = one_channel(MXN_EVT_PAIR_XEN_OFFER, 60);
	struct mxl_pair *p = ep->lp[PEER_EP].pair;
	struct mxl_lpeer *lp = &ep->lp[PEER_EP];
	uint64_t failed;
	struct mxn_cmd c;

	for (int i = 0; i < 3; i++)
		send_tiny(ep, PEER_EP);
	CHECK_EQ(ta_cmds_pending(ep), 0);
	atomic_store_explicit(MXN_ATOMIC(&p->tx.ctl->cons), 1u, memory_order_release);
	failed = ep->counters[MXL_CNT_ZOMBIE_FAILED];
	pair_evt(ep, MXN_EVT_PAIR_CLOSED, 60, MXN_ST_AWAY);
	CHECK(!lp->pair);
	for (uint16_t n = 2; n <= 3; n++) {
		CHECK(ta_take_cmd(ep, &c));
		CHECK_EQ(c.op, MXN_CMD_SEND_TINY);
		CHECK_EQ(mxn_cmd_seq(&c), n);
		CHECK_EQ(c.pair_seq, 1);
		CHECK_EQ(c.length, 8);
		CHECK_EQ(c.match_info, 0x42);
		CHECK(!memcmp(c.u.tiny, "abcdefg", 8));
	}
	CHECK_EQ(ta_cmds_pending(ep), 0);
	CHECK_EQ(lp->tx_p, 1);
	CHECK_EQ(ep->counters[MXL_CNT_PAIR_RESENT], 2);
	CHECK_EQ(ep->counters[MXL_CNT_ZOMBIE_FAILED], failed);
	mxl_endpoint_close(ep);
}

/*
 * The same, with a rendezvous (an issend) to the peer after those slots:
 * it waits until the peer released them (a saved peer loses what it had
 * not released, and the copies sent again must not come after it), and
 * when the peer goes away first, the slots go again through the daemon,
 * in order, then the rendezvous: nothing lost, MX order kept.  Old code:
 * the rendezvous went at once, and the two slots were counted failed
 * after completion (lost).
 */
static void issend_tiny(struct mx_endpoint *ep, mx_request_t *r)
{
	static char b[4] = "xyz";
	mx_segment_t seg = { b, sizeof(b) };

	CHECK_EQ(mx_issend(ep, &seg, 1, local_peer(PEER_EP), 0x43, NULL, r), MX_SUCCESS);
	CHECK_EQ(mx_progress(ep), MX_SUCCESS);
}

static void test_away_daemon_send_held(void)
{
	struct mx_endpoint *ep = one_channel(MXN_EVT_PAIR_XEN_OFFER, 61);
	struct mxl_pair *p = ep->lp[PEER_EP].pair;
	uint64_t failed = ep->counters[MXL_CNT_ZOMBIE_FAILED];
	mx_request_t r;
	struct mxn_cmd c;

	/* released: the rendezvous goes at once, after 1 pair message */
	send_tiny(ep, PEER_EP);
	atomic_store_explicit(MXN_ATOMIC(&p->tx.ctl->cons), 1u, memory_order_release);
	issend_tiny(ep, &r);
	CHECK(ta_take_cmd(ep, &c));
	CHECK_EQ(c.op, MXN_CMD_SEND_RNDV);
	CHECK_EQ(c.pair_seq, 1);
	CHECK_EQ(ep->counters[MXL_CNT_PAIR_DAEMON_HELD], 0);
	/* 3 more slots, the peer released 1 of them: the next one waits */
	for (int i = 0; i < 3; i++)
		send_tiny(ep, PEER_EP);
	atomic_store_explicit(MXN_ATOMIC(&p->tx.ctl->cons), 2u, memory_order_release);
	issend_tiny(ep, &r);
	CHECK_EQ(mx_progress(ep), MX_SUCCESS);
	CHECK_EQ(ta_cmds_pending(ep), 0);
	CHECK_EQ(ep->counters[MXL_CNT_PAIR_DAEMON_HELD], 1);
	/* ... it asked the peer to ring once it released them all */
	CHECK_EQ(atomic_load_explicit(MXN_ATOMIC(&p->tx.ctl->cons_event), memory_order_relaxed),
		 4u);
	/* the peer is saved: the last two slots (numbers 4, 5), then the
	 * issend (6) */
	pair_evt(ep, MXN_EVT_PAIR_CLOSED, 61, MXN_ST_AWAY);
	for (uint16_t n = 4; n <= 6; n++) {
		CHECK(ta_take_cmd(ep, &c));
		CHECK_EQ(c.op, n < 6 ? MXN_CMD_SEND_TINY : MXN_CMD_SEND_RNDV);
		CHECK_EQ(mxn_cmd_seq(&c), n);
		CHECK_EQ(c.pair_seq, 2);
		if (n < 6)
			CHECK(!memcmp(c.u.tiny, "abcdefg", 8));
	}
	CHECK_EQ(ta_cmds_pending(ep), 0);
	CHECK_EQ(ep->counters[MXL_CNT_PAIR_RESENT], 2);
	CHECK_EQ(ep->counters[MXL_CNT_ZOMBIE_FAILED], failed);
	CHECK_EQ(ep->counters[MXL_CNT_PAIR_DAEMON_HELD], 1);
	CHECK_EQ(ep->lp[PEER_EP].tx_p, 2);
	mxl_endpoint_close(ep);
}

/*
 * The held send goes once the peer released the slots before it; a
 * peer whose cons runs past what we wrote is cut off and the send goes.
 */
static void test_daemon_send_released(void)
{
	struct mx_endpoint *ep = one_channel(MXN_EVT_PAIR_XEN_OFFER, 63);
	struct mxl_pair *p = ep->lp[PEER_EP].pair;
	static char b[8] = "later";
	mx_segment_t seg = { b, sizeof(b) };
	mx_request_t r, t;
	struct mxn_cmd c;
	mx_status_t st;
	uint32_t res;

	send_tiny(ep, PEER_EP);
	send_tiny(ep, PEER_EP);
	issend_tiny(ep, &r);
	/* behind the issend, not into the channel before it */
	CHECK_EQ(mx_isend(ep, &seg, 1, local_peer(PEER_EP), 0x44, NULL, &t), MX_SUCCESS);
	CHECK_EQ(mx_test(ep, &t, &st, &res), MX_SUCCESS);
	CHECK_EQ(res, 0);
	CHECK_EQ(ta_cmds_pending(ep), 0);
	CHECK_EQ(p->tx.prod_pvt, 2);
	atomic_store_explicit(MXN_ATOMIC(&p->tx.ctl->cons), 2u, memory_order_release);
	CHECK_EQ(mx_progress(ep), MX_SUCCESS);
	CHECK_EQ(mx_test(ep, &t, &st, &res), MX_SUCCESS);
	CHECK_EQ(res, 1);
	CHECK(ta_take_cmd(ep, &c));
	CHECK_EQ(c.op, MXN_CMD_SEND_RNDV);
	CHECK_EQ(mxn_cmd_seq(&c), 3);
	CHECK_EQ(c.pair_seq, 2);
	CHECK_EQ(p->tx.prod_pvt, 3); /* then the tiny, into the channel */
	CHECK_EQ(p->tx_slots[2].dcount, 1);
	/* a lie: cons beyond what we wrote */
	issend_tiny(ep, &r);
	atomic_store_explicit(MXN_ATOMIC(&p->tx.ctl->cons), 9u, memory_order_release);
	CHECK_EQ(mx_progress(ep), MX_SUCCESS);
	CHECK(ta_take_cmd(ep, &c));
	CHECK_EQ(c.op, MXN_CMD_SEND_RNDV);
	CHECK(ep->counters[MXL_CNT_PAIR_FAULT] >= 1);
	mxl_endpoint_close(ep);
}

/*
 * Side 1 whose guest was restored: it had taken 3 of the peer's messages
 * but published only 2 (frozen mid-drain).  The survivor sends the third
 * again through the daemon (it is then dropped here by its number), so
 * our counts move it from the pair path to the daemon path.
 */
static void test_restored_rebases(void)
{
	struct mx_endpoint *ep = one_channel(MXN_EVT_PAIR_XEN_MAP, 62);
	struct mxl_pair *p = ep->lp[PEER_EP].pair;
	struct mxl_lpeer *lp = &ep->lp[PEER_EP];
	struct mxn_pair_slot s = { .type = MXN_PAIR_TINY, .length = 1, .match_info = 0x66 };
	uint32_t d;

	for (uint32_t i = 0; i < 3; i++) {
		s.seq = mxn_pair_seq_of(i);
		s.send_seq = (uint16_t)(i + 1);
		memcpy(&p->rx_slots[i], &s, sizeof(s));
	}
	CHECK_EQ(mx_progress(ep), MX_SUCCESS);
	CHECK_EQ(lp->rx_p, 3);
	CHECK_EQ(p->rx_published, 3);
	p->rx_published = 2; /* as if frozen before the last release */
	d = lp->rx_d;
	ring_err = -EPIPE;
	mxl_pair_probe_lost(ep);
	ring_err = 0;
	CHECK_EQ(lp->rx_p, 2);
	CHECK_EQ(lp->rx_d, d + 1);
	mxl_endpoint_close(ep);
}

int main(void)
{
	struct mx_endpoint *ep = xen_endpoint();

	CHECK(ep);
	test_side0(ep);
	test_side1(ep);
	test_declined(ep);
	test_adopt(ep);
	/* PAIR_CLOSED and close release what the transport built */
	pair_evt(ep, MXN_EVT_PAIR_CLOSED, 20, MXN_ST_CLOSED);
	CHECK_EQ(detaches, 1);
	mxl_pair_close_all(ep);
	CHECK_EQ(detaches, 2);
	CHECK(rings <= 2);
	mxl_endpoint_close(ep);
	test_restore();
	test_suspended_zeroes();
	test_send_numbers();
	test_away_resends_unconsumed();
	test_away_daemon_send_held();
	test_daemon_send_released();
	test_restored_rebases();
	DONE();
}
