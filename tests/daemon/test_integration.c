/* SPDX-License-Identifier: MIT */
/*
 * Integration: start the real myribackd on private sockets and speak the
 * raw ABI to it from several clients (some in child processes, since a
 * guest is a process): tiny/queued/rendezvous exchange, hostile clients cut
 * off alone, a client killed mid-transfer.  Counters come from the control
 * socket, as myrixenctl reads them.
 * usage: test_daemon_integration PATH/TO/myribackd
 */
#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "rawclient.h"
#include "tcheck.h"

#define KEY 0x5eed
#define WAIT_MS 5000

static char dir[64], sock_path[100], ctl_path[100];
static pid_t daemon_pid;

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void start_daemon(const char *bin)
{
	struct rawclient probe;

	snprintf(dir, sizeof(dir), "/tmp/mxd-it-XXXXXX");
	CHECK(mkdtemp(dir));
	snprintf(sock_path, sizeof(sock_path), "%s/run/local.sock", dir);
	snprintf(ctl_path, sizeof(ctl_path), "%s/ctl.sock", dir);
	daemon_pid = fork();
	CHECK(daemon_pid >= 0);
	if (daemon_pid == 0) {
		setenv("MYRIXEN_CTL_SOCKET", ctl_path, 1);
		unsetenv("NOTIFY_SOCKET");
		execl(bin, bin, "-f", "-s", sock_path, (char *)NULL);
		perror("exec myribackd");
		_exit(127);
	}
	/* Bounded wait for the listener (not a timing assertion). */
	for (int i = 0; i < 500; i++) {
		if (access(sock_path, F_OK) == 0 && rc_open(&probe, sock_path, MXN_ENDPOINT_ANY, 0) == 0) {
			rc_close(&probe);
			return;
		}
		sleep_ms(20);
	}
	fprintf(stderr, "myribackd did not come up\n");
	kill(daemon_pid, SIGKILL);
	exit(1);
}

static long long counter(const char *key)
{
	static char body[16384];

	CHECK_EQ(ctl_request(ctl_path, "json counters\n", body, sizeof(body)), 0);
	return json_field(body, key);
}

/* Wait (bounded) until a counter reaches a value. */
static void await_counter(const char *key, long long want)
{
	for (int i = 0; i < 250 && counter(key) != want; i++)
		sleep_ms(20);
	CHECK_EQ(counter(key), want);
}

static struct mxn_evt wait_evt(struct rawclient *rc, uint8_t type)
{
	struct mxn_evt e;

	CHECK(rc_wait(rc, &e, WAIT_MS));
	CHECK_EQ(e.type, type);
	return e;
}

static struct mxn_cmd to(const struct rawclient *dst, uint8_t op, uint64_t cookie)
{
	struct mxn_cmd c = { .op = op, .cookie = cookie, .dest_peer = MXN_PEER_SELF,
			     .dest_endpoint = dst->rsp.endpoint, .dest_session = dst->rsp.session };
	return c;
}

/* Pairs brokered so far, by the two sessions (unique per endpoint). */
static uint32_t pairs_seen[256][2];
static unsigned npairs_seen;

static bool pair_seen(uint32_t s1, uint32_t s2)
{
	for (unsigned i = 0; i < npairs_seen; i++)
		if ((pairs_seen[i][0] == s1 && pairs_seen[i][1] == s2) ||
		    (pairs_seen[i][0] == s2 && pairs_seen[i][1] == s1))
			return true;
	if (npairs_seen < 256) {
		pairs_seen[npairs_seen][0] = s1;
		pairs_seen[npairs_seen++][1] = s2;
	}
	return false;
}

