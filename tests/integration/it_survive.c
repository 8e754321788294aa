/* SPDX-License-Identifier: MIT */
/*
 * Traffic that must survive the daemon: a client streams N messages of
 * every size class (window W in flight) to an echo server, which checks
 * each arrival's order (match info = message number, so a loss or a
 * duplicate is seen at once), length and bytes, and answers with a reply
 * of the same size the client checks the same way.  Both ends then check
 * that no extra (duplicate) message is left over.  Meant to run while
 * myribackd restarts or the guest is saved and restored: it prints
 * progress so a script can act mid-stream, and the longest pause between
 * two completions (what the application saw of the outage).
 *
 *   it_survive -s [-e EP] [-n N] [-w W] [-S MAX]          echo server
 *   it_survive -c -d HOST:EP [-n N] [-w W] [-S MAX] [-p P] client
 *
 * -m MIN: no message shorter (-m 65536: every one a rendezvous).
 * -k K (echo side) and -i ID (clients 1..K): one echo endpoint for K
 * clients, each client's messages numbered in its own order.
 * -G FILE -g I[,J,...] (echo side): before taking message I (then J ...)
 * of its client(s) it prints "gate G at message I" and waits until FILE
 * holds G + 1 bytes: the clients' windows are in flight meanwhile, so a
 * script restarts the daemon with traffic in flight however late it runs,
 * and never twice without traffic through the daemon started between.
 * -u A (both sides): open-ended, for a move whose length nobody knows (a
 * live migration's copy takes one to several minutes under emulation): the
 * client streams until its endpoint has re-attached, or has followed its
 * echo side to another host, then A more round trips (at least N in all),
 * and ends the run with a zero-length message of match info SV_END; the
 * echo side runs until that message.
 *
 * Exit 0 only when every byte of every message and reply checked out.
 */
#include <errno.h>
#include <stdbool.h>
#include <time.h>
#include "itest.h"

#define SV_WMAX 64u
#define SV_WAIT_MS 180000u   /* an emulated daemon restart takes seconds */
#define SV_UNTIL_MS 900000u  /* -u: no re-attach within this is a failure */
#define SV_END UINT64_MAX    /* -u: the client's last message */

static const uint32_t sv_sizes[] = { 0, 1, 32, 33, 128, 129, 4000, 32768, 32769, 70000, 262144,
				     1u << 20, 4u << 20 };
#define SV_NSIZES (sizeof(sv_sizes) / sizeof(sv_sizes[0]))

struct sv_opts {
	bool server, client;
	uint32_t ep, n, w, min, max, progress, until;
	uint32_t id;        /* -i: the client's number, in the top half of match info */
	uint32_t clients;   /* -k: the echo side serves this many numbered clients */
	const char *dest;
	const char *gate_file;  /* -G, -g: the echo side waits there */
	uint32_t gates[8], ngates;
};

#define SV_CLIENTS_MAX 4u

/* Match info of message i of client id (0: unnumbered, as before). */
static uint64_t sv_match(uint32_t id, uint32_t i)
{
	return (uint64_t)id << 32 | i;
}

static uint32_t sv_size(const struct sv_opts *o, uint32_t i)
{
	uint32_t s = sv_sizes[i % SV_NSIZES];

	s = s < o->min ? o->min : s;
	return s > o->max ? o->max : s;
}

static uint64_t sv_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct sv_slot {
	mx_request_t req;
	void *buf;
	bool busy;
};

static bool sv_wait(mx_endpoint_t ep, mx_request_t *r, mx_status_t *st, const char *what,
		    uint32_t i)
{
	uint32_t result = 0;
	mx_return_t ret = mx_wait(ep, r, SV_WAIT_MS, st, &result);

	if (ret != MX_SUCCESS || !result) {
		fprintf(stderr, "it_survive: %s %u: %s, result %u\n", what, i, mx_strerror(ret),
			result);
		it_failures++;
		return false;
	}
	if (st->code != MX_STATUS_SUCCESS) {
		fprintf(stderr, "it_survive: %s %u: status %s\n", what, i,
			mx_strstatus(st->code));
		it_failures++;
		return false;
	}
	return true;
}

