/* SPDX-License-Identifier: MIT */
/*
 * omx_conform -r COUNT -H FILE: the native Open-MX node streams COUNT
 * messages to the reflector (`mxw_xfer -R -n COUNT` on the daemon's side)
 * while the test restarts that daemon, and behaves as Open-MX 1.5.4's
 * library and driver do with what the new daemon sends:
 *
 *  - up to WINDOW messages in flight, each resent whole every 500 ms
 *    while unacked (libopen-mx omx_lib.h RESEND_PER_SECOND 2), with the
 *    seqnum it first went with;
 *  - acks: a piggyack in any sequenced frame, or a TRUC liback whose
 *    sesnum is our send session and whose acknum is above the last one
 *    taken from that partner (omx_ack.c omx__handle_liback: an older
 *    acknum is ignored);
 *  - a NACK_LIB fails the send of its seqnum with the nack's status
 *    (omx__handle_nack), reported, never retried;
 *  - a CONNECT request from the partner: a session other than the one we
 *    know cleans the partner up (every send in flight and every
 *    rendezvous waiting for its NOTIFY fails "unreachable") and restarts
 *    our receive side; a session other than the one we send to moves our
 *    send seqnums to its receive start.  The same session changes
 *    nothing (omx_partner.c omx__process_recv_connect_request).  The
 *    reply carries our next expected seqnum;
 *  - a rendezvous completes on any NOTIFY naming its window (id and
 *    seqnum), with the length that NOTIFY gives (libopen-mx omx_large.c
 *    omx__process_recv_notify: a short one is reported here, as the
 *    reflector takes every message whole); its pulls are served as
 *    omx_pull.c serves them, except that the pulls of rendezvous number h
 *    (1-based, message COUNT*h/3) are dropped (lost on the wire) until
 *    FILE holds h bytes: the test restarts the daemon while the old one
 *    pulls it, then appends a byte;
 *  - (-P N[,M]) after its Nth (then Mth) message the node stops sending
 *    new ones and loses every frame the daemon sends (its acks and echoes
 *    too) until FILE holds one more byte (pause i: i bytes): the test
 *    restarts the daemon meanwhile, so the node resends what that daemon
 *    had taken and acked.  Its rendezvous holds count after the pauses.
 *    With -M the pauses lose our frames instead: the node takes the
 *    daemon's echoes as they come, but its acks (and every other frame it
 *    sends) are lost, and it says "(hold I)" once every message it sent
 *    came back; the daemon restarted then knows none of those echoes
 *    arrived, and its library sends them again.  Open-MX takes a seqnum
 *    once: an echo sent again must not come back twice.
 *  - (-D) while a rendezvous is held the daemon's acks are lost too, so
 *    the node sends it again to the restarted daemon, and its pulls stay
 *    lost for DUP_HOLD_MS after the hold ends: the new daemon's PULL_WIRE
 *    of it is still under way when that copy is delivered, and a NOTIFY
 *    for the copy must not end the send early.
 *
 * The echoes are taken as Open-MX's receiver does (in seqnum order,
 * duplicates acked again) and checked: every message that was not failed
 * comes back once, in order, byte for byte; one failed never comes back.
 * A send still open when the stream stops is reported, not waited for
 * (Open-MX would resend it for 1000 periods, about eight minutes).
 * Output ends with a summary line the test parses.
 */
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include "omx_node.h"

#define WINDOW 8u
#define RESEND_MS 500u
#define STALL_MS 20000u     /* no send completing and no echo for this long: stuck */
#define MAXMSG 4096u
#define RNDV_LEN 100000u
#define DUP_HOLD_MS 4000u   /* -D: pulls still lost this long after a hold */

enum { S_UNSENT, S_UNACKED, S_NEED_NOTIFY, S_DONE, S_FAILED };

struct nsend {
	uint64_t match, last;
	uint64_t released;          /* -D: when its hold ended (first pull after) */
	uint32_t len, resends;
	uint16_t seq;
	uint8_t type, state, id, rseq, nack, hold, told;
};