static void connect_to(struct rawclient *a, struct rawclient *b, uint32_t key, uint8_t want)
{
	struct mxn_cmd c = { .op = MXN_CMD_CONNECT, .cookie = 7 };
	struct mxn_evt e;

	c.u.connect.nic_id = b->rsp.nic_id;
	c.u.connect.endpoint = b->rsp.endpoint;
	c.u.connect.key = key;
	CHECK(rc_send(a, &c));
	e = wait_evt(a, MXN_EVT_CONNECT_DONE);
	CHECK_EQ(e.status, want);
	CHECK_EQ(e.u.connect.cookie, 7);
	if (want == MXN_ST_OK) {
		CHECK_EQ(e.u.connect.session, b->rsp.session);
		CHECK_EQ(e.u.connect.endpoint, b->rsp.endpoint);
		CHECK_EQ(e.u.connect.peer, MXN_PEER_SELF);
	}
	rc_release(a);
	/* The first connection of two local endpoints brokers a pair channel:
	 * b hears of it first thing (a's notice came before CONNECT_DONE). */
	if (want == MXN_ST_OK && a != b && !pair_seen(a->rsp.session, b->rsp.session)) {
		b->pair_events = true;
		e = wait_evt(b, MXN_EVT_PAIR_OPEN);
		b->pair_events = false;
		CHECK_EQ(e.u.pair.peer_endpoint, a->rsp.endpoint);
		CHECK_EQ(e.u.pair.peer_session, a->rsp.session);
		rc_release(b);
	}
}

static void ping(struct rawclient *a, struct rawclient *b, const char *msg)
{
	struct mxn_cmd c = to(b, MXN_CMD_SEND_TINY, 1);
	struct mxn_evt e;
	size_t n = strlen(msg);

	memcpy(c.u.tiny, msg, n);
	c.length = (uint32_t)n;
	CHECK(rc_send(a, &c));
	e = wait_evt(b, MXN_EVT_RECV_TINY);
	CHECK_EQ(e.length, n);
	CHECK(!memcmp(e.u.tiny, msg, n));
	rc_release(b);
	e = wait_evt(a, MXN_EVT_SEND_DONE);
	CHECK_EQ(e.status, MXN_ST_OK);
	rc_release(a);
}