/* Arrival number 'want' in slot s: order, length, bytes. */
static bool sv_check(const struct sv_opts *o, const mx_status_t *st, const void *buf,
		     uint32_t want, uint64_t salt, const char *what)
{
	uint64_t m = sv_match(o->id, want);
	long bad;

	if (st->match_info != m) {
		fprintf(stderr, "it_survive: %s: got message %" PRIu64 ", want %" PRIu64 " (%s)\n",
			what, st->match_info, m, st->match_info < m ? "duplicate" : "lost");
		it_failures++;
		return false;
	}
	if (st->msg_length != sv_size(o, want) || st->xfer_length != sv_size(o, want)) {
		fprintf(stderr, "it_survive: %s %u: length %u/%u, want %u\n", what, want,
			st->msg_length, st->xfer_length, sv_size(o, want));
		it_failures++;
		return false;
	}
	bad = it_verify(buf, sv_size(o, want), m ^ salt);
	if (bad >= 0) {
		fprintf(stderr, "it_survive: %s %u: byte %ld wrong\n", what, want, bad);
		it_failures++;
		return false;
	}
	return true;
}

/* Send 'i' completed: its receiver took all of it (every receive here is
 * posted at the largest size).  A rendezvous sent again after a restart
 * once reported the 0 of the copy its receiver released. */
static bool sv_sent(const struct sv_opts *o, const mx_status_t *st, uint32_t i, const char *what)
{
	if (st->xfer_length == sv_size(o, i))
		return true;
	fprintf(stderr, "it_survive: %s %u: sent length %u, want %u\n", what, i, st->xfer_length,
		sv_size(o, i));
	it_failures++;
	return false;
}

/* A receive and a send buffer per window slot. */
static void sv_slots(const struct sv_opts *o, struct sv_slot *rx, struct sv_slot *tx)
{
	uint32_t k;

	memset(rx, 0, SV_WMAX * sizeof(*rx));
	memset(tx, 0, SV_WMAX * sizeof(*tx));
	for (k = 0; k < o->w; k++) {
		rx[k].buf = malloc(o->max ? o->max : 1);
		tx[k].buf = malloc(o->max ? o->max : 1);
		if (!rx[k].buf || !tx[k].buf)
			exit(1);
	}
}

/* After a clean run nothing is posted any more; after a failure the
 * buffers stay (a posted receive may still be written) and the test fails. */
static void sv_slots_free(const struct sv_opts *o, struct sv_slot *rx, struct sv_slot *tx)
{
	if (it_failures)
		return;
	for (uint32_t k = 0; k < o->w; k++) {
		free(rx[k].buf);
		free(tx[k].buf);
	}
}

/* A receive for client id's messages (any message when unnumbered). */
static void sv_post(mx_endpoint_t ep, const struct sv_opts *o, struct sv_slot *s)
{
	mx_segment_t seg = { s->buf, o->max };

	IT_FATAL(mx_irecv(ep, &seg, 1, sv_match(o->id, 0), o->id ? 0xffffffff00000000ull : 0,
			  NULL, &s->req));
	s->busy = true;
}

static void sv_send(mx_endpoint_t ep, const struct sv_opts *o, mx_endpoint_addr_t dest,
		    struct sv_slot *s, uint32_t i, uint64_t salt)
{
	mx_segment_t seg = { s->buf, sv_size(o, i) };

	it_fill(s->buf, sv_size(o, i), sv_match(o->id, i) ^ salt);
	IT_FATAL(mx_isend(ep, &seg, 1, dest, sv_match(o->id, i), NULL, &s->req));
	s->busy = true;
}

