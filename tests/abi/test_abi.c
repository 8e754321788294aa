/* ABI and ring-discipline unit tests: layout arithmetic, index wrap, event
 * suppression and the final check before sleeping. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "myrixen/layout.h"
#include "myrixen/pair.h"
#include "myrixen/ring.h"
#include "myrixen/spin.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s)\n", __FILE__, __LINE__, #c); failures++; } } while (0)

static void test_layout(void)
{
	struct mxn_layout l;

	CHECK(mxn_layout_compute(&l, 8, 9, 256 * 1024, 512 * 1024) == 0);
	CHECK(l.cmd_ring_off % MXN_PAGE_SIZE == 0 && l.evt_ring_off % MXN_PAGE_SIZE == 0);
	CHECK(l.sendq_off % MXN_PAGE_SIZE == 0 && l.recvq_off % MXN_PAGE_SIZE == 0);
	CHECK(l.evt_ring_off - l.cmd_ring_off == 256 * sizeof(struct mxn_cmd));
	CHECK(l.sendq_off - l.evt_ring_off == 512 * sizeof(struct mxn_evt));
	CHECK(l.area_size == l.recvq_off + 512 * 1024);
	CHECK(l.evt_ctl_off - l.cmd_ctl_off == sizeof(struct mxn_ring_ctl));
	CHECK(mxn_layout_compute(&l, 3, 9, 256 * 1024, 512 * 1024) == -22);
	CHECK(mxn_layout_compute(&l, 8, 13, 256 * 1024, 512 * 1024) == -22);
	CHECK(mxn_layout_compute(&l, 8, 8, 1000, 512 * 1024) == -22);
	CHECK(mxn_layout_compute(&l, 8, 8, MXN_QUEUE_MAX + 4096, 512 * 1024) == -22);
}

/* Both ends of a 16-slot ring whose indices start at 'start'. */
static void ring_pair(struct mxn_ring_ctl *ctl, struct mxn_ring *prod, struct mxn_ring *cons,
		      uint32_t start)
{
	memset(ctl, 0, sizeof(*ctl));
	ctl->prod = ctl->cons = start;
	mxn_ring_init(prod, ctl, 4);
	mxn_ring_init(cons, ctl, 4);
	prod->prod_pvt = cons->cons_pvt = start;
}

static void test_wrap_and_suppression(void)
{
	struct mxn_ring_ctl ctl;
	struct mxn_ring prod, cons;
	uint32_t start = 0xfffffff0u; /* indices cross 2^32 during the test */
	int notified = 0, i;

	ring_pair(&ctl, &prod, &cons, start);

	/* Consumer asleep: the first push notifies, later pushes do not. */
	CHECK(!mxn_ring_arm(&cons));
	for (i = 0; i < 16; i++) {
		CHECK(mxn_ring_free(&prod) == (uint32_t)(16 - i));
		prod.prod_pvt++;
		notified += mxn_ring_push(&prod);
	}
	CHECK(notified == 1);
	CHECK(mxn_ring_free(&prod) == 0);
	CHECK(mxn_ring_sane(&cons, mxn_ring_peek_prod(&cons), cons.cons_pvt));
	CHECK(!mxn_ring_sane(&cons, cons.cons_pvt + 17, cons.cons_pvt));
	CHECK(!mxn_ring_sane(&cons, cons.cons_pvt - 1, cons.cons_pvt));

	/* Final check: work that arrived before arming keeps the consumer up. */
	cons.cons_pvt += 8;
	mxn_ring_release(&cons);
	CHECK(mxn_ring_arm(&cons));
	cons.cons_pvt += 8;
	CHECK(mxn_ring_peek_prod(&cons) == cons.cons_pvt);
	CHECK(cons.cons_pvt == start + 16); /* wrapped past zero */
	mxn_ring_release(&cons);
	CHECK(!mxn_ring_arm(&cons));

	/* Disarmed: no push notifies. */
	mxn_ring_disarm(&cons);
	prod.prod_pvt++;
	CHECK(!mxn_ring_push(&prod));

	/* Space wait: producer hears once cons passes its target. */
	prod.prod_pvt = cons.cons_pvt + 16;
	mxn_ring_push(&prod);
	CHECK(!mxn_ring_arm_space(&prod, 4));
	cons.cons_pvt += 3;
	CHECK(!mxn_ring_release(&cons));
	cons.cons_pvt += 1;
	CHECK(mxn_ring_release(&cons));
}

