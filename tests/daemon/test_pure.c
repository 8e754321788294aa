/* SPDX-License-Identifier: MIT */
/* Unit tests of the daemon's pure logic: recvq allocator, completion
 * backlog, command validator and region-descriptor copy. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>
#include "backlog.h"
#include "local_claims.h"
#include "log.h"
#include "recvq.h"
#include "tcheck.h"
#include "validate.h"

static void test_recvq(void)
{
	struct mxd_recvq q;
	uint32_t off;

	CHECK_EQ(mxd_recvq_init(&q, 1000, 16), -EINVAL); /* not 64-aligned */
	CHECK_EQ(mxd_recvq_init(&q, 1024, 12), -EINVAL); /* not a power of two */
	CHECK_EQ(mxd_recvq_init(&q, 1024, 16), 0);
	CHECK_EQ(mxd_recvq_alloc(&q, 100, 0, &off), 0);
	CHECK_EQ(off, 0);
	CHECK_EQ(mxd_recvq_alloc(&q, 1, 1, &off), 0);
	CHECK_EQ(off, 128); /* 100 rounds up to 128 */
	CHECK_EQ(mxd_recvq_alloc(&q, 1, 1, &off), -EINVAL); /* slot 1 already owns a chunk */
	CHECK_EQ(mxd_recvq_alloc(&q, 1025, 2, &off), -EINVAL); /* can never fit */
	CHECK_EQ(mxd_recvq_alloc(&q, 0, 2, &off), -EINVAL);
	CHECK_EQ(mxd_recvq_alloc(&q, 700, 2, &off), 0);
	CHECK_EQ(off, 192);
	CHECK_EQ(mxd_recvq_used(&q), 192 + 704);
	/* 128 bytes left at the tail; 200 must skip it and wait for the head. */
	CHECK_EQ(mxd_recvq_alloc(&q, 200, 3, &off), -ENOSPC);
	/* Consuming events 0..1 frees only 192 bytes at the head. */
	mxd_recvq_release(&q, 0, 2);
	CHECK_EQ(mxd_recvq_used(&q), 704);
	CHECK_EQ(mxd_recvq_alloc(&q, 200, 3, &off), -ENOSPC);
	CHECK_EQ(mxd_recvq_alloc(&q, 150, 3, &off), 0);
	CHECK_EQ(off, 0); /* wrapped, 128-byte tail skipped */
	CHECK_EQ(mxd_recvq_used(&q), 704 + 128 + 192);
	CHECK_EQ(mxd_recvq_alloc(&q, 1, 4, &off), -ENOSPC);
	mxd_recvq_release(&q, 2, 3); /* frees the 704 chunk */
	CHECK_EQ(mxd_recvq_used(&q), 128 + 192);
	/* Event 4 carries no chunk (a SEND_DONE, say): releasing 3..5 frees
	 * the skipped tail and the wrapped chunk. */
	mxd_recvq_release(&q, 3, 5);
	CHECK_EQ(mxd_recvq_used(&q), 0);
	/* Empty again: a full-size chunk fits from offset 0. */
	CHECK_EQ(mxd_recvq_alloc(&q, 1024, 20, &off), 0);
	CHECK_EQ(off, 0);
	mxd_recvq_fini(&q);
	mxd_recvq_fini(&q); /* idempotent */
}

static void test_backlog(void)
{
	struct mxd_backlog b;
	struct mxn_evt e = { .type = MXN_EVT_SEND_DONE };

	CHECK_EQ(mxd_backlog_init(&b, 4, 3), -EINVAL);
	CHECK_EQ(mxd_backlog_init(&b, 2, 4), 0);
	CHECK(mxd_backlog_peek(&b) == NULL);
	for (int i = 0; i < 4; i++) {
		e.u.done.cookie = (uint64_t)i;
		CHECK_EQ(mxd_backlog_push(&b, &e), 0);
		CHECK_EQ(mxd_backlog_congested(&b), i >= 1);
	}
	CHECK_EQ(mxd_backlog_push(&b, &e), -ENOSPC); /* never silently dropped */
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(mxd_backlog_peek(&b)->u.done.cookie, i);
		mxd_backlog_pop(&b);
	}
	e.u.done.cookie = 4;
	CHECK_EQ(mxd_backlog_push(&b, &e), 0); /* wraps inside the array */
	CHECK_EQ(mxd_backlog_peek(&b)->u.done.cookie, 3);
	mxd_backlog_pop(&b);
	CHECK_EQ(mxd_backlog_peek(&b)->u.done.cookie, 4);
	CHECK_EQ(b.peak, 4);
	mxd_backlog_fini(&b);
}