/* No message beyond the N expected may arrive (a duplicate would). */
static void sv_no_extra(mx_endpoint_t ep)
{
	mx_status_t st;
	uint32_t result = 0;

	mx_probe(ep, 1000, 0, 0, &st, &result);
	if (result) {
		fprintf(stderr, "it_survive: extra message %" PRIu64 " after the last one\n",
			st.match_info);
		it_failures++;
	}
}

static void sv_counters(mx_endpoint_t ep, const char *who, uint64_t stall)
{
	uint32_t n = 0, i, *v;
	char *labels;
	char line[1024];
	int len;

	len = snprintf(line, sizeof(line), "it_survive: %s longest pause %" PRIu64 " ms", who,
		       stall);
	if (mx_get_info(ep, MX_COUNTERS_COUNT, NULL, 0, &n, sizeof(n)) != MX_SUCCESS || !n)
		goto out;
	labels = calloc(n, MX_MAX_STR_LEN);
	v = calloc(n, sizeof(*v));
	if (labels && v &&
	    mx_get_info(ep, MX_COUNTERS_LABELS, NULL, 0, labels, n * MX_MAX_STR_LEN) == MX_SUCCESS &&
	    mx_get_info(ep, MX_COUNTERS_VALUES, NULL, 0, v, n * sizeof(*v)) == MX_SUCCESS)
		for (i = 0; i < n && len < (int)sizeof(line); i++)
			if (strstr(labels + i * MX_MAX_STR_LEN, "attach") ||
			    strstr(labels + i * MX_MAX_STR_LEN, "again") ||
			    strstr(labels + i * MX_MAX_STR_LEN, "Duplicate") ||
			    strstr(labels + i * MX_MAX_STR_LEN, "moved") ||
			    strstr(labels + i * MX_MAX_STR_LEN, "followed") ||
			    strstr(labels + i * MX_MAX_STR_LEN, "held") ||
			    strstr(labels + i * MX_MAX_STR_LEN, "failed after") ||
			    strstr(labels + i * MX_MAX_STR_LEN, "Pair"))
				len += snprintf(line + len, sizeof(line) - (size_t)len, ", %s %u",
						labels + i * MX_MAX_STR_LEN, v[i]);
	free(labels);
	free(v);
out:
	printf("%s\n", line);
	fflush(stdout);
}

/* -u: the receives still posted after the client's last message. */
static void sv_cancel_posted(mx_endpoint_t ep, const struct sv_opts *o, struct sv_slot *rx)
{
	uint32_t k, result;

	for (k = 0; k < o->w; k++) {
		if (!rx[k].busy)
			continue;
		result = 0;
		if (mx_cancel(ep, &rx[k].req, &result) != MX_SUCCESS || !result) {
			fprintf(stderr, "it_survive: posted receive %u could not be cancelled\n", k);
			it_failures++;
		}
		rx[k].busy = false;
	}
}

static long sv_file_size(const char *path)
{
	FILE *f = fopen(path, "rb");
	long n = -1;

	if (f && fseek(f, 0, SEEK_END) == 0)
		n = ftell(f);
	if (f)
		fclose(f);
	return n;
}

/* -G/-g: at a gate, wait (bounded) until the script opened it. */
static void sv_gate(const struct sv_opts *o, uint32_t i, uint32_t *g)
{
	if (!o->gate_file || *g >= o->ngates || i != o->gates[*g])
		return;
	printf("it_survive: gate %u at message %u\n", *g, i);
	fflush(stdout);
	for (uint64_t end = sv_now_ms() + SV_WAIT_MS; sv_now_ms() < end;) {
		if (sv_file_size(o->gate_file) > (long)*g)
			break;
		usleep(20000);
	}
	(*g)++;
}