static void exchange(struct rawclient *a, struct rawclient *b)
{
	enum { QLEN = 20000, RLEN = 4 << 20 };
	uint8_t *q = malloc(QLEN), *src = malloc(RLEN), *dst = calloc(1, RLEN);
	struct mxn_cmd c;
	struct mxn_evt e;
	uint32_t dlen;

	connect_to(a, b, KEY, MXN_ST_OK);
	connect_to(a, b, KEY + 1, MXN_ST_BAD_KEY);
	/* tiny, answered to the reply address carried by the event */
	c = to(b, MXN_CMD_SEND_TINY, 2);
	memcpy(c.u.tiny, "ping", 4);
	c.length = 4;
	c.match_info = 0x1122334455667788ull;
	CHECK(rc_send(a, &c));
	e = wait_evt(b, MXN_EVT_RECV_TINY);
	CHECK(!memcmp(e.u.tiny, "ping", 4));
	CHECK_EQ(e.match_info, 0x1122334455667788ull);
	CHECK_EQ(e.src_endpoint, a->rsp.endpoint);
	CHECK_EQ(e.src_nic_id, a->rsp.nic_id);
	rc_release(b);
	c = (struct mxn_cmd){ .op = MXN_CMD_SEND_TINY, .cookie = 3, .dest_peer = e.src_peer,
			      .dest_endpoint = e.src_endpoint, .dest_session = e.src_session };
	memcpy(c.u.tiny, "pong", 4);
	c.length = 4;
	CHECK(rc_send(b, &c));
	e = wait_evt(a, MXN_EVT_SEND_DONE);
	CHECK_EQ(e.u.done.cookie, 2);
	CHECK_EQ(e.u.done.xfer_length, 4);
	e = wait_evt(a, MXN_EVT_RECV_TINY);
	CHECK(!memcmp(e.u.tiny, "pong", 4));
	rc_release(a);
	e = wait_evt(b, MXN_EVT_SEND_DONE);
	CHECK_EQ(e.u.done.cookie, 3);
	rc_release(b);

	/* queued: the payload travels sendq -> recvq */
	for (int i = 0; i < QLEN; i++)
		q[i] = (uint8_t)(i * 13 + 1);
	c = to(b, MXN_CMD_SEND_QUEUED, 4);
	c.length = QLEN;
	c.u.q.off = tg_sendq_put(&a->g, q, QLEN);
	CHECK(rc_send(a, &c));
	e = wait_evt(b, MXN_EVT_RECV_QUEUED);
	CHECK_EQ(e.length, QLEN);
	CHECK(e.u.q.off + QLEN <= b->g.geo.recvq_size);
	CHECK(!memcmp(b->g.recvq + e.u.q.off, q, QLEN));
	rc_release(b);
	e = wait_evt(a, MXN_EVT_SEND_DONE);
	CHECK_EQ(e.u.done.cookie, 4);
	CHECK_EQ(e.u.done.xfer_length, QLEN);
	rc_release(a);

	/* synchronous rendezvous of 4 MiB from a three-segment region */
	for (int i = 0; i < RLEN; i++)
		src[i] = (uint8_t)(i ^ (i >> 11));
	{
		struct {
			struct mxn_region_desc h;
			struct mxn_vaddr_seg s[3];
		} d = { { MXN_REGION_VADDR, 3, RLEN },
			{ { (uintptr_t)src, 1000 },
			  { (uintptr_t)src + 1000, (1 << 20) },
			  { (uintptr_t)src + 1000 + (1 << 20), RLEN - 1000 - (1 << 20) } } };

		c = to(b, MXN_CMD_SEND_RNDV, 5);
		c.flags = MXN_CMDF_SYNC;
		c.length = RLEN;
		c.u.rndv.desc_off = tg_sendq_put(&a->g, &d, sizeof(d));
		c.u.rndv.desc_len = sizeof(d);
	}
	CHECK(rc_send(a, &c));
	e = wait_evt(b, MXN_EVT_RECV_RNDV);
	CHECK_EQ(e.length, RLEN);
	CHECK_EQ(e.flags, MXN_EVTF_SYNC);
	rc_release(b);
	c = (struct mxn_cmd){ .op = MXN_CMD_PULL, .cookie = 6 };
	c.u.pull.rndv_handle = e.u.rndv.rndv_handle;
	c.u.pull.pull_len = RLEN;
	c.u.pull.desc_off = tg_put_region(&b->g, dst, RLEN, &dlen);
	c.u.pull.desc_len = dlen;
	CHECK(rc_send(b, &c));
	e = wait_evt(b, MXN_EVT_PULL_DONE);
	CHECK_EQ(e.status, MXN_ST_OK);
	CHECK_EQ(e.u.done.cookie, 6);
	CHECK_EQ(e.u.done.xfer_length, RLEN);
	rc_release(b);
	e = wait_evt(a, MXN_EVT_SEND_DONE);
	CHECK_EQ(e.u.done.cookie, 5);
	CHECK_EQ(e.u.done.xfer_length, RLEN);
	rc_release(a);
	CHECK(!memcmp(src, dst, RLEN));
	free(q);
	free(src);
	free(dst);
}

/* Child: misbehave as told; exit 0 when the daemon cut us off and said so. */
static int hostile_child(const struct rawclient *victim, int how)
{
	struct rawclient h;
	struct mxn_cmd c = to(victim, MXN_CMD_SEND_QUEUED, 1);
	struct mxn_evt e;
	bool told = false;

	if (rc_open(&h, sock_path, MXN_ENDPOINT_ANY, KEY))
		return 2;
	switch (how) {
	case 0: /* impossible producer index */
		h.g.cmd.ctl->prod = h.g.cmd.cons_pvt + 5000;
		rc_kick(&h);
		break;
	case 1: /* queued payload reaching past the sendq */
		c.length = 4000;
		c.u.q.off = h.g.geo.sendq_size - 100;
		rc_send(&h, &c);
		rc_kick(&h);
		break;
	case 2: /* a flood of garbage slots */
		for (uint32_t i = 0; i < 4096; i++)
			((uint8_t *)h.g.cmds)[i % (64u << h.g.geo.cmd_order)] = (uint8_t)(i * 151);
		h.g.cmd.ctl->prod = 1u << h.g.geo.cmd_order;
		rc_kick(&h);
		break;
	}
	if (!rc_closed_by_daemon(&h, WAIT_MS))
		return 3;
	while (tg_next(&h.g, &e))
		told |= e.type == MXN_EVT_GUEST_ERROR;
	return told ? 0 : 4;
}

