/* SPDX-License-Identifier: MIT */
/*
 * myribackd configuration: defaults, the parser and the writer.
 *
 * The parser is pure (buffer in, struct out) so tests drive it directly.
 * It stops at the first error, which is reported once as "FILE:LINE: why";
 * the caller's configuration is only replaced when the whole file is good,
 * which is what lets a SIGHUP reload keep the old configuration.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <myrixen/abi.h>
#include <myrixen/board_name.h>
#include "conf.h"

void mxd_config_defaults(struct mxd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->transport_local = true;
	cfg->transport_xen = false;
	snprintf(cfg->local_socket, sizeof(cfg->local_socket), "/run/myrixen/local.sock");
	snprintf(cfg->ctl_socket, sizeof(cfg->ctl_socket), "/run/myrixen/ctl.sock");
	cfg->poll_window_us = 50;
	cfg->poll_budget = 64;
	cfg->pair_channels = true;
	cfg->xen_pair_channels = true;
	snprintf(cfg->xen_attach, sizeof(cfg->xen_attach), "all");
	cfg->limits.endpoints = 32;
	cfg->limits.endpoint_reserve = 16;
	cfg->limits.cmd_order = 8;
	cfg->limits.evt_order = 10;
	cfg->limits.sendq_size = 1024 * 1024;
	cfg->limits.recvq_size = 2 * 1024 * 1024;
	cfg->limits.registered_bytes = 256ull * 1024 * 1024;
	cfg->limits.medium_max = 32 * 1024;
	cfg->limits.outstanding = 256;
	cfg->log_level = MXD_LOG_NOTICE;
}

static const char *const level_names[] = {
	[MXD_LOG_ERR] = "err", [MXD_LOG_WARNING] = "warning",
	[MXD_LOG_NOTICE] = "notice", [MXD_LOG_INFO] = "info",
	[MXD_LOG_DEBUG] = "debug",
};

const char *mxd_log_level_name(enum mxd_log_level lvl)
{
	if ((unsigned)lvl >= sizeof(level_names) / sizeof(level_names[0]))
		return NULL;
	return level_names[lvl];
}

/* ---- parse state ---- */

struct parse {
	struct mxd_config *cfg;     /* the scratch copy being filled */
	const char *name;
	unsigned line;
	char *err;
	size_t errlen;
	const char *key;            /* current key, for messages */
	bool wire_set, wire_on;
	unsigned wire_line;
};

__attribute__((format(printf, 2, 3)))
static int fail(struct parse *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->err && p->errlen)
		snprintf(p->err, p->errlen, "%s:%u: %s", p->name, p->line, msg);
	return -EINVAL;
}

/* ---- value types ---- */

/* Decimal integer with an optional binary suffix K, M or G (KiB.. also
 * accepted).  Range checks are the caller's. */
static int parse_u64(struct parse *p, const char *v, uint64_t *out, bool suffix_ok)
{
	uint64_t n = 0, mul = 1;
	const char *s = v;

	if (!isdigit((unsigned char)*s))
		return fail(p, "%s: '%s' is not a number", p->key, v);
	for (; isdigit((unsigned char)*s); s++) {
		if (n > (UINT64_MAX - 9) / 10)
			return fail(p, "%s: '%s' is too large", p->key, v);
		n = n * 10 + (uint64_t)(*s - '0');
	}
	if (*s && suffix_ok) {
		switch (*s) {
		case 'k': case 'K': mul = 1ull << 10; break;
		case 'm': case 'M': mul = 1ull << 20; break;
		case 'g': case 'G': mul = 1ull << 30; break;
		default:
			return fail(p, "%s: '%s' has an unknown unit (use K, M or G)", p->key, v);
		}
		s++;
		if (!strcmp(s, "iB") || !strcmp(s, "B"))
			s += strlen(s);
	}
	if (*s)
		return fail(p, "%s: '%s' is not a%s number", p->key, v,
			    suffix_ok ? " size or" : "n integer");
	if (n > UINT64_MAX / mul)
		return fail(p, "%s: '%s' is too large", p->key, v);
	*out = n * mul;
	return 0;
}

static int parse_range(struct parse *p, const char *v, uint64_t lo, uint64_t hi,
		       bool suffix_ok, uint64_t *out)
{
	int rc = parse_u64(p, v, out, suffix_ok);

	if (rc)
		return rc;
	if (*out < lo || *out > hi)
		return fail(p, "%s: %s is out of range [%" PRIu64 "..%" PRIu64 "]",
			    p->key, v, lo, hi);
	return 0;
}