static void sv_server(mx_endpoint_t ep, const struct sv_opts *o)
{
	struct sv_slot rx[SV_WMAX], tx[SV_WMAX];
	uint64_t last = sv_now_ms(), stall = 0, t;
	uint32_t i, k, g = 0, n = o->until ? UINT32_MAX : o->n;
	mx_status_t st;

	sv_slots(o, rx, tx);
	for (k = 0; k < o->w; k++)
		sv_post(ep, o, &rx[k]);
	printf("it_survive: echo side on endpoint %u\n", o->ep);
	fflush(stdout);
	for (i = 0; i < n && !it_failures; i++) {
		struct sv_slot *r = &rx[i % o->w], *s = &tx[i % o->w];
		mx_endpoint_addr_t src;

		sv_gate(o, i, &g);
		if (!sv_wait(ep, &r->req, &st, "receive", i))
			break;
		r->busy = false;
		if (o->until && st.match_info == SV_END && !st.msg_length)
			break;
		src = st.source;
		if (!sv_check(o, &st, r->buf, i, 0, "server"))
			break;
		if (s->busy && (!sv_wait(ep, &s->req, &st, "reply", i - o->w) ||
				!sv_sent(o, &st, i - o->w, "reply")))
			break;
		sv_send(ep, o, src, s, i, 0x5a5a5a5aull);
		if (i + o->w < n)
			sv_post(ep, o, r);
		t = sv_now_ms();
		if (i) /* not the wait for the client to start */
			stall = t - last > stall ? t - last : stall;
		last = t;
	}
	for (k = 0; k < o->w; k++)
		if (tx[k].busy)
			sv_wait(ep, &tx[k].req, &st, "last reply", k);
	if (o->until && !it_failures)
		sv_cancel_posted(ep, o, rx);
	if (!it_failures)
		sv_no_extra(ep);
	printf("it_survive: server took %u messages\n", i);
	sv_counters(ep, "server", stall);
	sv_slots_free(o, rx, tx);
}

/*
 * -k K: one endpoint echoes K numbered clients (-i 1 .. K), on as many
 * hosts: each client's messages in order, bytes checked, each answered to
 * its source.  Message i of every client is taken before message i + 1
 * of any: a client that stalls holds the others within their windows.
 */
static void sv_server_clients(mx_endpoint_t ep, const struct sv_opts *o)
{
	static struct sv_slot rx[SV_CLIENTS_MAX][SV_WMAX], tx[SV_CLIENTS_MAX][SV_WMAX];
	struct sv_opts oc[SV_CLIENTS_MAX];
	uint64_t last = sv_now_ms(), stall = 0, t;
	uint32_t i, c, k, g = 0;
	mx_status_t st;

	for (c = 0; c < o->clients; c++) {
		oc[c] = *o;
		oc[c].id = c + 1;
		sv_slots(o, rx[c], tx[c]);
		for (k = 0; k < o->w; k++)
			sv_post(ep, &oc[c], &rx[c][k]);
	}
	printf("it_survive: echo side on endpoint %u for %u clients\n", o->ep, o->clients);
	fflush(stdout);
	for (i = 0; i < o->n && !it_failures; i++) {
		sv_gate(o, i, &g);
		for (c = 0; c < o->clients && !it_failures; c++) {
			struct sv_slot *r = &rx[c][i % o->w], *s = &tx[c][i % o->w];
			mx_endpoint_addr_t src;

			if (!sv_wait(ep, &r->req, &st, "receive", i))
				break;
			r->busy = false;
			src = st.source;
			if (!sv_check(&oc[c], &st, r->buf, i, 0, "server"))
				break;
			if (s->busy && (!sv_wait(ep, &s->req, &st, "reply", i - o->w) ||
					!sv_sent(o, &st, i - o->w, "reply")))
				break;
			sv_send(ep, &oc[c], src, s, i, 0x5a5a5a5aull);
			if (i + o->w < o->n)
				sv_post(ep, &oc[c], r);
		}
		t = sv_now_ms();
		if (i)
			stall = t - last > stall ? t - last : stall;
		last = t;
	}
	for (c = 0; c < o->clients; c++)
		for (k = 0; k < o->w; k++)
			if (tx[c][k].busy)
				sv_wait(ep, &tx[c][k].req, &st, "last reply", k);
	if (!it_failures)
		sv_no_extra(ep);
	printf("it_survive: server took %u messages from each of %u clients\n", i, o->clients);
	sv_counters(ep, "server", stall);
	for (c = 0; c < o->clients; c++)
		sv_slots_free(o, rx[c], tx[c]);
}

