/* SPDX-License-Identifier: MIT */
/*
 * Loop-thread copies of a client's memory are bounded (copy_bounded.h):
 * ordinary memory copies both ways byte for byte; memory whose fault never
 * resolves (userfaultfd nobody serves) costs the caller one bound, then that
 * uid's copies fail at once while its helper stays stuck; once the fault is
 * served the stuck helper finishes alone and copies work again.  Before
 * this, the wire engine's copies ran straight on the loop (principal.c),
 * and such memory froze it for good.  userfaultfd needs root here (77).
 * A helper a busy host has not run yet is no stall: the bound runs from
 * the copy's start (starved_helper, needs real-time priority, else that
 * part is skipped).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "copy_bounded.h"
#include "tcheck.h"

/* Times this thread went to sleep (a wait, a contended lock). */
static long sleeps(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_THREAD, &ru) ? -1 : ru.ru_nvcsw;
}

static uint64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

static struct mxd_region region_of(struct mxn_vaddr_seg *seg, void *p, uint64_t len)
{
	seg->addr = (uint64_t)(uintptr_t)p;
	seg->len = len;
	return (struct mxd_region){ .kind = MXN_REGION_VADDR, .nsegs = 1, .total_len = len,
				    .seg.vaddr = seg };
}

static void ordinary(struct mxd_principal *p)
{
	static uint8_t mem[65536], buf[65536];
	struct mxn_vaddr_seg seg;
	struct mxd_region r = region_of(&seg, mem, sizeof(mem));

	for (size_t i = 0; i < sizeof(mem); i++)
		mem[i] = (uint8_t)(i * 7 + 1);
	CHECK_EQ(mxd_bounded_copy(p, &r, 100, buf, 60000, false), 0);
	CHECK(!memcmp(buf, mem + 100, 60000));
	memset(buf, 0xa5, sizeof(buf));
	CHECK_EQ(mxd_bounded_copy(p, &r, 5, buf, 1000, true), 0);
	CHECK(mem[4] == (uint8_t)(4 * 7 + 1) && mem[5] == 0xa5 && mem[1004] == 0xa5 &&
	      mem[1005] == (uint8_t)(1005 * 7 + 1));
	CHECK(mxd_bounded_copy(p, &r, 65000, buf, 1000, false) < 0); /* past the region */
}

static void *hog(void *arg)
{
	uint64_t until = now_ms() + *(unsigned *)arg;

	while (now_ms() < until)
		;
	return NULL;
}

/*
 * The helper cannot run for 300 ms (a real-time thread spins on its only
 * CPU, as a loaded host keeps it waiting): its copy has touched nothing,
 * so it is not stalled.  Waiting 50 ms from posting the job judged it
 * stalled and marked the uid stuck: on a busy host, good large wire
 * receives completed Rejected.
 */
static void starved_helper(struct mxd_principal *p)
{
	static uint8_t mem[4096], buf[4096];
	struct sched_param lo = { .sched_priority = 1 }, hi = { .sched_priority = 2 };
	struct sched_param other = { .sched_priority = 0 };
	struct mxn_vaddr_seg seg;
	struct mxd_region r = region_of(&seg, mem, sizeof(mem));
	unsigned spin_ms = 300;
	pthread_attr_t at;
	pthread_t t;
	cpu_set_t one;
	uint64_t t0;
	int err;

	CPU_ZERO(&one);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &one);
	/* the helper starts here, on our one CPU, at normal priority */
	if (sched_setaffinity(0, sizeof(one), &one) ||
	    mxd_bounded_copy(p, &r, 0, buf, 16, false) ||
	    pthread_setschedparam(pthread_self(), SCHED_FIFO, &hi)) {
		printf("SKIP starved helper: no real-time priority here\n");
		return;
	}
	for (size_t i = 0; i < sizeof(mem); i++)
		mem[i] = (uint8_t)(i * 3 + 5);
	pthread_attr_init(&at);
	pthread_attr_setinheritsched(&at, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&at, SCHED_FIFO);
	pthread_attr_setschedparam(&at, &lo);
	err = pthread_create(&t, &at, hog, &spin_ms);
	pthread_attr_destroy(&at);
	if (err) {
		pthread_setschedparam(pthread_self(), SCHED_OTHER, &other);
		printf("SKIP starved helper: no real-time thread here\n");
		return;
	}
	usleep(10000);      /* the hog spins: the helper cannot run */
	t0 = now_ms();
	err = mxd_bounded_copy(p, &r, 0, buf, sizeof(buf), false);
	printf("starved helper: copy returned %d after %llu ms\n", err,
	       (unsigned long long)(now_ms() - t0));
	CHECK_EQ(err, 0);
	CHECK(!memcmp(buf, mem, sizeof(buf)));
	CHECK_EQ(mxd_bounded_copy_stalls(), 0);
	CHECK_EQ(mxd_bounded_copy_stuck(), 0);
	pthread_join(t, NULL);
	pthread_setschedparam(pthread_self(), SCHED_OTHER, &other);
}