static int set_u32(struct parse *p, const char *v, uint32_t lo, uint32_t hi,
		   bool suffix_ok, uint32_t *dst)
{
	uint64_t n;
	int rc = parse_range(p, v, lo, hi, suffix_ok, &n);

	if (!rc)
		*dst = (uint32_t)n;
	return rc;
}

static int parse_bool(struct parse *p, const char *v, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(v, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(v, no[i])) {
			*out = false;
			return 0;
		}
	}
	return fail(p, "%s: '%s' is not a boolean (yes or no)", p->key, v);
}

/* aa:bb:cc:dd:ee:ff (or with '-'), unicast and not all zero. */
static int parse_mac(struct parse *p, const char *v, uint64_t *out)
{
	uint64_t n = 0;
	const char *s = v;

	for (int i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]))
			goto bad;
		char hex[3] = { s[0], s[1], 0 };
		n = (n << 8) | strtoul(hex, NULL, 16);
		s += 2;
		if (i < 5 && *s != ':' && *s != '-')
			goto bad;
		if (i < 5)
			s++;
	}
	if (*s)
		goto bad;
	if (n == 0)
		return fail(p, "%s: bad MAC '%s': all-zero is not a NIC id", p->key, v);
	if ((n >> 40) & 1)
		return fail(p, "%s: bad MAC '%s': multicast address", p->key, v);
	*out = n;
	return 0;
bad:
	return fail(p, "%s: bad MAC '%s' (expected six hex pairs, e.g. 02:00:00:00:00:01)",
		    p->key, v);
}