static struct nsend sends[MAXMSG];     /* messages, then our NOTIFYs */
static unsigned nnotify;                 /* NOTIFYs at sends[MAXMSG - 1 - i] */
static unsigned nsends, next_echo, echoes, dup_echoes, lost_echoes, resends, nacks;
static unsigned stale_acks, reconnects, cleanups, pulls_dropped, late_echoes;
static uint32_t last_recv_acknum;
static uint16_t next_acked;
static const char *hold_file;
static unsigned pause_at[2], npause, paused;   /* -P: paused while frames are lost */
static bool mute_pauses, told_hold;             /* -M: ours are lost, not theirs */
static bool dup_rndv;                           /* -D: held rendezvous are sent again */
static unsigned short_notifies;

static size_t hold_count(void)
{
	struct stat st;

	return hold_file && stat(hold_file, &st) == 0 ? (size_t)st.st_size : 0;
}

static uint32_t msg_len(unsigned k, unsigned count, uint8_t *hold)
{
	static const uint32_t lens[] = { 20, 100, 3000, 20000, 8, 128, 9000, 32768 };

	*hold = 0;
	/* the last is a rendezvous too: the reflector's echo of it completes
	 * only once we pulled it, after every echo before it */
	if (k + 1 == count)
		return RNDV_LEN;
	if (k == count / 3 || k == 2 * count / 3) {
		*hold = k == count / 3 ? 1 : 2;
		return RNDV_LEN;
	}
	return lens[k % 8];
}

static uint8_t msg_type(uint32_t len)
{
	return len <= 32 ? T_TINY : len <= 128 ? T_SMALL : len <= 32768 ? T_MEDIUM : T_RNDV;
}

static void hdr_at(uint8_t *f, const struct nsend *s)
{
	msg_hdr(f, s->type, s->match);
	put16(f, B + 8, s->seq);        /* the seqnum it first went with */
}

static void tx_send(struct nsend *s)
{
	static uint8_t f[9100];

	if (s->type == T_MEDIUM) {
		for (uint32_t off = 0, i = 0; off < s->len; off += med_max, i++) {
			uint32_t fl = s->len - off < med_max ? s->len - off : med_max;

			hdr_at(f, s);
			f[B] = T_MEDIUM;
			put32(f, B + 4, s->len);
			put16(f, B + 24, (uint16_t)fl);
			f[B + 26] = (uint8_t)i;
			for (uint32_t k = 0; k < fl; k++)
				f[B + 32 + k] = pat(s->match, off + k);
			tx(f, B + 32 + fl);
		}
	} else if (s->type == T_NOTIFY) {
		msg_hdr(f, T_NOTIFY, 0);
		memset(f + B + 8, 0, 16);
		put32(f, B + 4, their_session);
		put32(f, B + 8, s->len);
		f[B + 12] = s->id;
		f[B + 13] = s->rseq;
		put16(f, B + 18, s->seq);
		put16(f, B + 20, recv_next);
		tx(f, 60);
	} else if (s->type == T_RNDV) {
		hdr_at(f, s);
		put16(f, B + 4, 8);
		put32(f, B + 24, s->len);
		f[B + 28] = s->id;
		f[B + 29] = s->rseq;
		tx(f, 60);
	} else {
		hdr_at(f, s);
		put16(f, B + 4, (uint16_t)s->len);
		for (uint32_t i = 0; i < s->len; i++)
			f[B + 24 + i] = pat(s->match, i);
		tx(f, B + 24 + s->len);
	}
	s->last = now_ms();
}

static void send_done(struct nsend *s, uint8_t state, uint8_t nack)
{
	s->state = state;
	s->nack = nack;
	if (state == S_FAILED)
		printf("send %u (%u bytes) FAILED: %s %u\n", (unsigned)(s - sends), s->len,
		       nack ? "nack type" : "partner cleaned up", nack);
}

static bool in_use(unsigned k)
{
	return k < nsends || k >= MAXMSG - nnotify;
}

static bool held(const struct nsend *s);