static void hostile(struct rawclient *a, struct rawclient *b, int how, long long cutoffs)
{
	pid_t pid = fork();
	int status;

	CHECK(pid >= 0);
	if (pid == 0)
		_exit(hostile_child(b, how));
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	await_counter("guest_cutoffs", cutoffs);
	await_counter("endpoints", 2);
	/* Only the hostile guest went: the others keep talking. */
	ping(a, b, "still here");
	ping(b, a, "me too");
}

/* A client announces a rendezvous and queues messages, then dies. */
static void killed_mid_transfer(struct rawclient *a, struct rawclient *b)
{
	static uint8_t big[1 << 20];
	int pfd[2], status;
	struct rawclient again;
	struct mxn_evt e;
	struct mxn_cmd c;
	uint32_t rndv = 0;
	int queued = 0;
	pid_t pid;
	char ready;

	CHECK_EQ(pipe(pfd), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct rawclient k;
		uint32_t dlen;

		close(pfd[0]);
		if (rc_open(&k, sock_path, 200, KEY))
			_exit(2);
		connect_to(&k, b, KEY, MXN_ST_OK);
		memset(big, 0x5a, sizeof(big));
		c = to(b, MXN_CMD_SEND_RNDV, 1);
		c.length = sizeof(big);
		c.u.rndv.desc_off = tg_put_region(&k.g, big, sizeof(big), &dlen);
		c.u.rndv.desc_len = dlen;
		rc_send(&k, &c);
		for (int i = 0; i < 40; i++) {
			c = to(b, MXN_CMD_SEND_QUEUED, 100 + (uint64_t)i);
			c.length = 1000;
			c.u.q.off = tg_sendq_put(&k.g, big, 1000);
			rc_send(&k, &c);
		}
		if (write(pfd[1], "r", 1) != 1)
			_exit(3);
		pause();
		_exit(0);
	}
	close(pfd[1]);
	CHECK_EQ(read(pfd[0], &ready, 1), 1);
	close(pfd[0]);
	await_counter("endpoints", 3);
	/* Let the daemon take (some of) the commands, then kill the client. */
	CHECK(rc_wait(b, &e, WAIT_MS));
	CHECK_EQ(e.type, MXN_EVT_RECV_RNDV);
	rndv = e.u.rndv.rndv_handle;
	kill(pid, SIGKILL);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	await_counter("endpoints", 2);
	while (rc_wait(b, &e, 200)) {
		CHECK_EQ(e.type, MXN_EVT_RECV_QUEUED);
		queued++;
	}
	rc_release(b);
	CHECK(queued <= 40);
	/* Pulling from the dead sender completes CLOSED, nothing moved. */
	c = (struct mxn_cmd){ .op = MXN_CMD_PULL, .cookie = 9 };
	c.u.pull.rndv_handle = rndv;
	c.u.pull.pull_len = sizeof(big);
	{
		uint32_t dlen;

		memset(big, 0, sizeof(big));
		c.u.pull.desc_off = tg_put_region(&b->g, big, sizeof(big), &dlen);
		c.u.pull.desc_len = dlen;
	}
	CHECK(rc_send(b, &c));
	e = wait_evt(b, MXN_EVT_PULL_DONE);
	CHECK_EQ(e.status, MXN_ST_CLOSED);
	CHECK_EQ(e.u.done.xfer_length, 0);
	CHECK_EQ(big[0], 0);
	rc_release(b);
	/* Its endpoint index was freed, and the daemon still serves. */
	CHECK_EQ(rc_open(&again, sock_path, 200, KEY), 0);
	CHECK_EQ(again.rsp.endpoint, 200);
	connect_to(a, &again, KEY, MXN_ST_OK);
	ping(a, &again, "hello again");
	rc_close(&again);
	await_counter("endpoints", 2);
	CHECK_EQ(counter("guest_cutoffs"), 3); /* dying is not misbehaving */
}