static const struct mxd_cmd_limits lim = {
	.sendq_size = 65536, .medium_max = 32768, .region_kind = MXN_REGION_VADDR,
};

static void test_validate_cmds(void)
{
	struct mxn_cmd c;

	memset(&c, 0, sizeof(c));
	CHECK_EQ(mxd_cmd_validate(&c, &lim), 0); /* NOP */
	c.op = MXN_CMD_OP_MAX;
	CHECK_EQ(mxd_cmd_validate(&c, &lim), -EOPNOTSUPP);
	c.op = 200;
	CHECK_EQ(mxd_cmd_validate(&c, &lim), -EOPNOTSUPP);

	memset(&c, 0, sizeof(c));
	c.op = MXN_CMD_SEND_TINY;
	c.length = 32;
	CHECK_EQ(mxd_cmd_validate(&c, &lim), 0);
	c.length = 33;
	CHECK_EQ(mxd_cmd_validate(&c, &lim), -E2BIG);
	c.length = 1;
	c.flags = MXN_CMDF_SYNC; /* synchronous sends are rendezvous only */
	CHECK_EQ(mxd_cmd_validate(&c, &lim), -EINVAL);

	memset(&c, 0, sizeof(c));
	c.op = MXN_CMD_SEND_QUEUED;
	c.length = 1000;
	c.u.q.off = 65536 - 1000;
	CHECK_EQ(mxd_cmd_validate(&c, &lim), 0);
	c.u.q.off++;
	CHECK_EQ(mxd_cmd_validate(&c, &lim), -ERANGE);
	c.u.q.off = 0xfffffff0u; /* off + len wraps 32 bits */
	CHECK_EQ(mxd_cmd_validate(&c, &lim), -ERANGE);
	c.u.q.off = 0;
	c.length = 32769;
	CHECK_EQ(mxd_cmd_validate(&c, &lim), -E2BIG);
	c.length = 16; /* tiny lengths ride in the slot */
	CHECK_EQ(mxd_cmd_validate(&c, &lim), -EINVAL);

	memset(&c, 0, sizeof(c));
	c.op = MXN_CMD_SEND_RNDV;
	c.flags = MXN_CMDF_SYNC;
	c.length = 1u << 20;
	c.u.rndv.desc_off = 64;
	c.u.rndv.desc_len = 32;
	CHECK_EQ(mxd_cmd_validate(&c, &lim), 0);
	c.u.rndv.desc_len = 31;
	CHECK_EQ(mxd_cmd_validate(&c, &lim), -EINVAL);
	c.u.rndv.desc_len = 15;
	CHECK_EQ(mxd_cmd_validate(&c, &lim), -EINVAL);
	/* a 0-byte synchronous send: the empty region, a header alone */
	c.length = 0;
	c.u.rndv.desc_len = 16;
	CHECK_EQ(mxd_cmd_validate(&c, &lim), 0);
	c.length = 1u << 20;
	c.u.rndv.desc_len = 16 + 16 * 257;
	CHECK_EQ(mxd_cmd_validate(&c, &lim), -EINVAL);
	c.u.rndv.desc_len = 32;
	c.u.rndv.desc_off = 65536 - 16;
	CHECK_EQ(mxd_cmd_validate(&c, &lim), -ERANGE);
	c.u.rndv.desc_off = 0;
	/* Every 32-bit length is a valid message (MX's lengths): the window
	 * a rendezvous holds at once is the region's business. */
	c.length = MXN_LARGE_MAX;
	CHECK_EQ(mxd_cmd_validate(&c, &lim), 0);
	c.length = 10;
	c.flags = 0x80;
	CHECK_EQ(mxd_cmd_validate(&c, &lim), -EINVAL);
	/* staged: the message's copy lies wholly in the sendq; a staged_off
	 * without the flag is a reserved field */
	c.flags = MXN_CMDF_STAGED | MXN_CMDF_SYNC;
	c.length = 4096;
	c.u.rndv.staged_off = 65536 - 4096;
	CHECK_EQ(mxd_cmd_validate(&c, &lim), 0);
	c.u.rndv.staged_off++;
	CHECK_EQ(mxd_cmd_validate(&c, &lim), -ERANGE);
	c.u.rndv.staged_off = 0xfffff000u; /* off + len wraps 32 bits */
	CHECK_EQ(mxd_cmd_validate(&c, &lim), -ERANGE);
	c.flags = 0;
	c.u.rndv.staged_off = 64;
	CHECK_EQ(mxd_cmd_validate(&c, &lim), -EINVAL);
	c.u.rndv.staged_off = 0;
	c.u.rndv.pad0 = 1;
	CHECK_EQ(mxd_cmd_validate(&c, &lim), -EINVAL);

	memset(&c, 0, sizeof(c));
	c.op = MXN_CMD_PULL;
	c.u.pull.desc_len = 32;
	c.u.pull.pull_len = 100;
	CHECK_EQ(mxd_cmd_validate(&c, &lim), 0);
	c.u.pull.desc_len = 16; /* empty pull */
	c.u.pull.pull_len = 0;
	CHECK_EQ(mxd_cmd_validate(&c, &lim), 0);
	c.u.pull.desc_len = 40;
	CHECK_EQ(mxd_cmd_validate(&c, &lim), -EINVAL);
	c.u.pull.desc_len = 32;
	c.length = 5;
	CHECK_EQ(mxd_cmd_validate(&c, &lim), -EINVAL);
	c.length = 0;
	c.flags = MXN_CMDF_STAGED | MXN_CMDF_DIRECT;
	CHECK_EQ(mxd_cmd_validate(&c, &lim), 0);
	c.flags = MXN_CMDF_SYNC;
	CHECK_EQ(mxd_cmd_validate(&c, &lim), -EINVAL);

	/* a native rendezvous pulled again: the sender is the engine's to check */
	memset(&c, 0, sizeof(c));
	c.op = MXN_CMD_PULL_WIRE;
	c.u.wpull.desc_len = 32;
	c.u.wpull.pull_len = 100;
	c.u.wpull.msg_length = 0xffffffffu;
	c.u.wpull.nic_id = 0xffffffffffffull;
	c.u.wpull.rdma_id = 255;
	c.u.wpull.rdma_offset = 0xffff;
	c.flags = MXN_CMDF_STAGED;
	CHECK_EQ(mxd_cmd_validate(&c, &lim), 0);
	c.u.wpull.nic_id = 1ull << 48;
	CHECK_EQ(mxd_cmd_validate(&c, &lim), -EINVAL);
	c.u.wpull.nic_id = 1;
	c.u.wpull.desc_off = 65536 - 16;
	CHECK_EQ(mxd_cmd_validate(&c, &lim), -ERANGE);
	c.u.wpull.desc_off = 0;
	c.u.wpull.pad0 = 1;
	CHECK_EQ(mxd_cmd_validate(&c, &lim), -EINVAL);
	c.u.wpull.pad0 = 0;
	c.length = 1;
	CHECK_EQ(mxd_cmd_validate(&c, &lim), -EINVAL);

	memset(&c, 0, sizeof(c));
	c.op = MXN_CMD_CONNECT;
	c.u.connect.nic_id = 1ull << 48;
	CHECK_EQ(mxd_cmd_validate(&c, &lim), -EINVAL);

	memset(&c, 0, sizeof(c));
	c.op = MXN_CMD_LOOKUP;
	CHECK_EQ(mxd_cmd_validate(&c, &lim), -EINVAL); /* neither id nor name */
	c.u.lookup.name_len = MXN_HOSTNAME_MAX + 1;
	CHECK_EQ(mxd_cmd_validate(&c, &lim), -EINVAL);
	c.u.lookup.name_len = 8;
	c.u.lookup.name_off = 65530;
	CHECK_EQ(mxd_cmd_validate(&c, &lim), -ERANGE);
	c.u.lookup.name_off = 0;
	CHECK_EQ(mxd_cmd_validate(&c, &lim), 0);
}

