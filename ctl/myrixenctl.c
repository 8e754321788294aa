/* SPDX-License-Identifier: MIT */
/*
 * myrixenctl: talk to myribackd's control socket.
 * Exit codes: 0 ok, 1 operation failed, 2 usage error, 69 (EX_UNAVAILABLE)
 * daemon unreachable, 77 (EX_NOPERM) access refused.
 * The daemon renders the answer (text or JSON, see daemon/ctl/ctl.h); this tool
 * sends one request line, maps the status line to an exit code and copies
 * the body to stdout.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#ifndef MXC_DEFAULT_SOCKET
#define MXC_DEFAULT_SOCKET "/run/myrixen/ctl.sock"
#endif
#define MXC_REQ_MAX 512
/* ping waits for a wire round trip; everything else answers at once */
#define MXC_TIMEOUT_S 15       /* default wait for the answer; --timeout */
#define MXC_TIMEOUT_MAX_S 3600

struct mxc_cmd {
	const char *name;
	const char *arg;            /* NULL: takes no argument */
	const char *help;
};

static const struct mxc_cmd mxc_cmds[] = {
	{ "status", NULL, "daemon state, configuration in force, link" },
	{ "list", NULL, "guests and their endpoints with state and counters" },
	{ "counters", NULL, "host-wide counters (core, transports, control socket)" },
	{ "peers", NULL, "wire peers" },
	{ "attach", "DOMID", "attach Xen domain DOMID (creates its myrixen device)" },
	{ "detach", "DOMID", "detach Xen domain DOMID" },
	{ "ping", "HOST", "wire round trip to peer HOST" },
	{ "reload", NULL, "re-read the configuration file (like SIGHUP)" },
};
#define MXC_NCMDS (sizeof(mxc_cmds) / sizeof(mxc_cmds[0]))

static void mxc_usage(FILE *f)
{
	fprintf(f, "usage: myrixenctl [--socket PATH] [--json] [--timeout S] COMMAND [ARG]\n\n"
		   "commands:\n");
	for (size_t i = 0; i < MXC_NCMDS; i++)
		fprintf(f, "  %-8s %-6s %s\n", mxc_cmds[i].name,
			mxc_cmds[i].arg ? mxc_cmds[i].arg : "", mxc_cmds[i].help);
	fprintf(f, "\noptions:\n"
		   "  -s, --socket PATH  control socket (default %s,\n"
		   "                     or $MYRIXEN_CTL_SOCKET)\n"
		   "  -j, --json         machine-readable JSON output\n"
		   "  -t, --timeout S    wait S seconds (1..%d) for the answer (default %d,\n"
		   "                     or $MYRIXEN_CTL_TIMEOUT)\n"
		   "  -h, --help         this help\n\n"
		   "exit status: 0 ok, 1 operation failed, 2 usage error,\n"
		   "  69 daemon unreachable, 77 permission refused\n", MXC_DEFAULT_SOCKET,
		MXC_TIMEOUT_MAX_S, MXC_TIMEOUT_S);
}

__attribute__((format(printf, 1, 2)))
static int mxc_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "myrixenctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'myrixenctl --help'.\n");
	return 2; /* not EX_USAGE: the documented code is 2 */
}

static int mxc_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, e;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "myrixenctl: socket path too long: %s\n", path);
		return -EX_USAGE;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "myrixenctl: socket: %s\n", strerror(errno));
		return -EX_UNAVAILABLE;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	e = errno;
	close(fd);
	if (e == EACCES || e == EPERM) {
		fprintf(stderr, "myrixenctl: %s: permission denied (root or the daemon's "
				"ctl_group only)\n", path);
		return -EX_NOPERM;
	}
	fprintf(stderr, "myrixenctl: cannot reach myribackd at %s: %s\n", path, strerror(e));
	return -EX_UNAVAILABLE;
}

static bool mxc_send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