/*
 * The client exits but a child inherited its connection, so the endpoint
 * lives on: its process is gone, and the daemon must not touch whatever
 * process gets that pid next.  Pulling from it fails cleanly.
 */
static void inherited_socket(struct rawclient *b)
{
	static uint8_t data[4096];
	int pfd[2], status;
	pid_t pid, grandchild;
	struct mxn_evt e;
	struct mxn_cmd c;
	uint32_t dlen;
	long long refused0 = counter("pull_refused");

	CHECK_EQ(pipe(pfd), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct rawclient k;
		pid_t g;

		close(pfd[0]);
		if (rc_open(&k, sock_path, MXN_ENDPOINT_ANY, KEY))
			_exit(2);
		connect_to(&k, b, KEY, MXN_ST_OK);
		memset(data, 0x77, sizeof(data));
		c = to(b, MXN_CMD_SEND_RNDV, 1);
		c.length = sizeof(data);
		c.u.rndv.desc_off = tg_put_region(&k.g, data, sizeof(data), &dlen);
		c.u.rndv.desc_len = dlen;
		rc_send(&k, &c);
		g = fork();
		if (g == 0) {
			pause(); /* holds the connection */
			_exit(0);
		}
		if (write(pfd[1], &g, sizeof(g)) != sizeof(g))
			_exit(3);
		_exit(0);
	}
	close(pfd[1]);
	CHECK_EQ(read(pfd[0], &grandchild, sizeof(grandchild)), sizeof(grandchild));
	close(pfd[0]);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	e = wait_evt(b, MXN_EVT_RECV_RNDV);
	rc_release(b);
	c = (struct mxn_cmd){ .op = MXN_CMD_PULL, .cookie = 11 };
	c.u.pull.rndv_handle = e.u.rndv.rndv_handle;
	c.u.pull.pull_len = sizeof(data);
	memset(data, 0, sizeof(data));
	c.u.pull.desc_off = tg_put_region(&b->g, data, sizeof(data), &dlen);
	c.u.pull.desc_len = dlen;
	CHECK(rc_send(b, &c));
	e = wait_evt(b, MXN_EVT_PULL_DONE);
	CHECK_EQ(e.status, MXN_ST_BAD_REQUEST);
	CHECK_EQ(e.u.done.xfer_length, 0);
	CHECK_EQ(data[0], 0);
	rc_release(b);
	/* The process that opened is gone: refused as no longer that principal. */
	CHECK(counter("pull_refused") > refused0);
	kill(grandchild, SIGKILL);
	await_counter("endpoints", 2);
}