struct desc2 {
	struct mxn_region_desc h;
	struct mxn_vaddr_seg s[2];
};

static void test_region_copy(void)
{
	static uint8_t sendq[4096];
	struct mxd_region *r;
	struct desc2 d = { { MXN_REGION_VADDR, 2, 300 }, { { 0x1000, 100 }, { 0x9000, 200 } } };
	struct {
		struct mxn_region_desc h;
		struct mxn_grant_seg s[2];
	} g = { { MXN_REGION_GRANT, 2, 5000 }, { { 7, 100, 3996 }, { 8, 0, 1004 } } };
	uint32_t seg;
	uint64_t so;

	memcpy(sendq + 128, &d, sizeof(d));
	CHECK_EQ(mxd_region_copy(sendq, sizeof(sendq), 128, sizeof(d), MXN_REGION_VADDR, &r), 0);
	/* The copy is private: scribbling the sendq afterwards changes nothing. */
	memset(sendq + 128, 0xff, sizeof(d));
	CHECK_EQ(r->nsegs, 2);
	CHECK_EQ(r->total_len, 300);
	CHECK_EQ(r->seg.vaddr[1].addr, 0x9000);
	CHECK_EQ(mxd_region_seek(r, 150, &seg, &so), 0);
	CHECK_EQ(seg, 1);
	CHECK_EQ(so, 50);
	CHECK_EQ(mxd_region_seek(r, 300, &seg, &so), -ERANGE);
	mxd_region_free(r);

#define BAD(expect, desc, kind)                                                               \
	do {                                                                                  \
		memcpy(sendq, &(desc), sizeof(desc));                                         \
		CHECK_EQ(mxd_region_copy(sendq, sizeof(sendq), 0, sizeof(desc), kind, &r), expect); \
		CHECK(r == NULL);                                                             \
	} while (0)
	{
		struct desc2 x = d;
		BAD(-EOPNOTSUPP, x, MXN_REGION_GRANT); /* wrong kind for the transport */
		x.h.kind = 77;
		BAD(-EOPNOTSUPP, x, MXN_REGION_VADDR);
		x = d;
		x.h.nsegs = 1; /* disagrees with desc_len */
		BAD(-EINVAL, x, MXN_REGION_VADDR);
		x.h.nsegs = 0;
		BAD(-EINVAL, x, MXN_REGION_VADDR);
		/* no segment but bytes claimed */
		x.h.total_len = 1;
		BAD(-EINVAL, x.h, MXN_REGION_VADDR);
		x = d;
		x.h.total_len = 301;
		BAD(-EINVAL, x, MXN_REGION_VADDR);
		x = d;
		x.s[1].len = 0;
		x.h.total_len = 100;
		BAD(-EINVAL, x, MXN_REGION_VADDR);
		x = d;
		x.s[1].addr = UINT64_MAX - 10; /* wraps the address space */
		BAD(-EINVAL, x, MXN_REGION_VADDR);
		x = d;
		x.s[0].addr = 0;
		x.s[0].len = UINT64_MAX - 50; /* sum would overflow */
		x.h.total_len = 149;
		BAD(-E2BIG, x, MXN_REGION_VADDR);
		x = d;
		x.s[1].len = MXN_LARGE_MAX;
		x.h.total_len = MXN_LARGE_MAX + 100;
		BAD(-E2BIG, x, MXN_REGION_VADDR);
	}
	memcpy(sendq, &g, sizeof(g));
	CHECK_EQ(mxd_region_copy(sendq, sizeof(sendq), 0, sizeof(g), MXN_REGION_GRANT, &r), 0);
	mxd_region_free(r);
	g.s[0].len = 3997; /* crosses the page end */
	g.h.total_len = 5001;
	BAD(-EINVAL, g, MXN_REGION_GRANT);
	/* The empty region: no segment, no byte, header only. */
	{
		struct mxn_region_desc e = { MXN_REGION_VADDR, 0, 0 };

		memcpy(sendq, &e, sizeof(e));
		CHECK_EQ(mxd_region_copy(sendq, sizeof(sendq), 0, sizeof(e), MXN_REGION_VADDR, &r), 0);
		CHECK_EQ(r->nsegs, 0);
		CHECK_EQ(r->total_len, 0);
		CHECK_EQ(mxd_region_seek(r, 0, &seg, &so), -ERANGE);
		mxd_region_free(r);
		e.kind = MXN_REGION_GRANT;
		memcpy(sendq, &e, sizeof(e));
		CHECK_EQ(mxd_region_copy(sendq, sizeof(sendq), 0, sizeof(e), MXN_REGION_GRANT, &r), 0);
		mxd_region_free(r);
	}
	/* Descriptor running off the end of the sendq. */
	CHECK_EQ(mxd_region_copy(sendq, sizeof(sendq), 4090, 32, MXN_REGION_VADDR, &r), -ERANGE);
	CHECK_EQ(mxd_region_copy(sendq, sizeof(sendq), 0, 8, MXN_REGION_VADDR, &r), -ERANGE);
}