/* Disarming after a wake-up leaves the shared word alone once the producer
 * passed the slot asked about (it cannot ring again), and still stops the
 * bell it would ring otherwise.  Indices cross 2^32. */
static void test_disarm_woken(void)
{
	struct mxn_ring_ctl ctl;
	struct mxn_ring prod, cons;
	uint32_t start = 0xfffffffeu, ev;

	ring_pair(&ctl, &prod, &cons, start);

	/* Woken by the bell of the slot it asked for: no write, no more bells. */
	CHECK(!mxn_ring_arm(&cons));
	prod.prod_pvt++;
	CHECK(mxn_ring_push(&prod));
	ev = ctl.prod_event;
	mxn_ring_disarm_woken(&cons);
	CHECK(ctl.prod_event == ev);
	prod.prod_pvt += 3;
	CHECK(!mxn_ring_push(&prod));

	/* Woken for something else before the producer got there: disarmed. */
	cons.cons_pvt = prod.prod_pvt;
	mxn_ring_release(&cons);
	CHECK(!mxn_ring_arm(&cons));
	mxn_ring_disarm_woken(&cons);
	CHECK(ctl.prod_event == cons.cons_pvt + 0x80000000u);
	prod.prod_pvt++;
	CHECK(!mxn_ring_push(&prod));

	/* Already disarmed: left alone. */
	ev = ctl.prod_event;
	mxn_ring_disarm_woken(&cons);
	CHECK(ctl.prod_event == ev);
}

/* The pair-channel layout: page-aligned pieces, directions apart, limits. */
static void test_pair_layout(void)
{
	struct mxn_pair_layout l;

	CHECK(mxn_pair_layout_compute(&l, 8, 512 * 1024) == 0);
	CHECK(l.ctl_off[1] - l.ctl_off[0] == sizeof(struct mxn_ring_ctl));
	CHECK(l.slots_off[0] % MXN_PAGE_SIZE == 0 && l.data_off[1] % MXN_PAGE_SIZE == 0);
	CHECK(l.data_off[0] - l.slots_off[0] == 256 * sizeof(struct mxn_pair_slot));
	CHECK(l.slots_off[1] == l.data_off[0] + 512 * 1024);
	CHECK(l.area_size == l.data_off[1] + 512 * 1024);
	CHECK(mxn_pair_layout_compute(&l, 3, 512 * 1024) == -22);
	CHECK(mxn_pair_layout_compute(&l, 8, 3 * 64 * 1024) == -22);   /* not a power of 2 */
	CHECK(mxn_pair_layout_compute(&l, 8, 32 * 1024) == -22);       /* < a medium */
	CHECK(mxn_pair_layout_compute(&l, 8, 8 * 1024 * 1024) == -22); /* > the limit */
}

/* A Xen pair description (pair.h "Xen"): what the daemon accepts from side
 * 0 and what side 1 maps must be the layout rule's page count within one
 * directory page, with a usable ref and port, from a real domain. */