/* Geometry requests are clamped; a foreign ABI version is refused. */
static void open_requests(void)
{
	struct mxn_open_req req = { .abi_version = MYRIXEN_ABI_VERSION + 98, .endpoint = MXN_ENDPOINT_ANY };
	long long refused = counter("open_refused");
	const struct mxn_area_hdr *h;
	struct rawclient rc;
	uint8_t longer[sizeof(req) + 8] = { 0 };

	CHECK_EQ(rc_open_req(&rc, sock_path, &req), -EPROTO);
	req.abi_version = MYRIXEN_ABI_VERSION;
	/* A valid request followed by more bytes is not read as its prefix. */
	memcpy(longer, &req, sizeof(req));
	CHECK_EQ(rc_open_bytes(&rc, sock_path, longer, sizeof(longer)), -EINVAL);
	CHECK_EQ(rc_open_bytes(&rc, sock_path, &req, sizeof(req) - 1), -EINVAL);
	/* Reserved fields must be zero (abi.h). */
	req.pad1 = 1;
	CHECK_EQ(rc_open_req(&rc, sock_path, &req), -EINVAL);
	req.pad1 = 0;
	req.pad0 = 0x80;
	CHECK_EQ(rc_open_req(&rc, sock_path, &req), -EINVAL);
	req.pad0 = 0;
	CHECK_EQ(counter("open_refused") - refused, 5);
	req.cmd_order = 30;
	req.evt_order = 1;
	req.sendq_size = 0xffffffffu;
	req.recvq_size = 1;
	CHECK_EQ(rc_open_req(&rc, sock_path, &req), 0);
	h = rc.area;
	CHECK_EQ(h->cmd_order, MXN_RING_ORDER_MAX);
	CHECK_EQ(h->evt_order, MXN_RING_ORDER_MIN);
	CHECK_EQ(h->sendq_size, 1024 * 1024); /* the configured maximum */
	CHECK_EQ(h->recvq_size, MXN_QUEUE_MIN);
	CHECK_EQ(h->area_size, rc.rsp.area_size);
	/* Sealed: the guest cannot shrink the area under the daemon's mapping. */
	CHECK_EQ(fcntl(rc.memfd, F_GET_SEALS) & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL),
		 F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	CHECK(ftruncate(rc.memfd, 4096) != 0);
	rc_close(&rc);
	await_counter("endpoints", 2);
}

/* Publish A's queued commands; kick when the daemon asked. */
static void push(struct rawclient *rc)
{
	if (tg_push(&rc->g))
		rc_kick(rc);
}

/*
 * Many messages through small rings and a small recvq with a slow receiver:
 * the sender stalls on the receiver's room again and again; every wake-up
 * must arrive (a lost one shows as a 5 s silence), nothing is lost or
 * reordered, every payload byte is right.
 */
static void stress(void)
{
	enum { N = 3000, SLOT = 8192, INFLIGHT = 15 };
	struct mxn_open_req req = { .abi_version = MYRIXEN_ABI_VERSION, .key = KEY,
				    .endpoint = MXN_ENDPOINT_ANY, .cmd_order = 4, .evt_order = 4,
				    .sendq_size = 16 * SLOT, .recvq_size = MXN_QUEUE_MIN };
	struct rawclient a, b;
	uint32_t sent = 0, done = 0, recvd = 0;
	long long stalls0 = counter("stalls");
	bool stalled = false;
	int holding = 0;

	CHECK_EQ(rc_open_req(&a, sock_path, &req), 0);
	CHECK_EQ(rc_open_req(&b, sock_path, &req), 0);
	connect_to(&a, &b, KEY, MXN_ST_OK);
	while (done < N || recvd < N) {
		struct pollfd p[2] = { { .fd = a.irq, .events = POLLIN }, { .fd = b.irq, .events = POLLIN } };
		struct mxn_evt e;
		bool progress = false;
		uint64_t v;

		while (sent < N && sent - done < INFLIGHT) {
			uint32_t len = (sent * 2654435761u) % 7000 + 1;
			struct mxn_cmd c = to(&b, len <= MXN_TINY_MAX ? MXN_CMD_SEND_TINY
								       : MXN_CMD_SEND_QUEUED, sent);
			uint8_t *dst = len <= MXN_TINY_MAX ? c.u.tiny : a.g.sendq + (sent % 16) * SLOT;

			for (uint32_t i = 0; i < len; i++)
				dst[i] = (uint8_t)(sent + i * 7);
			c.length = len;
			c.match_info = sent;
			c.u.q.off = len <= MXN_TINY_MAX ? c.u.q.off : (sent % 16) * SLOT;
			if (len <= MXN_TINY_MAX)
				memcpy(c.u.tiny, dst, len);
			if (!tg_post(&a.g, &c))
				break;
			sent++;
			progress = true;
		}
		push(&a);
		while (tg_next(&a.g, &e)) {
			CHECK_EQ(e.type, MXN_EVT_SEND_DONE);
			CHECK_EQ(e.status, MXN_ST_OK);
			CHECK_EQ(e.u.done.cookie, done);
			done++;
			progress = true;
		}
		rc_release(&a);
		/* The slow receiver: one message per round, and none until the
		 * sender had to wait for its room (the path under test; on a
		 * busy host timing alone may never produce it). */
		if (!stalled) {
			stalled = counter("stalls") > stalls0;
			CHECK(holding++ < 5000); /* 5 s */
		}
		if (stalled && tg_next(&b.g, &e)) {
			const uint8_t *data = e.type == MXN_EVT_RECV_TINY ? e.u.tiny
									  : b.g.recvq + e.u.q.off;

			CHECK_EQ(e.match_info, recvd);
			CHECK_EQ(e.length, (recvd * 2654435761u) % 7000 + 1);
			for (uint32_t i = 0; i < e.length; i++)
				if (data[i] != (uint8_t)(recvd + i * 7))
					CHECK(!"payload byte differs");
			recvd++;
			rc_release(&b);
			progress = true;
		}
		if (progress)
			continue;
		if (!stalled) {
			sleep_ms(1);
			continue;
		}
		/* Nothing to do: sleep on both doorbells after the final check. */
		if (mxn_ring_arm(&a.g.evt) || mxn_ring_arm(&b.g.evt))
			continue;
		if (poll(p, 2, WAIT_MS) <= 0) {
			fprintf(stderr, "stress: stuck at sent %u done %u recvd %u\n", sent, done, recvd);
			CHECK(!"lost wake-up");
		}
		for (int i = 0; i < 2; i++)
			if (p[i].revents && read(p[i].fd, &v, sizeof(v)) < 0)
				CHECK(errno == EAGAIN);
	}
	CHECK(counter("stalls") > stalls0); /* the stall path really ran */
	rc_close(&a);
	rc_close(&b);
	await_counter("endpoints", 2);
}