static int set_string(struct parse *p, const char *v, char *dst, size_t cap)
{
	if (strlen(v) >= cap)
		return fail(p, "%s: value is too long (at most %zu characters)", p->key, cap - 1);
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

static int set_path(struct parse *p, const char *v, char *dst, size_t cap)
{
	if (v[0] != '/')
		return fail(p, "%s: '%s' is not an absolute path", p->key, v);
	return set_string(p, v, dst, cap);
}

/* A POSIX-ish name: host names, group names, interface names. */
static bool name_chars_ok(const char *v, const char *extra)
{
	if (!*v)
		return false;
	for (const char *s = v; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(extra, *s))
			return false;
	return true;
}

static int set_group(struct parse *p, const char *v, char *dst, size_t cap)
{
	/* empty = root only */
	if (*v && (!name_chars_ok(v, "_-.") || v[0] == '-'))
		return fail(p, "%s: '%s' is not a group name", p->key, v);
	return set_string(p, v, dst, cap);
}

static int check_hostname(struct parse *p, const char *v)
{
	if (!name_chars_ok(v, "-._:") || v[0] == '-')
		return fail(p, "%s: '%s' is not a host name", p->key, v);
	if (strlen(v) >= MXD_NAME_MAX)
		return fail(p, "%s: host name '%s' is too long (at most %d characters)",
			    p->key, v, MXD_NAME_MAX - 1);
	return 0;
}

/* ---- keys ---- */

static int k_interface(struct parse *p, const char *v)
{
	if (!name_chars_ok(v, "-._@:"))
		return fail(p, "interface: '%s' is not an interface name", v);
	if (strlen(v) >= IF_NAMESIZE)
		return fail(p, "interface: '%s' is too long (at most %d characters)", v,
			    IF_NAMESIZE - 1);
	return set_string(p, v, p->cfg->interface, sizeof(p->cfg->interface));
}

static int k_wire(struct parse *p, const char *v)
{
	p->wire_set = true;
	p->wire_line = p->line;
	return parse_bool(p, v, &p->wire_on);
}

static int k_transports(struct parse *p, const char *v)
{
	char buf[MXD_CONF_LINE_MAX + 1];
	bool local = false, xen = false;
	char *save = NULL;

	snprintf(buf, sizeof(buf), "%s", v);
	for (char *t = strtok_r(buf, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
		bool *flag = !strcmp(t, "local") ? &local : !strcmp(t, "xen") ? &xen : NULL;

		if (!flag)
			return fail(p, "transports: unknown transport '%s' (local, xen)", t);
		if (*flag)
			return fail(p, "transports: '%s' listed twice", t);
		*flag = true;
	}
	if (!local && !xen)
		return fail(p, "transports: at least one of local, xen is needed");
	p->cfg->transport_local = local;
	p->cfg->transport_xen = xen;
	return 0;
}

static int k_local_socket(struct parse *p, const char *v)
{
	return set_path(p, v, p->cfg->local_socket, sizeof(p->cfg->local_socket));
}

static int k_local_group(struct parse *p, const char *v)
{
	return set_group(p, v, p->cfg->local_group, sizeof(p->cfg->local_group));
}

static int k_ctl_socket(struct parse *p, const char *v)
{
	return set_path(p, v, p->cfg->ctl_socket, sizeof(p->cfg->ctl_socket));
}

static int k_ctl_group(struct parse *p, const char *v)
{
	return set_group(p, v, p->cfg->ctl_group, sizeof(p->cfg->ctl_group));
}

/* Open-MX's OMX_MTU: what the Open-MX peers were built with (default 9000) */
static int k_wire_mtu(struct parse *p, const char *v)
{
	return set_u32(p, v, 1280, 9000, false, &p->cfg->wire_mtu);
}

/* How long a peer that owes us something may stay silent (its daemon
 * killed and started again, a cable pulled) before its transfers fail. */
static int k_peer_timeout(struct parse *p, const char *v)
{
	return set_u32(p, v, 1000, 3600000, false, &p->cfg->peer_timeout_ms);
}

static int k_poll_window(struct parse *p, const char *v)
{
	return set_u32(p, v, 0, 1000000, false, &p->cfg->poll_window_us);
}

/* auto: myrixen/spin.h decides (never on <= 2 CPUs); force: spin there too */
static int k_poll_spin(struct parse *p, const char *v)
{
	if (strcasecmp(v, "auto") && strcasecmp(v, "force"))
		return fail(p, "poll_spin: '%s' is not one of auto, force", v);
	p->cfg->poll_spin_force = !strcasecmp(v, "force");
	return 0;
}

static int k_poll_budget(struct parse *p, const char *v)
{
	return set_u32(p, v, 1, 1u << MXN_RING_ORDER_MAX, false, &p->cfg->poll_budget);
}

static int k_pair_channels(struct parse *p, const char *v)
{
	return parse_bool(p, v, &p->cfg->pair_channels);
}

static int k_xen_pair_channels(struct parse *p, const char *v)
{
	return parse_bool(p, v, &p->cfg->xen_pair_channels);
}

static int k_xen_attach(struct parse *p, const char *v)
{
	char why[160];

	if (mxd_attach_policy_check(v, why, sizeof(why)))
		return fail(p, "xen_attach: %s", why);
	return set_string(p, v, p->cfg->xen_attach, sizeof(p->cfg->xen_attach));
}

static int k_endpoints(struct parse *p, const char *v)
{
	return set_u32(p, v, 1, MXN_ENDPOINTS_MAX, false, &p->cfg->limits.endpoints);
}

static int k_reserve(struct parse *p, const char *v)
{
	return set_u32(p, v, 0, MXN_ENDPOINTS_MAX / 2, false, &p->cfg->limits.endpoint_reserve);
}

static int k_cmd_order(struct parse *p, const char *v)
{
	return set_u32(p, v, MXN_RING_ORDER_MIN, MXN_RING_ORDER_MAX, false,
		       &p->cfg->limits.cmd_order);
}

static int k_evt_order(struct parse *p, const char *v)
{
	return set_u32(p, v, MXN_RING_ORDER_MIN, MXN_RING_ORDER_MAX, false,
		       &p->cfg->limits.evt_order);
}

static int set_queue(struct parse *p, const char *v, uint32_t *dst)
{
	int rc = set_u32(p, v, MXN_QUEUE_MIN, MXN_QUEUE_MAX, true, dst);

	if (!rc && (*dst % MXN_PAGE_SIZE))
		return fail(p, "%s: %s is not a multiple of %u", p->key, v, MXN_PAGE_SIZE);
	return rc;
}

static int k_sendq(struct parse *p, const char *v)
{
	return set_queue(p, v, &p->cfg->limits.sendq_size);
}

static int k_recvq(struct parse *p, const char *v)
{
	return set_queue(p, v, &p->cfg->limits.recvq_size);
}

static int k_registered(struct parse *p, const char *v)
{
	return parse_range(p, v, 1ull << 20, 64ull << 30, true,
			   &p->cfg->limits.registered_bytes);
}

static int k_medium_max(struct parse *p, const char *v)
{
	return set_u32(p, v, MXN_SMALL_MAX, MXN_MEDIUM_MAX_LIMIT, true,
		       &p->cfg->limits.medium_max);
}

static int k_outstanding(struct parse *p, const char *v)
{
	return set_u32(p, v, 1, 65536, false, &p->cfg->limits.outstanding);
}

static int k_hostname(struct parse *p, const char *v)
{
	int rc = check_hostname(p, v);

	return rc ? rc : set_string(p, v, p->cfg->hostname, sizeof(p->cfg->hostname));
}

static int k_nic_id(struct parse *p, const char *v)
{
	return parse_mac(p, v, &p->cfg->nic_id);
}

static int k_log_level(struct parse *p, const char *v)
{
	for (int l = MXD_LOG_ERR; l <= MXD_LOG_DEBUG; l++)
		if (!strcasecmp(v, level_names[l])) {
			p->cfg->log_level = (enum mxd_log_level)l;
			return 0;
		}
	return fail(p, "log_level: '%s' is not one of err, warning, notice, info, debug", v);
}

static int k_peer(struct parse *p, const char *v)
{
	char host[MXD_CONF_LINE_MAX + 1], mac[MXD_CONF_LINE_MAX + 1], extra[2];
	struct mxd_config *c = p->cfg;
	uint64_t id;
	int rc;

	if (sscanf(v, "%1023s %1023s %1s", host, mac, extra) != 2)
		return fail(p, "peer: expected 'peer = HOSTNAME MAC', got '%s'", v);
	if ((rc = check_hostname(p, host)) || (rc = parse_mac(p, mac, &id)))
		return rc;
	for (uint32_t i = 0; i < c->npeers; i++) {
		/* "host" and "host:0" are one board (MX's hostname:board) */
		if (mxn_board_name_eq(c->peers[i].hostname, (uint32_t)strlen(c->peers[i].hostname),
				      host, (uint32_t)strlen(host)))
			return fail(p, "peer: host '%s' is listed twice", host);
		if (c->peers[i].nic_id == id)
			return fail(p, "peer: MAC %s is listed twice (also '%s')", mac,
				    c->peers[i].hostname);
	}
	if (c->npeers >= MXD_PEERS_MAX)
		return fail(p, "peer: more than %d peers", MXD_PEERS_MAX);
	memcpy(c->peers[c->npeers].hostname, host, strlen(host) + 1); /* length checked */
	c->peers[c->npeers].nic_id = id;
	c->npeers++;
	return 0;
}

struct key {
	const char *name;
	int (*set)(struct parse *p, const char *v);
	bool repeatable;
};

static const struct key keys[] = {
	{ "interface", k_interface, false },
	{ "wire", k_wire, false },
	{ "wire_mtu", k_wire_mtu, false },
	{ "peer_timeout_ms", k_peer_timeout, false },
	{ "transports", k_transports, false },
	{ "local_socket", k_local_socket, false },
	{ "local_group", k_local_group, false },
	{ "ctl_socket", k_ctl_socket, false },
	{ "ctl_group", k_ctl_group, false },
	{ "poll_window_us", k_poll_window, false },
	{ "poll_budget", k_poll_budget, false },
	{ "poll_spin", k_poll_spin, false },
	{ "pair_channels", k_pair_channels, false },
	{ "xen_pair_channels", k_xen_pair_channels, false },
	{ "xen_attach", k_xen_attach, false },
	{ "endpoints_per_guest", k_endpoints, false },
	{ "endpoint_reserve", k_reserve, false },
	{ "cmd_ring_order", k_cmd_order, false },
	{ "evt_ring_order", k_evt_order, false },
	{ "sendq_size", k_sendq, false },
	{ "recvq_size", k_recvq, false },
	{ "registered_memory", k_registered, false },
	{ "medium_max", k_medium_max, false },
	{ "outstanding", k_outstanding, false },
	{ "hostname", k_hostname, false },
	{ "nic_id", k_nic_id, false },
	{ "log_level", k_log_level, false },
	{ "peer", k_peer, true },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

static int parse_line(struct parse *p, char *line, unsigned seen_line[NKEYS])
{
	char *hash = strchr(line, '#'), *eq, *k, *v;

	if (hash)
		*hash = 0;
	k = trim(line);
	if (!*k)
		return 0;
	eq = strchr(k, '=');
	if (!eq)
		return fail(p, "expected 'key = value', got '%s'", k);
	*eq = 0;
	k = trim(k);
	v = trim(eq + 1);
	if (!*k)
		return fail(p, "missing key before '='");
	for (size_t i = 0; i < NKEYS; i++) {
		if (strcmp(k, keys[i].name))
			continue;
		if (seen_line[i] && !keys[i].repeatable)
			return fail(p, "duplicate key '%s' (first set on line %u)", k,
				    seen_line[i]);
		seen_line[i] = p->line;
		p->key = keys[i].name;
		return keys[i].set(p, v);
	}
	return fail(p, "unknown key '%s'", k);
}

static unsigned key_line(const unsigned seen_line[NKEYS], const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (!strcmp(keys[i].name, name))
			return seen_line[i];
	return 0;
}

/* Cross-key rules, checked once the whole file is read; an error points at
 * the last line that took part in it. */
static int check_whole(struct parse *p, const unsigned seen_line[NKEYS])
{
	struct mxd_config *c = p->cfg;

	if (p->wire_set) {
		p->line = p->wire_line;
		if (p->wire_on && !c->interface[0])
			return fail(p, "wire = yes needs 'interface = IFNAME'");
		if (!p->wire_on)
			c->interface[0] = 0; /* empty interface is how "no wire" is held */
	}
	if (c->limits.medium_max > c->limits.sendq_size / 2 ||
	    c->limits.medium_max > c->limits.recvq_size / 2) {
		unsigned a = key_line(seen_line, "medium_max");
		unsigned b = key_line(seen_line, "sendq_size");
		unsigned d = key_line(seen_line, "recvq_size");

		p->line = a > b ? (a > d ? a : d) : (b > d ? b : d);
		return fail(p, "medium_max (%u) must be at most half of sendq_size and recvq_size",
			    c->limits.medium_max);
	}
	return 0;
}

int mxd_config_parse(struct mxd_config *cfg, const char *name, const char *buf,
		     size_t len, char *err, size_t errlen)
{
	unsigned seen_line[NKEYS] = { 0 };
	char line[MXD_CONF_LINE_MAX + 2];
	struct mxd_config *tmp;
	struct parse p = { .name = name, .err = err, .errlen = errlen };
	size_t pos = 0;
	int rc = 0;

	if (err && errlen)
		err[0] = 0;
	tmp = malloc(sizeof(*tmp));
	if (!tmp) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	*tmp = *cfg;
	p.cfg = tmp;
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n = (nl ? (size_t)(nl - buf) : len) - pos;

		p.line++;
		p.key = NULL;
		if (n && buf[pos + n - 1] == '\r')
			n--;
		if (n > MXD_CONF_LINE_MAX) {
			rc = fail(&p, "line is too long (%zu characters, at most %d)", n,
				  MXD_CONF_LINE_MAX);
			goto out;
		}
		if (memchr(buf + pos, 0, n)) {
			rc = fail(&p, "line contains a NUL byte");
			goto out;
		}
		memcpy(line, buf + pos, n);
		line[n] = 0;
		rc = parse_line(&p, line, seen_line);
		if (rc)
			goto out;
		pos = nl ? (size_t)(nl - buf) + 1 : len;
	}
	rc = check_whole(&p, seen_line);
	if (!rc)
		*cfg = *tmp;
out:
	free(tmp);
	return rc;
}

/* Configuration files are small; anything past this is not one. */
#define MXD_CONF_FILE_MAX (1u << 20)

int mxd_config_load(struct mxd_config *cfg, const char *path, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s:0: cannot open: %s", path, strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > MXD_CONF_FILE_MAX) {
		rc = -EINVAL;
		snprintf(err, errlen, "%s:0: not a regular file of at most %u bytes", path,
			 MXD_CONF_FILE_MAX);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		rc = -ENOMEM;
		snprintf(err, errlen, "%s:0: out of memory", path);
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = r < 0 ? -errno : -EIO;
			snprintf(err, errlen, "%s:0: read failed: %s", path, strerror(-rc));
			goto out;
		}
		got += (size_t)r;
	}
	rc = mxd_config_parse(cfg, path, buf, got, err, errlen);
out:
	free(buf);
	close(fd);
	return rc;
}