/* Read the whole answer (the daemon closes after it); NUL-terminated. */
static char *mxc_read_all(int fd, size_t *len_out, int timeout_ms)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	while (buf) {
		ssize_t n;

		if (len + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		int pr = poll(&pfd, 1, timeout_ms);

		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			break;
		n = recv(fd, buf + len, cap - 1 - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (n == 0) {
			buf[len] = 0;
			*len_out = len;
			return buf;
		}
		len += (size_t)n;
	}
	free(buf);
	return NULL;
}

/* Map "OK" / "ERR CLASS MSG" to an exit code, print MSG for errors. */
static int mxc_status(const char *line, bool json)
{
	const char *msg;

	if (!strcmp(line, "OK"))
		return 0;
	if (strncmp(line, "ERR ", 4))
		goto bad;
	msg = strchr(line + 4, ' ');
	msg = msg ? msg + 1 : "";
	if (!json || !strncmp(line + 4, "refused ", 8))
		fprintf(stderr, "myrixenctl: %s\n", msg);
	if (!strncmp(line + 4, "usage ", 6))
		return 2;
	if (!strncmp(line + 4, "failed ", 7))
		return 1;
	if (!strncmp(line + 4, "refused ", 8))
		return EX_NOPERM;
bad:
	fprintf(stderr, "myrixenctl: unexpected answer from the daemon: %.80s\n", line);
	return EX_UNAVAILABLE;
}

static int mxc_run(const char *path, bool json, int timeout_s, const char *cmd, const char *arg)
{
	char req[MXC_REQ_MAX];
	char *resp, *nl;
	size_t len = 0;
	int fd, rc, n;

	n = snprintf(req, sizeof(req), "%s %s%s%s\n", json ? "json" : "text", cmd,
		     arg ? " " : "", arg ? arg : "");
	if (n < 0 || (size_t)n >= sizeof(req))
		return mxc_usage_error("%s: argument too long", cmd);
	fd = mxc_connect(path);
	if (fd < 0)
		return -fd;
	if (!mxc_send_all(fd, req, (size_t)n)) {
		fprintf(stderr, "myrixenctl: %s: connection lost while sending\n", path);
		close(fd);
		return EX_UNAVAILABLE;
	}
	resp = mxc_read_all(fd, &len, timeout_s * 1000);
	close(fd);
	if (!resp || !(nl = memchr(resp, '\n', len))) {
		fprintf(stderr, "myrixenctl: %s: no answer from the daemon (waited up to %d s)\n", path,
			timeout_s);
		free(resp);
		return EX_UNAVAILABLE;
	}
	*nl = 0;
	rc = mxc_status(resp, json);
	fwrite(nl + 1, 1, len - (size_t)(nl + 1 - resp), stdout);
	free(resp);
	if (fflush(stdout) != 0 && rc == 0)
		rc = 1;
	return rc;
}

/* Arguments are single words on the wire: refuse what would not be one. */
static bool mxc_word_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

/* Seconds, 1..MXC_TIMEOUT_MAX_S; -1 for anything else. */
static int mxc_parse_timeout(const char *v)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < 1 || n > MXC_TIMEOUT_MAX_S)
		return -1;
	return (int)n;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = getenv("MYRIXEN_CTL_SOCKET");
	const char *tenv = getenv("MYRIXEN_CTL_TIMEOUT");
	const struct mxc_cmd *cmd = NULL;
	int timeout_s = MXC_TIMEOUT_S;
	bool json = false;
	int c;

	if (!path || !*path)
		path = MXC_DEFAULT_SOCKET;
	if (tenv && *tenv && (timeout_s = mxc_parse_timeout(tenv)) < 0)
		return mxc_usage_error("bad $MYRIXEN_CTL_TIMEOUT '%s' (seconds, 1..%d)", tenv,
				       MXC_TIMEOUT_MAX_S);
	while ((c = getopt_long(argc, argv, "+s:jt:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			path = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 't':
			if ((timeout_s = mxc_parse_timeout(optarg)) < 0)
				return mxc_usage_error("bad --timeout '%s' (seconds, 1..%d)", optarg,
						       MXC_TIMEOUT_MAX_S);
			break;
		case 'h':
			mxc_usage(stdout);
			return 0;
		default:
			fprintf(stderr, "Try 'myrixenctl --help'.\n");
			return 2;
		}
	}
	if (optind >= argc)
		return mxc_usage_error("%s", "missing command");
	for (size_t i = 0; i < MXC_NCMDS; i++)
		if (!strcmp(argv[optind], mxc_cmds[i].name))
			cmd = &mxc_cmds[i];
	if (!cmd)
		return mxc_usage_error("unknown command '%s'", argv[optind]);
	if (cmd->arg && optind + 2 != argc) {
		fprintf(stderr, "myrixenctl: %s needs exactly one argument: %s\n", cmd->name, cmd->arg);
		return 2;
	}
	if (!cmd->arg && optind + 1 != argc)
		return mxc_usage_error("%s takes no argument", cmd->name);
	if (cmd->arg && !mxc_word_ok(argv[optind + 1]))
		return mxc_usage_error("bad argument '%s'", argv[optind + 1]);
	return mxc_run(path, json, timeout_s, cmd->name, cmd->arg ? argv[optind + 1] : NULL);
}