/*
 * A client that never knew the victim's key sends to it: with the session
 * the old daemon would have handed out next (an LCG of the client's own),
 * and with the victim's real session (as if leaked).  Neither delivers,
 * both are counted; after a CONNECT with the key the same client is served.
 */
static void keyless_injection(void)
{
	struct rawclient x, v;
	long long before = counter("sends_unconnected");
	struct mxn_evt e;

	CHECK_EQ(rc_open(&x, sock_path, MXN_ENDPOINT_ANY, KEY + 7), 0);
	CHECK_EQ(rc_open(&v, sock_path, MXN_ENDPOINT_ANY, KEY), 0);
	for (int i = 0; i < 2; i++) {
		struct mxn_cmd c = to(&v, MXN_CMD_SEND_TINY, 30 + (uint64_t)i);

		c.dest_session = i ? v.rsp.session : x.rsp.session * 1103515245u + 12345u;
		memcpy(c.u.tiny, "inject", 6);
		c.length = 6;
		CHECK(rc_send(&x, &c));
		e = wait_evt(&x, MXN_EVT_SEND_DONE);
		CHECK_EQ(e.u.done.cookie, 30 + (uint64_t)i);
		CHECK_EQ(e.status, MXN_ST_BAD_SESSION);
		rc_release(&x);
	}
	CHECK(!rc_wait(&v, &e, 200)); /* the victim saw nothing */
	CHECK_EQ(counter("sends_unconnected") - before, 2);
	connect_to(&x, &v, KEY, MXN_ST_OK);
	ping(&x, &v, "with the key");
	ping(&v, &x, "and back"); /* the endpoint connected to may answer */
	rc_close(&x);
	rc_close(&v);
	await_counter("endpoints", 2);
}