static mx_endpoint_addr_t sv_connect(mx_endpoint_t ep, const char *dest)
{
	char host[MX_MAX_HOSTNAME_LEN + 8];
	const char *colon = strrchr(dest, ':');
	mx_endpoint_addr_t a;
	uint64_t nic = 0;
	uint32_t eid;
	int i;

	if (!colon || (size_t)(colon - dest) >= sizeof(host)) {
		fprintf(stderr, "it_survive: -d HOST:EP\n");
		exit(2);
	}
	memcpy(host, dest, (size_t)(colon - dest));
	host[colon - dest] = '\0';
	eid = (uint32_t)strtoul(colon + 1, NULL, 10);
	for (i = 0; i < 600; i++) {
		if ((nic || mx_hostname_to_nic_id(host, &nic) == MX_SUCCESS) &&
		    mx_connect(ep, nic, eid, IT_KEY, 1000, &a) == MX_SUCCESS)
			return a;
		usleep(100000);
	}
	fprintf(stderr, "it_survive: cannot connect to %s\n", dest);
	exit(1);
}

/* -u: where the run ends, once the endpoint has re-attached or has followed
 * its peer to another host ('done' round trips in); UINT32_MAX while
 * neither happened.  False when neither does. */
static bool sv_until(mx_endpoint_t ep, const struct sv_opts *o, uint32_t done, uint64_t t0,
		     uint32_t *end)
{
	if (*end != UINT32_MAX)
		return true;
	if (it_counter(ep, "Re-attaches (daemon restart, restore)") ||
	    it_counter(ep, "Peers followed to another host")) {
		*end = done + o->until > o->n ? done + o->until : o->n;
		printf("it_survive: re-attached or followed after %u round trips, %u more\n", done,
		       *end - done);
		fflush(stdout);
		return true;
	}
	if (sv_now_ms() - t0 < SV_UNTIL_MS)
		return true;
	fprintf(stderr, "it_survive: no re-attach within %u s (%u round trips)\n",
		SV_UNTIL_MS / 1000u, done);
	it_failures++;
	return false;
}

/* -u: the zero-length last message tells the echo side to stop. */
static void sv_send_end(mx_endpoint_t ep, mx_endpoint_addr_t dest)
{
	mx_request_t req;
	mx_status_t st;

	IT_FATAL(mx_isend(ep, NULL, 0, dest, SV_END, NULL, &req));
	sv_wait(ep, &req, &st, "last message", 0);
}

/* Progress for a script acting mid-stream.  The pair channel counts, once
 * a pair channel carried anything, go on a line of their own (scripts
 * parse the first): they say which path the messages took up to here. */
static void sv_progress(mx_endpoint_t ep, const struct sv_opts *o, uint32_t done)
{
	uint64_t ps = it_counter(ep, "Pair channel sends");
	uint64_t pa = it_counter(ep, "Pair channel arrivals");

	if (o->until)
		printf("it_survive: %u round trips verified (until re-attached, then %u more)\n",
		       done, o->until);
	else
		printf("it_survive: %u/%u round trips verified\n", done, o->n);
	if (ps || pa)
		printf("it_survive: pair sends %" PRIu64 ", pair arrivals %" PRIu64 "\n", ps, pa);
	fflush(stdout);
}

