/* SPDX-License-Identifier: MIT */
/*
 * The daemon's parser of a guest's endpoint open request (daemon/xen/
 * open_req.c): a valid request, then one bad field at a time.  Each case
 * asserts the exact error and, for the valid ones, the resulting geometry.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "open_req.h"
#include "suspend_watch.h"
#include "arrivals.h"

static int failures;

#define EXPECT(cond, ...)                                                   \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);     \
			fprintf(stderr, __VA_ARGS__);                       \
			fprintf(stderr, "\n");                              \
			failures++;                                         \
		}                                                           \
	} while (0)

#define MIB (1024u * 1024u)

/* defaults of the shim: 2^8 commands, 2^10 events, 1 MiB + 2 MiB -> 790 pages */
_Static_assert(MYRIXEN_ABI_VERSION == 10, "good[] names the ABI version");
static const char *const good[MXD_XO_NFIELDS] = {
	"10", "4660", "255", "8", "10", "1048576", "2097152", "790", "8", "798", NULL,
};

static int parse_with(int field, const char *value, struct mxd_xen_open *o)
{
	const char *v[MXD_XO_NFIELDS];

	memcpy(v, good, sizeof(v));
	if (field >= 0)
		v[field] = value;
	memset(o, 0, sizeof(*o));
	return mxd_xen_open_parse(v, 16 * MIB, 16 * MIB, o);
}

static void test_valid(void)
{
	struct mxd_xen_open o;

	EXPECT(parse_with(-1, NULL, &o) == 0, "valid request refused");
	EXPECT(o.key == 4660 && o.endpoint == 255 && o.port == 8 && o.ndir == 1 && o.dir[0] == 798,
	       "fields not carried over");
	EXPECT(o.geo.area_size == 790u * 4096u && o.geo.recvq_off + o.geo.recvq_size == o.geo.area_size,
	       "geometry %u", o.geo.area_size);
	EXPECT(parse_with(MXD_XO_ENDPOINT, "0", &o) == 0, "endpoint 0");
	EXPECT(parse_with(MXD_XO_KEY, "4294967295", &o) == 0 && o.key == UINT32_MAX, "max key");
}

static void test_numbers(void)
{
	static const char *const bad[] = { "", "+5", " 5", "5 ", "0x10", "-1", "4294967296",
					   "99999999999999999999999", "1e3", "8\n" };
	struct mxd_xen_open o;
	unsigned i;
	int f;

	for (f = 0; f < MXD_XO_DIR_REFS; f++) {
		EXPECT(parse_with(f, NULL, &o) == -EINVAL, "missing field %d accepted", f);
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			EXPECT(parse_with(f, bad[i], &o) == -EINVAL, "field %d value '%s' accepted",
			       f, bad[i]);
	}
}

static void test_limits(void)
{
	struct mxd_xen_open o;
	const char *v[MXD_XO_NFIELDS];

	EXPECT(parse_with(MXD_XO_ABI, "9", &o) == -EPROTO, "ABI 9");
	EXPECT(parse_with(MXD_XO_ABI, "11", &o) == -EPROTO, "ABI 11");
	EXPECT(parse_with(MXD_XO_ENDPOINT, "256", &o) == -EINVAL, "endpoint 256");
	EXPECT(parse_with(MXD_XO_CMD_ORDER, "3", &o) == -EINVAL, "cmd order 3");
	EXPECT(parse_with(MXD_XO_EVT_ORDER, "13", &o) == -EINVAL, "evt order 13");
	EXPECT(parse_with(MXD_XO_SENDQ, "1048577", &o) == -EINVAL, "unaligned sendq");
	EXPECT(parse_with(MXD_XO_PAGES, "789", &o) == -EINVAL, "page count off by one");
	EXPECT(parse_with(MXD_XO_PAGES, "4294967295", &o) == -EINVAL, "huge page count");
	memcpy(v, good, sizeof(v));
	EXPECT(mxd_xen_open_parse(v, 512 * 1024, 16 * MIB, &o) == -E2BIG, "sendq over limit");
	EXPECT(mxd_xen_open_parse(v, 16 * MIB, MIB, &o) == -E2BIG, "recvq over limit");
}