/* Run the daemon with bad arguments: a clear message and a distinct exit code. */
static void cli_case(const char *bin, const char *a1, const char *a2, int want_status,
		     const char *want_text)
{
	char out[4096] = "";
	int pfd[2], status;
	ssize_t n, got = 0;
	pid_t pid;

	CHECK_EQ(pipe(pfd), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		dup2(pfd[1], 2);
		close(pfd[0]);
		setenv("MYRIXEN_SOCKET", sock_path, 1); /* never the system socket */
		execl(bin, bin, "-f", a1, a2, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	while ((n = read(pfd[0], out + got, sizeof(out) - 1 - (size_t)got)) > 0)
		got += n;
	out[got] = 0;
	close(pfd[0]);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), want_status);
	if (!strstr(out, want_text)) {
		fprintf(stderr, "expected '%s' in: %s\n", want_text, out);
		CHECK(!"message");
	}
}

static void cli_errors(const char *bin)
{
	char conf[160];
	FILE *f;

	cli_case(bin, "-x", NULL, 2, "usage: myribackd");
	cli_case(bin, "extra", NULL, 2, "unexpected argument 'extra'");
	snprintf(conf, sizeof(conf), "%s/bad.conf", dir);
	f = fopen(conf, "w");
	CHECK(f);
	fprintf(f, "poll_budget = 64\nno_such_key = 1\n");
	fclose(f);
	cli_case(bin, "-c", conf, 1, "bad.conf:2");
}

/* A client that connects and never asks to open is dropped (bounded wait). */
static void silent_client(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	CHECK(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	CHECK_EQ(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	CHECK_EQ(poll(&p, 1, 15000), 1);
	CHECK_EQ(recv(fd, &c, 1, 0), 0);
	close(fd);
	CHECK_EQ(counter("open_timeouts"), 1); /* half-open connections are counted */
}

static void cleanup(void)
{
	char p[160];

	snprintf(p, sizeof(p), "%s/bad.conf", dir);
	unlink(p);
	unlink(ctl_path);
	snprintf(p, sizeof(p), "%s/run", dir);
	rmdir(p);
	rmdir(dir);
}

int main(int argc, char **argv)
{
	struct rawclient a, b, dup;
	int status;

	if (argc != 2) {
		fprintf(stderr, "usage: %s MYRIBACKD\n", argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	start_daemon(argv[1]);
	CHECK_EQ(rc_open(&a, sock_path, MXN_ENDPOINT_ANY, KEY), 0);
	CHECK_EQ(rc_open(&b, sock_path, MXN_ENDPOINT_ANY, KEY), 0);
	CHECK(a.rsp.endpoint != b.rsp.endpoint);
	CHECK_EQ(a.rsp.abi_version, MYRIXEN_ABI_VERSION);
	CHECK(a.rsp.medium_max > MXN_TINY_MAX);
	/* An index in use is refused with a clear error. */
	CHECK_EQ(rc_open(&dup, sock_path, a.rsp.endpoint, KEY), -EBUSY);
	open_requests();
	keyless_injection();
	exchange(&a, &b);
	stress();
	CHECK(counter("sent_rndv") >= 1);
	CHECK_EQ(counter("pull_bytes"), 4 << 20);
	hostile(&a, &b, 0, 1);
	hostile(&a, &b, 1, 2);
	hostile(&a, &b, 2, 3);
	CHECK(counter("ring_faults") >= 1);
	killed_mid_transfer(&a, &b);
	inherited_socket(&b);
	cli_errors(argv[1]);
	silent_client();
	rc_close(&a);
	rc_close(&b);
	await_counter("endpoints", 0);
	/* Clean shutdown on SIGTERM with a client attached: its connection is
	 * closed, the daemon exits 0 and removes its socket. */
	CHECK_EQ(rc_open(&a, sock_path, MXN_ENDPOINT_ANY, KEY), 0);
	kill(daemon_pid, SIGTERM);
	CHECK_EQ(waitpid(daemon_pid, &status, 0), daemon_pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	CHECK(rc_closed_by_daemon(&a, WAIT_MS));
	rc_close(&a);
	CHECK(access(sock_path, F_OK) != 0);
	cleanup();
	printf("daemon integration: ok\n");
	return 0;
}