int main(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct mxd_principal *p;
	struct mxn_vaddr_seg seg;
	struct mxd_region r;
	uint8_t buf[8192];
	uint64_t t0, t;
	void *area;
	int uffd;

	CHECK_EQ(mxd_principal_new(getpid(), getuid(), getgid(), &p), 0);
	starved_helper(p);
	ordinary(p);

	uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	area = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	reg.range.start = (uint64_t)(uintptr_t)area;
	reg.range.len = 8192;
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api) || area == MAP_FAILED ||
	    ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		printf("SKIP: userfaultfd unavailable here (%s)\n", strerror(errno));
		return 77;
	}
	r = region_of(&seg, area, 8192);

	/* a fault nobody serves: one bound, then -ETIMEDOUT */
	t0 = now_ms();
	CHECK_EQ(mxd_bounded_copy(p, &r, 0, buf, sizeof(buf), false), -ETIMEDOUT);
	t = now_ms() - t0;
	printf("stalled copy returned after %llu ms (bound %u ms)\n", (unsigned long long)t,
	       MXD_BOUNDED_COPY_MS);
	/* at least the bound; no upper end is asserted (a loaded host may keep
	 * us off the CPU after it): without the bound this copy would wait
	 * for a fault nobody serves, for ever, and ctest's timeout says so */
	CHECK(t >= MXD_BOUNDED_COPY_MS - 1);
	CHECK_EQ(mxd_bounded_copy_stalls(), 1);
	CHECK_EQ(mxd_bounded_copy_stuck(), 1);
	/* the same uid's next copy, even of ordinary memory, fails at once:
	 * this thread never sleeps in it (it once asserted < 50 ms on the
	 * clock, which a preemption on a loaded host can exceed) */
	t0 = (uint64_t)sleeps();
	CHECK_EQ(mxd_bounded_copy(p, &r, 0, buf, 16, false), -ETIMEDOUT);
	CHECK_EQ((uint64_t)sleeps(), t0);
	CHECK_EQ(mxd_bounded_copy_stalls(), 1);

	/* served at last: the abandoned helper finishes alone, copies work again */
	{
		struct uffdio_zeropage z = { .range = { .start = (uint64_t)(uintptr_t)area,
							.len = 8192 } };

		CHECK_EQ(ioctl(uffd, UFFDIO_ZEROPAGE, &z), 0);
	}
	/* a wait for the helper to run, bounded only against a hang */
	for (int i = 0; i < 2000 && mxd_bounded_copy_stuck(); i++)
		usleep(5000);
	CHECK_EQ(mxd_bounded_copy_stuck(), 0);
	memset(buf, 0x11, sizeof(buf));
	CHECK_EQ(mxd_bounded_copy(p, &r, 0, buf, sizeof(buf), false), 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		if (buf[i])
			CHECK(!"zero page expected");
	ordinary(p);
	mxd_principal_put(p);
	printf("PASS\n");
	return 0;
}