/* -D: the daemon's acks are lost while one of our rendezvous is held. */
static bool acks_lost(void)
{
	for (unsigned k = 0; dup_rndv && k < nsends; k++)
		if (sends[k].type == T_RNDV && sends[k].state == S_UNACKED && held(&sends[k]))
			return true;
	return false;
}

/* omx__handle_ack: everything before 'before' in our send session. */
static void take_ack(uint16_t before)
{
	uint16_t missing = seq_diff(send_seq, next_acked), fresh = seq_diff(before, next_acked);

	if ((before ^ send_seq) & 0xc000 || !fresh || fresh > missing || acks_lost())
		return;
	for (unsigned k = 0; k < MAXMSG; k++) {
		struct nsend *s = &sends[k];

		if (in_use(k) && s->state == S_UNACKED && seq_diff(s->seq, next_acked) < fresh)
			send_done(s, s->type == T_RNDV ? S_NEED_NOTIFY : S_DONE, 0);
	}
	next_acked = before;
}

static void take_truc(const uint8_t *f)
{
	if (f[B + 12] != 0x55 || get32(f, B + 16) != OUR_SESSION || acks_lost())
		return;
	if (((get16(f, B + 14) ^ send_seq) & 0xc000) || get32(f, B + 20) <= last_recv_acknum) {
		stale_acks++;   /* Open-MX ignores it */
		return;
	}
	last_recv_acknum = get32(f, B + 20);
	take_ack(get16(f, B + 14));
}

static void take_nack(const uint8_t *f)
{
	uint16_t seq = get16(f, B + 12);

	nacks++;
	if ((seq ^ send_seq) & 0xc000)
		return;
	for (unsigned k = 0; k < MAXMSG; k++)
		if (in_use(k) && sends[k].state == S_UNACKED && sends[k].seq == seq) {
			send_done(&sends[k], S_FAILED, f[B + 3]);
			return;
		}
}

/* omx__partner_cleanup: what was in flight to the old instance fails. */
static void cleanup_partner(void)
{
	cleanups++;
	for (unsigned k = 0; k < nsends; k++)
		if (sends[k].state == S_UNACKED || sends[k].state == S_NEED_NOTIFY)
			send_done(&sends[k], S_FAILED, 0);
}

static void take_connect_request(const uint8_t *r)
{
	uint32_t src = get32(r, B + 16);
	uint8_t f[60];

	reconnects++;
	if (src != their_session) {
		cleanup_partner();
		recv_next = (uint16_t)(((recv_next & 0xc000) + 0x4000) | 1);
		send_seq = next_acked = get16(r, B + 24);
		their_session = src;
	}
	their_index_of_us = get16(r, B + 10);
	head(f, T_CONNECT);
	f[B + 1] = r[B + 2];
	f[B + 2] = OUR_EP;
	f[B + 4] = 16;
	put16(f, B + 10, OUR_INDEX_OF_THEM);
	put32(f, B + 16, src);
	put32(f, B + 20, OUR_SESSION);
	put16(f, B + 24, recv_next);
	f[B + 26] = 1;
	f[B + 27] = r[B + 27];
	f[B + 28] = get32(r, B + 20) == key && r[B + 1] == OUR_EP ? 0 : 11;
	tx(f, 60);
}

static bool held(const struct nsend *s)
{
	return s->hold && hold_file && hold_count() < s->hold + npause;
}

static void take_pull(const uint8_t *f)
{
	for (unsigned k = 0; k < nsends; k++) {
		struct nsend *s = &sends[k];

		if (s->type != T_RNDV || get32(f, B + 12) != s->id || f[B + 16] != s->rseq ||
		    (s->state != S_UNACKED && s->state != S_NEED_NOTIFY))
			continue;
		if (held(s)) {
			pulls_dropped++;
			if (!s->told) {
				s->told = 1;
				printf("holding the pulls of message %u (hold %u)\n", k,
				       s->hold + npause);
				fflush(stdout);
			}
			return;
		}
		if (dup_rndv && s->told && !s->released)
			s->released = now_ms();
		if (dup_rndv && s->released && now_ms() - s->released < DUP_HOLD_MS) {
			pulls_dropped++;
			return;
		}
		(void)serve_pull(f, s->match, s->len, s->id, s->rseq);
		return;
	}
}