/* Capture what mxd_log writes to stderr while fn runs. */
static void capture(void (*fn)(void), char *out, size_t len)
{
	FILE *tmp = tmpfile();
	int saved = dup(2);
	size_t n;

	CHECK(tmp && saved >= 0);
	fflush(stderr);
	dup2(fileno(tmp), 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, len - 1, tmp);
	out[n] = 0;
	fclose(tmp);
}

static void log_lines(void)
{
	struct mxd_ratelimit rl = MXD_RATELIMIT_INIT(60000, 2);

	mxd_log(MXD_LOG_WARNING, "warned %d", 1);
	mxd_log(MXD_LOG_DEBUG, "filtered out");
	for (int i = 0; i < 5; i++)
		mxd_log_rl(&rl, MXD_LOG_ERR, "limited %d", i);
	CHECK_EQ(rl.printed, 2);
	CHECK_EQ(rl.suppressed, 3);
}

static void test_log(void)
{
	char out[1024];

	unsetenv("JOURNAL_STREAM");
	mxd_log_init(MXD_LOG_INFO);
	capture(log_lines, out, sizeof(out));
	CHECK(strstr(out, "myribackd: warning: warned 1\n"));
	CHECK(!strstr(out, "filtered out"));
	CHECK(strstr(out, "limited 1") && !strstr(out, "limited 2"));
	/* Under systemd: sd-daemon priority prefixes for the journal. */
	setenv("JOURNAL_STREAM", "8:1234", 1);
	mxd_log_init(MXD_LOG_INFO);
	capture(log_lines, out, sizeof(out));
	CHECK(strstr(out, "<4>warned 1\n"));
	CHECK(strstr(out, "<3>limited 0\n"));
	unsetenv("JOURNAL_STREAM");
}