static void test_pair_xen_check(void)
{
	struct mxn_pair_xen x = { .order = MXN_PAIR_XEN_ORDER, .data_size = MXN_PAIR_XEN_DATA,
				  .peer_domid = 7 };
	struct mxn_pair_xen y;
	struct mxn_pair_layout l;

	CHECK(mxn_pair_layout_compute(&l, MXN_PAIR_XEN_ORDER, MXN_PAIR_XEN_DATA) == 0);
	x.area_pages = l.area_size / MXN_PAGE_SIZE;
	CHECK(x.area_pages == 70);
	CHECK(mxn_pair_xen_check(&x, 0, &l) == 0);       /* the offer */
	CHECK(mxn_pair_xen_check(&x, 1, &l) == -22);     /* a map request needs a grant */
	x.dir_ref = 8;
	x.port = 5;
	CHECK(mxn_pair_xen_check(&x, 1, &l) == 0 && l.area_size == 70 * MXN_PAGE_SIZE);
	CHECK(mxn_pair_xen_check(&x, 0, &l) == -22);     /* an offer carries none */
	y = x, y.area_pages = 69;
	CHECK(mxn_pair_xen_check(&y, 1, &l) == -22);
	y = x, y.area_pages = 71;
	CHECK(mxn_pair_xen_check(&y, 1, &l) == -22);
	y = x, y.dir_ref = 7;                             /* the toolstack's refs */
	CHECK(mxn_pair_xen_check(&y, 1, &l) == -22);
	y = x, y.dir_ref = MXN_GREF_LIMIT;
	CHECK(mxn_pair_xen_check(&y, 1, &l) == -22);
	y = x, y.port = 0;
	CHECK(mxn_pair_xen_check(&y, 1, &l) == -22);
	y = x, y.port = MXN_EVTCHN_LIMIT;
	CHECK(mxn_pair_xen_check(&y, 1, &l) == -22);
	y = x, y.peer_domid = 0x7ff0;                     /* DOMID_SELF and friends */
	CHECK(mxn_pair_xen_check(&y, 1, &l) == -22);
	y = x, y.order = 3;
	CHECK(mxn_pair_xen_check(&y, 1, &l) == -22);
	/* more pages than one directory page of refs names */
	y = x, y.order = 8, y.data_size = 4u << 20;
	CHECK(mxn_pair_layout_compute(&l, 8, 4u << 20) == 0);
	y.area_pages = l.area_size / MXN_PAGE_SIZE;
	CHECK(y.area_pages > MXN_PAIR_XEN_PAGES_MAX);
	CHECK(mxn_pair_xen_check(&y, 1, &l) == -22);
	CHECK(mxn_gref_ok(8) && !mxn_gref_ok(0) && !mxn_gref_ok(MXN_GREF_LIMIT));
}

static unsigned fake_runnable;
static unsigned fake_samples;
static unsigned fake_load(void)
{
	fake_samples++;
	return fake_runnable;
}

/* The spin rule: no spinning on <= 2 CPUs unless forced, none right after a
 * preemption (even forced), a doubled window with many CPUs when the load
 * is unknown. */
static void test_spin(void)
{
	struct mxn_spin s;

	mxn_spin_setup(&s, 50000, false, 2);
	CHECK(mxn_spin_window(&s, 1000) == 0 && mxn_spin_never(&s));
	mxn_spin_setup(&s, 50000, true, 2);
	CHECK(mxn_spin_window(&s, 1000) == 50000 && !mxn_spin_never(&s));
	mxn_spin_setup(&s, 50000, false, 4);
	CHECK(mxn_spin_window(&s, 1000) == 50000);
	mxn_spin_setup(&s, 50000, false, 16);
	CHECK(mxn_spin_window(&s, 1000) == 100000);
	mxn_spin_setup(&s, 0, true, 16);
	CHECK(mxn_spin_window(&s, 1000) == 0 && mxn_spin_never(&s));
	/* a poll gap of 1 us is a poll; one of 1 ms is a lost CPU */
	mxn_spin_setup(&s, 50000, true, 4);
	CHECK(!mxn_spin_preempted(&s, 1000000, 1001000));
	CHECK(mxn_spin_preempted(&s, 1000000, 2000000));
	CHECK(s.preemptions == 1);
	CHECK(mxn_spin_window(&s, 2000001) == 0 && !mxn_spin_never(&s)); /* only for now */
	CHECK(mxn_spin_window(&s, 2000000 + MXN_SPIN_QUIET_MIN_NS) == 50000);
}