static void take_notify(const uint8_t *f)
{
	for (unsigned k = 0; k < nsends; k++) {
		struct nsend *s = &sends[k];

		if (s->type == T_RNDV && f[B + 12] == s->id && f[B + 13] == s->rseq &&
		    s->state != S_FAILED && s->state != S_DONE) {
			if (get32(f, B + 8) != s->len) {
				short_notifies++;
				printf("send %u completed by a NOTIFY of %u of its %u bytes\n", k,
				       get32(f, B + 8), s->len);
			}
			send_done(s, S_DONE, 0);
			return;
		}
	}
}

/* An echo taken in order: the next message not failed, once. */
static void check_echo(uint64_t match, const uint8_t *data, uint32_t len)
{
	unsigned k = (unsigned)(match & 0xffff), bad = 0;

	if ((match >> 32) != 0x00e0e0e0u || k >= nsends) {
		CHECK(0, "echo with match %016llx", (unsigned long long)match);
		return;
	}
	if (k < next_echo) {
		dup_echoes++;
		printf("echo of message %u AGAIN (after %u)\n", k, next_echo);
		return;
	}
	for (; next_echo < k; next_echo++) {
		if (sends[next_echo].state == S_FAILED)
			continue;
		lost_echoes++;
		printf("echo of message %u MISSING (next came %u)\n", next_echo, k);
	}
	next_echo = k + 1;
	if (sends[k].state == S_FAILED)
		late_echoes++;  /* failed here, yet the reflector had it */
	CHECK(len == sends[k].len, "echo %u of %u bytes, sent %u", k, len, sends[k].len);
	for (uint32_t i = 0; data && i < len && i < sends[k].len; i++)
		bad += data[i] != pat(match, i);
	CHECK(bad == 0, "echo %u: %u bytes differ", k, bad);
	echoes++;
}

/* Pull the reflector's echo rendezvous (one at a time: it waits for it). */
static void pull_echo(const uint8_t *r);

static uint8_t med_buf[32768];
static uint32_t med_got;
static uint64_t med_seen;

static void take_sequenced(const uint8_t *f, ssize_t n)
{
	uint8_t t = f[B] & 0x7f;
	uint16_t seq = t == T_NOTIFY ? get16(f, B + 18) : get16(f, B + 8);

	take_ack(t == T_NOTIFY ? get16(f, B + 20) : get16(f, B + 10));
	if (seq != recv_next) {
		tx_truc();      /* a resend of what we have: ack again */
		return;
	}
	if (t == T_NOTIFY) {
		take_notify(f);
	} else if (t == T_MEDIUM) {
		uint32_t len = get32(f, B + 4), fl = get16(f, B + 24), i = f[B + 26];

		if (len > sizeof(med_buf) || i >= 64 || i * med_max + fl > len || (size_t)n < B + 32 + fl)
			return;
		if (!(med_seen & (1ull << i))) {
			med_seen |= 1ull << i;
			memcpy(med_buf + i * med_max, f + B + 32, fl);
			med_got += fl;
		}
		if (med_got < len)
			return;
		check_echo((uint64_t)get32(f, B + 12) << 32 | get32(f, B + 16), med_buf, len);
		med_got = 0;
		med_seen = 0;
	} else if (t == T_RNDV) {
		recv_next = seq_inc(recv_next);
		tx_truc();
		pull_echo(f);
		return;
	} else {
		check_echo((uint64_t)get32(f, B + 12) << 32 | get32(f, B + 16), f + B + 24,
			   get16(f, B + 4));
	}
	recv_next = seq_inc(recv_next);
	tx_truc();
}