/* Claims across a restart (local_claims.h): the text form round-trips,
 * anything malformed rejects the file, and only the very holder matches. */
static void test_claims(void)
{
	static const char *bad[] = {
		"3 7 0 5\n", "3 7 0 5 9", "3 0 0 5 9\n", "255 7 0 5 9\n", "3 7 0 0 9\n",
		"03 7 0 5 9\n", "3  7 0 5 9\n", "3 7 0 5 9\n3 8 0 6 9\n", "3 4294967296 0 5 9\n",
		"-3 7 0 5 9\n", "3 7 0 5 99999999999999999999\n", "\n",
	};
	struct mxd_claims t, u;
	char buf[256];
	size_t n;

	memset(&t, 0, sizeof(t));
	t.c[3] = (struct mxd_claim){ .session = 7, .uid = 0, .pid = 5, .start = 9 };
	t.c[254] = (struct mxd_claim){ .session = 4294967295u, .uid = 1000, .pid = 42,
				      .start = 123456789012ull, .pending = true };
	n = mxd_claims_format(&t, buf, sizeof(buf));
	CHECK_EQ(n, strlen(buf));
	CHECK(!strcmp(buf, "3 7 0 5 9\n254 4294967295 1000 42 123456789012\n"));
	CHECK_EQ(mxd_claims_format(&t, NULL, 0), n);
	CHECK_EQ(mxd_claims_parse(&u, buf, n), 0);
	CHECK_EQ(u.c[3].session, 7);
	CHECK_EQ(u.c[254].start, 123456789012ull);
	CHECK(!u.c[254].pending);                   /* a load decides that */
	CHECK_EQ(mxd_claims_parse(&u, "", 0), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ(mxd_claims_parse(&u, bad[i], strlen(bad[i])), -EINVAL);
		CHECK_EQ(u.c[3].session, 0);        /* rejected whole */
	}
	CHECK_EQ(mxd_claims_check(&t, 3, 7, 0, 5, 9), 0);
	CHECK_EQ(mxd_claims_check(&t, 3, 8, 0, 5, 9), -ESTALE);   /* another session */
	CHECK_EQ(mxd_claims_check(&t, 3, 7, 1, 5, 9), -ESTALE);   /* another user */
	CHECK_EQ(mxd_claims_check(&t, 3, 7, 0, 6, 9), -ESTALE);   /* another process */
	CHECK_EQ(mxd_claims_check(&t, 3, 7, 0, 5, 10), -ESTALE);  /* the pid reused */
	CHECK_EQ(mxd_claims_check(&t, 4, 7, 0, 5, 9), -ESTALE);   /* no record */
	CHECK_EQ(mxd_claims_check(&t, 3, 0, 0, 5, 9), -ESTALE);
	CHECK_EQ(mxd_claims_check(&t, 300, 7, 0, 5, 9), -ESTALE);
}

int main(void)
{
	test_claims();
	test_recvq();
	test_backlog();
	test_validate_cmds();
	test_region_copy();
	test_log();
	printf("daemon pure logic: ok\n");
	return 0;
}