/* The back-off after a preemption doubles up to its maximum, and a spin
 * that found its work starts it over. */
static void test_spin_backoff(void)
{
	struct mxn_spin s;
	uint64_t t = 1000000, q = MXN_SPIN_QUIET_MIN_NS;

	mxn_spin_setup(&s, 50000, true, 4);
	for (int i = 0; i < 12; i++) {
		CHECK(mxn_spin_preempted(&s, t, t + 1000000));
		t += 1000000;
		CHECK(s.quiet_ns == q && s.quiet_until_ns == t + q);
		CHECK(mxn_spin_window(&s, t + q - 1) == 0 && mxn_spin_window(&s, t + q) == 50000);
		t += q;
		q = 2 * q > MXN_SPIN_QUIET_MAX_NS ? MXN_SPIN_QUIET_MAX_NS : 2 * q;
	}
	CHECK(s.quiet_ns == MXN_SPIN_QUIET_MAX_NS && s.preemptions == 12);
	mxn_spin_found(&s);
	CHECK(mxn_spin_preempted(&s, t, t + 1000000));
	CHECK(s.quiet_ns == MXN_SPIN_QUIET_MIN_NS);
}

/* Nobody spins while tasks wait for a CPU, forced or not, and a spin stops
 * when they start waiting; spare CPUs lengthen the default window; the
 * load is sampled at most every MXN_SPIN_LOAD_NS. */
static void test_spin_load(void)
{
	struct mxn_spin s;
	uint64_t t = 5000000;

	mxn_spin_setup(&s, 50000, false, 8);
	s.runnable = fake_load;
	fake_runnable = 9; /* one more than the CPUs: somebody waits */
	CHECK(mxn_spin_window(&s, t) == 0 && s.crowded == 1);
	fake_runnable = 8; /* all busy, nobody waits: the plain window */
	t += MXN_SPIN_LOAD_NS;
	CHECK(mxn_spin_window(&s, t) == 50000);
	fake_runnable = 6;
	t += MXN_SPIN_LOAD_NS;
	CHECK(mxn_spin_window(&s, t) == 2 * 50000);
	fake_runnable = 1;
	t += MXN_SPIN_LOAD_NS;
	CHECK(mxn_spin_window(&s, t) == MXN_SPIN_SPARE_MAX * 50000);
	/* cached within MXN_SPIN_LOAD_NS */
	fake_samples = 0;
	fake_runnable = 20;
	CHECK(mxn_spin_window(&s, t + 10) == MXN_SPIN_SPARE_MAX * 50000 && fake_samples == 0);
	/* during a spin: the crowd ends it, without a back-off */
	CHECK(mxn_spin_preempted(&s, t + MXN_SPIN_LOAD_NS, t + MXN_SPIN_LOAD_NS + 1000));
	CHECK(fake_samples == 1 && s.crowded == 2 && s.quiet_ns == 0 && s.preemptions == 0);
	/* forced: the user's window, and one runnable task more tolerated (the
	 * guest the spinner woke: two spinners and it on 2 CPUs) */
	mxn_spin_setup(&s, 70000, true, 2);
	s.runnable = fake_load;
	fake_runnable = 4;
	CHECK(mxn_spin_window(&s, t) == 0 && s.crowded == 1);
	fake_runnable = 3;
	CHECK(mxn_spin_window(&s, t + MXN_SPIN_LOAD_NS) == 70000 && s.crowded == 1);
	CHECK(!mxn_spin_preempted(&s, t + MXN_SPIN_LOAD_NS, t + MXN_SPIN_LOAD_NS + 1000));
	fake_runnable = 4;
	CHECK(mxn_spin_preempted(&s, t + 2 * MXN_SPIN_LOAD_NS, t + 2 * MXN_SPIN_LOAD_NS + 1000));
	CHECK(s.crowded == 2 && s.preemptions == 0);
	/* the real sampler reads something sane here */
	CHECK(mxn_spin_runnable_proc() >= 1);
}