static void test_dir_refs(void)
{
	static const char *const bad[] = { "", " ", "1 2", "798 ", " 798", "798  1", "x",
		"1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17", "12345678901234567" };
	struct mxd_xen_open o;
	uint32_t refs[4], n = 0;
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT(parse_with(MXD_XO_DIR_REFS, bad[i], &o) == -EINVAL, "dir-refs '%s'", bad[i]);
	EXPECT(mxd_xen_parse_refs("7 8 9", refs, 4, &n) == 0 && n == 3 && refs[2] == 9, "3 refs");
	EXPECT(mxd_xen_parse_refs("1 2 3 4 5", refs, 4, &n) == -EINVAL, "more refs than room");
}

/* A re-attach names its index and its session; a new open names neither. */
static void test_session(void)
{
	static const char *const bad[] = { "", "0", "-1", "+7", "7 ", "4294967296", "x" };
	const char *v[MXD_XO_NFIELDS];
	struct mxd_xen_open o;
	unsigned i;

	EXPECT(parse_with(-1, NULL, &o) == 0 && o.session == 0, "no session node: a new opening");
	memcpy(v, good, sizeof(v));
	v[MXD_XO_ENDPOINT] = "3";
	v[MXD_XO_SESSION] = "3735928559";
	memset(&o, 0, sizeof(o));
	EXPECT(mxd_xen_open_parse(v, 16 * MIB, 16 * MIB, &o) == 0 && o.session == 3735928559u &&
	       o.endpoint == 3, "re-attach of endpoint 3 refused");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v[MXD_XO_SESSION] = bad[i];
		EXPECT(mxd_xen_open_parse(v, 16 * MIB, 16 * MIB, &o) == -EINVAL,
		       "session '%s' accepted", bad[i]);
	}
	EXPECT(parse_with(MXD_XO_SESSION, "77", &o) == -EINVAL,
	       "a session with endpoint ANY accepted");
}

/* A re-attach keeps its session only for the domain that held it: the
 * record the daemon kept must name the same session and the same /vm. */
static void test_claim(void)
{
	const char *vm = "/vm/1b4e28ba-2fa1-11d2-883f-0016d3cca427";

	EXPECT(mxd_xen_claim_check("3735928559 /vm/1b4e28ba-2fa1-11d2-883f-0016d3cca427",
				   3735928559u, vm) == 0, "the owner's claim refused");
	EXPECT(mxd_xen_claim_check("3735928559 /vm/other", 3735928559u, vm) == -ESTALE,
	       "a peer that learnt the session took the index over");
	EXPECT(mxd_xen_claim_check("3735928558 /vm/1b4e28ba-2fa1-11d2-883f-0016d3cca427",
				   3735928559u, vm) == -ESTALE, "another session accepted");
	EXPECT(mxd_xen_claim_check(NULL, 3735928559u, vm) == -ESTALE,
	       "a claim with no record accepted (daemon restarted, history empty)");
	EXPECT(mxd_xen_claim_check("3735928559 ", 3735928559u, "") == -ESTALE,
	       "a domain with no /vm matched an empty owner");
	EXPECT(mxd_xen_claim_check("3735928559 /vm/1b4e28ba-2fa1-11d2-883f-0016d3cca427x",
				   3735928559u, vm) == -ESTALE, "an owner's prefix matched");
	EXPECT(mxd_xen_claim_check("+3735928559 /vm/x", 3735928559u, "/vm/x") == -ESTALE,
	       "a signed session parsed");
	EXPECT(mxd_xen_claim_check("0 /vm/x", 0, "/vm/x") == -ESTALE, "session 0 kept");
	EXPECT(mxd_xen_claim_check("12345678901234567 /vm/x", 1, "/vm/x") == -ESTALE,
	       "an overlong number parsed");
}