/* ---- writer ---- */

static void fmt_mac(uint64_t id, char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", (unsigned)(id >> 40) & 0xff,
		 (unsigned)(id >> 32) & 0xff, (unsigned)(id >> 24) & 0xff,
		 (unsigned)(id >> 16) & 0xff, (unsigned)(id >> 8) & 0xff, (unsigned)id & 0xff);
}

int mxd_config_format(const struct mxd_config *c, char *buf, size_t len)
{
	const struct mxd_conf_limits *l = &c->limits;
	char mac[18];
	size_t n = 0;
	int r;

#define OUT(...) do {                                                   \
		r = snprintf(buf + (n < len ? n : len), n < len ? len - n : 0, __VA_ARGS__); \
		if (r < 0)                                              \
			return r;                                       \
		n += (size_t)r;                                         \
	} while (0)
	if (c->interface[0])
		OUT("interface = %s\nwire = yes\n", c->interface);
	else
		OUT("wire = no\n");
	OUT("transports = %s%s%s\n", c->transport_local ? "local" : "",
	    c->transport_local && c->transport_xen ? ", " : "", c->transport_xen ? "xen" : "");
	OUT("local_socket = %s\nlocal_group = %s\n", c->local_socket, c->local_group);
	OUT("ctl_socket = %s\nctl_group = %s\n", c->ctl_socket, c->ctl_group);
	OUT("poll_window_us = %u\npoll_budget = %u\n", c->poll_window_us, c->poll_budget);
	OUT("poll_spin = %s\n", c->poll_spin_force ? "force" : "auto");
	OUT("pair_channels = %s\n", c->pair_channels ? "yes" : "no");
	OUT("xen_pair_channels = %s\n", c->xen_pair_channels ? "yes" : "no");
	OUT("xen_attach = %s\n", c->xen_attach);
	OUT("endpoints_per_guest = %u\nendpoint_reserve = %u\n", l->endpoints,
	    l->endpoint_reserve);
	OUT("cmd_ring_order = %u\nevt_ring_order = %u\n", l->cmd_order, l->evt_order);
	OUT("sendq_size = %u\nrecvq_size = %u\nregistered_memory = %" PRIu64 "\n",
	    l->sendq_size, l->recvq_size, l->registered_bytes);
	OUT("medium_max = %u\noutstanding = %u\n", l->medium_max, l->outstanding);
	if (c->hostname[0])
		OUT("hostname = %s\n", c->hostname);
	if (c->wire_mtu)
		OUT("wire_mtu = %u\n", c->wire_mtu);
	if (c->peer_timeout_ms)
		OUT("peer_timeout_ms = %u\n", c->peer_timeout_ms);
	if (c->nic_id) {
		fmt_mac(c->nic_id, mac);
		OUT("nic_id = %s\n", mac);
	}
	OUT("log_level = %s\n", mxd_log_level_name(c->log_level));
	for (uint32_t i = 0; i < c->npeers; i++) {
		fmt_mac(c->peers[i].nic_id, mac);
		OUT("peer = %s %s\n", c->peers[i].hostname, mac);
	}