/* The window adapts to the sleeps after it (KVM's halt polling rule): a
 * sleep a longer window would have spared doubles it, up to
 * MXN_SPIN_ADAPT_MAX times the wanted one; a long sleep halves it back;
 * the spare-CPU factor applies to the grown window; no window, no growth. */
static void test_spin_adapt(void)
{
	const uint64_t w = 50000, max = w * MXN_SPIN_ADAPT_MAX;
	struct mxn_spin s;

	mxn_spin_setup(&s, w, true, 2);
	CHECK(mxn_spin_window(&s, 1000) == w);
	mxn_spin_slept(&s, 10000); /* a reply 60 us after the work: 10 us late */
	CHECK(mxn_spin_window(&s, 1000) == 2 * w);
	for (int i = 0; i < 10; i++)
		mxn_spin_slept(&s, 1000);
	CHECK(mxn_spin_base(&s) == max && mxn_spin_window(&s, 1000) == max);
	mxn_spin_slept(&s, 1000000); /* nothing came for 1 ms: shrink */
	CHECK(mxn_spin_base(&s) == max / 2);
	for (int i = 0; i < 10; i++)
		mxn_spin_slept(&s, 1000000);
	CHECK(mxn_spin_base(&s) == w && s.grown_ns == 0);
	/* a reload to a smaller window caps what grew */
	mxn_spin_slept(&s, 1000);
	mxn_spin_slept(&s, 1000);
	CHECK(mxn_spin_base(&s) == 4 * w);
	s.window_ns = w / 10;
	CHECK(mxn_spin_base(&s) == w / 10 * MXN_SPIN_ADAPT_MAX);
	/* auto on 16 CPUs, load unknown: twice the grown window */
	mxn_spin_setup(&s, w, false, 16);
	mxn_spin_slept(&s, 1000);
	CHECK(mxn_spin_window(&s, 1000) == 2 * 2 * w);
	/* never spinning: nothing grows */
	mxn_spin_setup(&s, 0, true, 16);
	mxn_spin_slept(&s, 1000);
	CHECK(s.grown_ns == 0 && mxn_spin_window(&s, 1000) == 0);
	mxn_spin_setup(&s, w, false, 2);
	CHECK(mxn_spin_window(&s, 1000) == 0);
}

/* What a rendezvous counts against the registered-memory budget: itself
 * up to one window, never more than the whole budget (so any message can
 * pass alone), the window when there is no budget. */
static void test_rndv_charge(void)
{
	CHECK(mxn_rndv_charge(0, 1u << 20) == 0);
	CHECK(mxn_rndv_charge(1000, 1u << 20) == 1000);
	CHECK(mxn_rndv_charge(MXN_RNDV_WINDOW + 1ull, 256ull << 20) == MXN_RNDV_WINDOW);
	CHECK(mxn_rndv_charge(MXN_LARGE_MAX, 256ull << 20) == MXN_RNDV_WINDOW);
	CHECK(mxn_rndv_charge(40ull << 20, 4ull << 20) == 4ull << 20);
	CHECK(mxn_rndv_charge(3ull << 20, 4ull << 20) == 3ull << 20);
	CHECK(mxn_rndv_charge(MXN_LARGE_MAX, 0) == MXN_RNDV_WINDOW);
	CHECK(MXN_LARGE_MAX == UINT32_MAX); /* MX's 32-bit lengths */
}

int main(void)
{
	test_rndv_charge();
	test_spin_adapt();
	test_layout();
	test_pair_layout();
	test_pair_xen_check();
	test_spin();
	test_spin_backoff();
	test_spin_load();
	test_wrap_and_suppression();
	test_disarm_woken();
	if (failures) {
		fprintf(stderr, "test_abi: %d failure(s)\n", failures);
		return 1;
	}
	printf("test_abi: ok\n");
	return 0;
}