static void take_frame(const uint8_t *f, ssize_t n)
{
	uint8_t t = f[B] & 0x7f;

	if (paused && !mute_pauses)
		return;         /* lost on the wire */
	if (t == T_HQ)
		answer_query(f);
	else if (t == T_CONNECT && !f[B + 26])
		take_connect_request(f);
	else if (t == T_TRUC)
		take_truc(f);
	else if (t == T_NACK_LIB)
		take_nack(f);
	else if (t == T_PULL)
		take_pull(f);
	else if ((t >= T_TINY && t <= T_RNDV) || t == T_NOTIFY)
		take_sequenced(f, n);
}

static ssize_t rx_one(uint8_t *f, size_t cap, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, timeout_ms) <= 0)
		return -1;
	n = recv(fd, f, cap, 0);
	if (n < B + 24 || get16(f, 12) != ETHERTYPE_OMX || memcmp(f, me, 6) || memcmp(f + 6, them, 6))
		return -1;
	return n;
}

static void pull_echo(const uint8_t *r)
{
	static uint8_t f[9100], data[RNDV_LEN];
	uint64_t match = (uint64_t)get32(r, B + 12) << 32 | get32(r, B + 16), got = 0;
	uint32_t total = get32(r, B + 24), nrep, have = 0, tries = 0;
	uint8_t p[60];

	if (total > RNDV_LEN || total > 32 * reply_max) {
		CHECK(0, "echo rendezvous of %u bytes", total);
		return;
	}
	nrep = (total + reply_max - 1) / reply_max;
	head(p, T_PULL);
	p[B + 1] = THEIR_EP;
	p[B + 2] = OUR_EP;
	put32(p, B + 4, their_session);
	put32(p, B + 8, total);
	put32(p, B + 12, r[B + 28]);
	p[B + 16] = r[B + 29];
	put32(p, B + 24, PULL_HANDLE);
	put32(p, B + 28, PULL_MAGIC);
	put32(p, B + 36, total);
	tx(p, 60);
	while (have < nrep && tries < 20) {
		ssize_t n = rx_one(f, sizeof(f), 500);
		uint32_t j, fl, off;

		if (n < 0) {
			tries++;
			tx(p, 60);
			continue;
		}
		if ((f[B] & 0x7f) != T_PULL_REPLY) {
			if ((f[B] & 0x7f) != T_RNDV && (f[B] & 0x7f) != T_NOTIFY)
				take_frame(f, n);
			continue;
		}
		j = f[B + 1];
		fl = get16(f, B + 2);
		off = get32(f, B + 4);
		if (j >= nrep || off + fl > total || (got & (1ull << j)) || (size_t)n < B + 16 + fl)
			continue;
		got |= 1ull << j;
		memcpy(data + off, f + B + 16, fl);
		have++;
	}
	if (have < nrep) {
		CHECK(0, "echo rendezvous %016llx: %u of %u replies", (unsigned long long)match, have, nrep);
		return;
	}
	check_echo(match, data, total);
	msg_hdr(f, T_NOTIFY, 0);
	memset(f + B + 8, 0, 16);
	put32(f, B + 4, their_session);
	put32(f, B + 8, total);
	f[B + 12] = r[B + 28];
	f[B + 13] = r[B + 29];
	put16(f, B + 18, send_seq);
	put16(f, B + 20, recv_next);
	tx(f, 60);
	/* the NOTIFY is sequenced too: kept and resent like a message */
	if (nnotify < 64)
		sends[MAXMSG - 1 - nnotify++] = (struct nsend){ .type = T_NOTIFY, .seq = send_seq,
			.state = S_UNACKED, .last = now_ms(), .len = total, .id = r[B + 28],
			.rseq = r[B + 29] };
	next_send();
}

static void resend_due(void)
{
	uint64_t now = now_ms();

	for (unsigned k = 0; k < MAXMSG; k++) {
		struct nsend *s = &sends[k];

		if (!in_use(k) || s->state != S_UNACKED || now - s->last < RESEND_MS)
			continue;
		s->resends++;
		resends++;
		tx_send(s);
	}
}