#undef OUT
	return n > INT32_MAX ? -EOVERFLOW : (int)n;
}

bool mxd_config_equal(const struct mxd_config *a, const struct mxd_config *b)
{
	const struct mxd_conf_limits *la = &a->limits, *lb = &b->limits;

	if (a->transport_local != b->transport_local || a->transport_xen != b->transport_xen ||
	    strcmp(a->local_socket, b->local_socket) || strcmp(a->local_group, b->local_group) ||
	    strcmp(a->ctl_socket, b->ctl_socket) || strcmp(a->ctl_group, b->ctl_group) ||
	    strcmp(a->interface, b->interface) || a->nic_id != b->nic_id ||
	    strcmp(a->hostname, b->hostname) || a->wire_mtu != b->wire_mtu ||
	    a->peer_timeout_ms != b->peer_timeout_ms ||
	    a->poll_window_us != b->poll_window_us ||
	    a->poll_budget != b->poll_budget || a->poll_spin_force != b->poll_spin_force ||
	    a->log_level != b->log_level ||
	    a->pair_channels != b->pair_channels || a->xen_pair_channels != b->xen_pair_channels ||
	    strcmp(a->xen_attach, b->xen_attach) ||
	    a->npeers != b->npeers)
		return false;
	if (la->endpoints != lb->endpoints || la->endpoint_reserve != lb->endpoint_reserve ||
	    la->cmd_order != lb->cmd_order ||
	    la->evt_order != lb->evt_order || la->sendq_size != lb->sendq_size ||
	    la->recvq_size != lb->recvq_size || la->registered_bytes != lb->registered_bytes ||
	    la->medium_max != lb->medium_max || la->outstanding != lb->outstanding)
		return false;
	for (uint32_t i = 0; i < a->npeers; i++)
		if (strcmp(a->peers[i].hostname, b->peers[i].hostname) ||
		    a->peers[i].nic_id != b->peers[i].nic_id)
			return false;
	return true;
}
