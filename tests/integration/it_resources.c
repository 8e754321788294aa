/* SPDX-License-Identifier: MIT */
/*
 * Running out of rendezvous room waits, it does not fail (MX): with the
 * daemon's limits tightened (run with outstanding = 16 and
 * registered_memory = 1 MiB), two endpoints of this process, one thread
 * each (they share the process's registered memory), each post 128 sends
 * (most of them rendezvous, 192 KiB, a small one every fourth) before any
 * receive, then post their receives with a wildcard mask.
 * Every send and receive must complete successfully, every byte must
 * arrive, in the order sent (receive i gets message i), and the library
 * must have queued sends rather than have them refused.
 */
#include <pthread.h>
#include "itest.h"

#define EA 40
#define EB 41
#define NMSG 128u
#define BIG (192u * 1024u)
#define SMALL 100u

static uint32_t len_of(uint32_t i)
{
	return i % 4 == 3 ? SMALL : BIG;
}

struct side {
	mx_endpoint_t ep;
	mx_endpoint_addr_t peer;
	uint8_t *sbuf[NMSG], *rbuf[NMSG];
	mx_request_t sreq[NMSG], rreq[NMSG];
	uint64_t seed, peer_seed;
};

static void post_sends(struct side *s)
{
	uint32_t i;

	for (i = 0; i < NMSG; i++) {
		mx_segment_t seg = { s->sbuf[i], len_of(i) };

		it_fill(s->sbuf[i], len_of(i), s->seed + i);
		IT_OK(mx_isend(s->ep, &seg, 1, s->peer, i, NULL, &s->sreq[i]));
	}
}

static void post_recvs(struct side *s)
{
	uint32_t i;

	for (i = 0; i < NMSG; i++) {
		mx_segment_t seg = { s->rbuf[i], BIG };

		IT_OK(mx_irecv(s->ep, &seg, 1, 0, 0, NULL, &s->rreq[i]));
	}
}

static void check(struct side *s, uint64_t peer_seed)
{
	mx_status_t st;
	uint32_t i;

	for (i = 0; i < NMSG; i++) {
		if (it_wait(s->ep, &s->rreq[i], &st))
			continue;
		IT_EQ(st.code, MX_STATUS_SUCCESS);
		IT_EQ(st.match_info, i); /* MX order per sender, across classes */
		IT_EQ(st.xfer_length, len_of(i));
		IT_EQ(it_verify(s->rbuf[i], len_of(i), peer_seed + st.match_info), -1);
	}
	for (i = 0; i < NMSG; i++)
		if (!it_wait(s->ep, &s->sreq[i], &st))
			IT_EQ(st.code, MX_STATUS_SUCCESS);
}

static void *run(void *arg)
{
	struct side *s = arg;

	post_sends(s);
	post_recvs(s);
	check(s, s->peer_seed);
	return NULL;
}

int main(void)
{
	pthread_t th;
	struct side a = { .seed = 0x1000, .peer_seed = 0x2000 }, b = { .seed = 0x2000, .peer_seed = 0x1000 };
	uint32_t i;

	it_init();
	a.ep = it_open(EA);
	b.ep = it_open(EB);
	a.peer = it_connect(a.ep, EB);
	b.peer = it_connect(b.ep, EA);
	for (i = 0; i < NMSG; i++) {
		a.sbuf[i] = malloc(BIG);
		a.rbuf[i] = malloc(BIG);
		b.sbuf[i] = malloc(BIG);
		b.rbuf[i] = malloc(BIG);
	}
	if (pthread_create(&th, NULL, run, &b))
		exit(1);
	run(&a);
	pthread_join(th, NULL);
	IT_CHECK(it_counter(a.ep, "Sends waiting for rendezvous room") > 0);
	printf("queued sends: %llu + %llu\n",
	       (unsigned long long)it_counter(a.ep, "Sends waiting for rendezvous room"),
	       (unsigned long long)it_counter(b.ep, "Sends waiting for rendezvous room"));
	for (i = 0; i < NMSG; i++) {
		free(a.sbuf[i]);
		free(a.rbuf[i]);
		free(b.sbuf[i]);
		free(b.rbuf[i]);
	}
	mx_close_endpoint(a.ep);
	mx_close_endpoint(b.ep);
	mx_finalize();
	return it_done("resources");
}