static bool all_done(unsigned count)
{
	if (nsends < count)
		return false;
	for (unsigned k = 0; k < count; k++)
		if (sends[k].state != S_DONE && sends[k].state != S_FAILED)
			return false;
	for (unsigned k = next_echo; k < count; k++)
		if (sends[k].state != S_FAILED)
			return false;
	return true;
}

/* The pause (1-based) that starts after message k, else 0. */
static unsigned pause_after(unsigned k)
{
	for (unsigned i = 0; i < npause; i++)
		if (pause_at[i] == k)
			return i + 1;
	return 0;
}

/* Enter pause p, or leave the one we are in once FILE grew. */
static void pause_step(unsigned p)
{
	if (p && !paused && hold_count() < p) {
		paused = p;
		told_hold = false;
		tx_mute = mute_pauses;
		if (!mute_pauses)
			printf("paused after message %u (hold %u), losing what comes\n", nsends, p);
		fflush(stdout);
	}
	if (paused && mute_pauses && !told_hold && next_echo >= nsends) {
		told_hold = true;
		printf("every echo up to message %u taken, none acked (hold %u)\n", nsends, paused);
		fflush(stdout);
	}
	if (paused && hold_count() >= paused) {
		paused = 0;
		tx_mute = false;
	}
}

int omx_restart_run(unsigned count, const char *file, const char *pauses, bool mute, bool dup)
{
	static uint8_t f[9100];
	uint64_t progress = now_ms();
	unsigned ok = 0, failed = 0, open = 0, done_before = 0;

	hold_file = file;
	mute_pauses = mute;
	dup_rndv = dup;
	if (file && pauses)
		npause = (unsigned)sscanf(pauses, "%u,%u", &pause_at[0], &pause_at[1]);
	next_acked = send_seq;
	if (count > MAXMSG - 64)
		count = MAXMSG - 64;
	while (!all_done(count) && now_ms() - progress < STALL_MS) {
		ssize_t n;
		unsigned done = 0;

		pause_step(pause_after(nsends));
		if (paused)
			progress = now_ms();    /* the test restarts the daemon */
		while (!paused && nsends < count && nsends < next_echo + WINDOW &&
		       !(pause_after(nsends) && hold_count() < pause_after(nsends))) {
			struct nsend *s = &sends[nsends];

			s->match = 0x00e0e0e000000000ull | nsends;
			s->len = msg_len(nsends, count, &s->hold);
			s->type = msg_type(s->len);
			s->seq = send_seq;
			s->id = (uint8_t)(1 + nsends % 200);
			s->rseq = (uint8_t)(nsends / 200 + 1);
			s->state = S_UNACKED;
			tx_send(s);
			next_send();
			nsends++;
		}
		n = rx_one(f, sizeof(f), 50);
		if (n > 0)
			take_frame(f, n);
		resend_due();
		for (unsigned k = 0; k < nsends; k++)
			done += sends[k].state == S_DONE || sends[k].state == S_FAILED;
		if (done + next_echo > done_before) {
			done_before = done + next_echo;
			progress = now_ms();
			printf("progress: %u sent, %u echoed\n", nsends, next_echo);
			fflush(stdout);
		}
	}
	for (unsigned k = 0; k < count; k++) {
		ok += k < nsends && sends[k].state == S_DONE;
		failed += k < nsends && sends[k].state == S_FAILED;
		open += k >= nsends || (sends[k].state != S_DONE && sends[k].state != S_FAILED);
	}
	for (unsigned k = next_echo; k < count; k++)
		lost_echoes += sends[k].state != S_FAILED;
	printf("omx_restart: sent %u ok %u failed %u open %u echoes %u missing %u again %u "
	       "failed-but-echoed %u resends %u nacks %u stale_acks %u reconnects %u cleanups %u "
	       "short_notifies %u\n",
	       count, ok, failed, open, echoes, lost_echoes, dup_echoes, late_echoes, resends, nacks,
	       stale_acks, reconnects, cleanups, short_notifies);
	return failures || open || lost_echoes || dup_echoes || late_echoes || short_notifies ? 1 : 0;
}