static void sv_client(mx_endpoint_t ep, const struct sv_opts *o)
{
	struct sv_slot rx[SV_WMAX], tx[SV_WMAX];
	mx_endpoint_addr_t dest = sv_connect(ep, o->dest);
	uint64_t last = sv_now_ms(), t0 = last, stall = 0, t;
	uint32_t sent = 0, done, k, end = o->until ? UINT32_MAX : o->n;
	mx_status_t st;

	sv_slots(o, rx, tx);
	for (k = 0; k < o->w && k < end; k++)
		sv_post(ep, o, &rx[k]);
	for (done = 0; done < end && !it_failures; done++) {
		struct sv_slot *r = &rx[done % o->w], *s = &tx[done % o->w];

		if (o->until && !sv_until(ep, o, done, t0, &end))
			break;
		if (done >= end)
			break;
		while (sent < end && sent - done < o->w) {
			sv_send(ep, o, dest, &tx[sent % o->w], sent, 0);
			sent++;
		}
		if (!sv_wait(ep, &s->req, &st, "send", done) || !sv_sent(o, &st, done, "send"))
			break;
		s->busy = false;
		if (!sv_wait(ep, &r->req, &st, "reply", done))
			break;
		r->busy = false;
		if (!sv_check(o, &st, r->buf, done, 0x5a5a5a5aull, "client"))
			break;
		if (done + o->w < end)
			sv_post(ep, o, r);
		t = sv_now_ms();
		stall = t - last > stall ? t - last : stall;
		last = t;
		if (o->progress && (done + 1) % o->progress == 0)
			sv_progress(ep, o, done + 1);
	}
	if (o->until && !it_failures)
		sv_send_end(ep, dest);
	if (!it_failures)
		sv_no_extra(ep);
	printf("it_survive: client verified %u round trips\n", done);
	sv_counters(ep, "client", stall);
	sv_slots_free(o, rx, tx);
}

int main(int argc, char **argv)
{
	struct sv_opts o = { .ep = MX_ANY_ENDPOINT, .n = 1000, .w = 8, .max = 262144 };
	mx_endpoint_t ep;
	int c;

	while ((c = getopt(argc, argv, "scd:e:n:w:m:S:p:u:i:k:G:g:")) != -1) {
		switch (c) {
		case 's': o.server = true; break;
		case 'c': o.client = true; break;
		case 'd': o.dest = optarg; break;
		case 'e': o.ep = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'n': o.n = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'w': o.w = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'm': o.min = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'S': o.max = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'p': o.progress = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'u': o.until = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'i': o.id = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'k': o.clients = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'G': o.gate_file = optarg; break;
		case 'g':
			for (char *s = optarg; *s && o.ngates < 8; s += *s == ',') {
				char *e;

				o.gates[o.ngates++] = (uint32_t)strtoul(s, &e, 10);
				if (e == s)
					return 2;
				s = e;
			}
			break;
		default: return 2;
		}
	}
	if (o.server == o.client || (o.client && !o.dest) || !o.w || o.w > SV_WMAX || !o.n ||
	    (o.until && o.until < o.w) || o.clients > SV_CLIENTS_MAX || o.id > SV_CLIENTS_MAX ||
	    (o.clients && (o.client || o.until))) {
		fprintf(stderr, "usage: it_survive -s [-e EP] | -c -d HOST:EP [-n N] [-w W] "
				"[-m MIN] [-S MAX] [-p P] [-u A (A >= W)] [-k K (server) | -i ID (client)] "
				"[-G FILE -g I[,J...] (server)]\n");
		return 2;
	}
	it_init();
	IT_FATAL(mx_open_endpoint(MX_ANY_NIC, o.ep, IT_KEY, NULL, 0, &ep));
	if (o.server && o.clients)
		sv_server_clients(ep, &o);
	else if (o.server)
		sv_server(ep, &o);
	else
		sv_client(ep, &o);
	mx_close_endpoint(ep);
	mx_finalize();
	return it_done(o.server ? "it_survive server" : "it_survive client");
}