/* After a suspend request: a save ends with the domain gone, a cancelled
 * or checkpointing save with it running again after being seen suspended. */
static void test_suspend_watch(void)
{
	const struct mxd_xen_susp_obs running = { .exists = true },
		suspended = { .exists = true, .shutdown = true, .reason = MXD_XEN_SHUTDOWN_SUSPEND },
		poweroff = { .exists = true, .shutdown = true, .reason = 0 },
		dying = { .exists = true, .dying = true }, gone = { 0 };
	bool seen = false;

	/* not suspended yet: keep looking */
	EXPECT(mxd_xen_susp_step(&seen, &running) == MXD_XEN_SUSP_WAIT, "running before");
	EXPECT(mxd_xen_susp_step(&seen, &suspended) == MXD_XEN_SUSP_WAIT, "suspended");
	EXPECT(seen, "suspended seen");
	EXPECT(mxd_xen_susp_step(&seen, &suspended) == MXD_XEN_SUSP_WAIT, "still suspended");
	EXPECT(mxd_xen_susp_step(&seen, &running) == MXD_XEN_SUSP_RESUMED, "resumed in place");
	seen = false;
	EXPECT(mxd_xen_susp_step(&seen, &suspended) == MXD_XEN_SUSP_WAIT, "saving");
	EXPECT(mxd_xen_susp_step(&seen, &dying) == MXD_XEN_SUSP_GONE, "saved: dying");
	EXPECT(mxd_xen_susp_step(&seen, &gone) == MXD_XEN_SUSP_GONE, "saved: gone");
	seen = false;
	EXPECT(mxd_xen_susp_step(&seen, &poweroff) == MXD_XEN_SUSP_WAIT, "powering off");
	EXPECT(!seen, "a poweroff is no suspend");
	EXPECT(mxd_xen_susp_step(&seen, &running) == MXD_XEN_SUSP_WAIT, "no suspend, no resume");
}

/* @introduceDomain: which live domains are new (attach_policy decides the rest) */
static void test_arrivals(void)
{
	static struct mxd_xen_seen seen;
	const uint32_t first[] = { 0, 3, 5, 3, MXD_XEN_DOMID_MAX + 1, 0xffffffffu },
		second[] = { 5, 3, 7 }, third[] = { 7 }, fourth[] = { 3, 7, MXD_XEN_DOMID_MAX };
	uint32_t out[8], n;

	n = mxd_xen_arrivals(&seen, first, 6, out);
	EXPECT(n == 2 && out[0] == 3 && out[1] == 5, "first look: %u new", n);
	n = mxd_xen_arrivals(&seen, first, 6, out);
	EXPECT(n == 0, "the same domains again: %u new", n);
	n = mxd_xen_arrivals(&seen, second, 3, out);
	EXPECT(n == 1 && out[0] == 7, "one arrival: %u new", n);
	/* 3 and 5 released; 3 handed out again later is a new domain */
	n = mxd_xen_arrivals(&seen, third, 1, out);
	EXPECT(n == 0, "releases are no arrivals: %u", n);
	n = mxd_xen_arrivals(&seen, fourth, 3, out);
	EXPECT(n == 2 && out[0] == 3 && out[1] == MXD_XEN_DOMID_MAX, "id reused: %u new", n);
	n = mxd_xen_arrivals(&seen, NULL, 0, out);
	EXPECT(n == 0, "no domain: %u", n);
}

int main(void)
{
	test_arrivals();
	test_suspend_watch();
	test_claim();
	test_session();
	test_valid();
	test_numbers();
	test_limits();
	test_dir_refs();
	if (failures)
		fprintf(stderr, "%d failure(s)\n", failures);
	return failures != 0;
}
