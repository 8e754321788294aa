/* SPDX-License-Identifier: MIT */
/*
 * myribackd's sockets from a client's point of view:
 *  - start-up: the local and control socket paths appear only once they
 *    listen.  listen() is slowed down (delay_listen.so preloaded) and the
 *    client connects the moment the file exists: it must never be refused.
 *  - access (needs root, else exit 77): the local socket is 0660 with
 *    local_group (default: the daemon's group) and SO_PEERCRED admits root,
 *    the daemon's user and members of the group (primary or supplementary),
 *    like the control socket.  Clients run as 'nobody' with chosen groups;
 *    a socket made world-writable by mistake still refuses outsiders; the
 *    library reports every refusal as MX_NO_PERM.
 *  - limits (needs root, else exit 77): endpoints count per uid, not per
 *    process: nine processes of one user hold that user's quota only, and
 *    another user still opens.
 *  - reclaim: after a restart only the process that held an endpoint gets
 *    it back (docs/security.md): another process of the same user with the
 *    right session, the holder with a wrong session or with an area anyone
 *    could resize are refused; the index is kept from new openings; the
 *    holder re-attaches with its own area and keeps index and session,
 *    also when its first try gave up before the answer, and again after
 *    the next daemon crashed (SIGKILL) right after the re-attach.
 * usage: test_local_socket MYRIBACKD DELAY_LISTEN_SO gap|access|limits|reclaim
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <myriexpress.h>
#include "rawclient.h"
#include "tcheck.h"

static const char *daemon_bin, *delay_so;
static char dir[64], sock_path[96], ctl_path[96], conf_path[96];
static pid_t daemon_pid, main_pid;

/* A failed check exits: never leave a daemon behind (children too exit). */
static void kill_daemon(void)
{
	if (getpid() == main_pid && daemon_pid > 0 && waitpid(daemon_pid, NULL, WNOHANG) == 0) {
		kill(daemon_pid, SIGKILL);
		waitpid(daemon_pid, NULL, 0);
	}
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void write_conf(const char *extra)
{
	FILE *f = fopen(conf_path, "w");

	CHECK(f);
	fprintf(f, "transports = local\nlocal_socket = %s\nctl_socket = %s\n%s", sock_path,
		ctl_path, extra);
	CHECK(fclose(f) == 0);
}

/* Start myribackd with listen() delayed by delay_ms (0: not preloaded). */
static void start_daemon(const char *extra_conf, int delay_ms)
{
	char ms[16], asan[512];
	const char *old = getenv("ASAN_OPTIONS");

	write_conf(extra_conf);
	daemon_pid = fork();
	CHECK(daemon_pid >= 0);
	if (daemon_pid)
		return;
	unsetenv("NOTIFY_SOCKET");
	unsetenv("MYRIXEN_SOCKET");
	unsetenv("MYRIXEN_CTL_SOCKET");
	if (delay_ms) {
		snprintf(ms, sizeof(ms), "%d", delay_ms);
		setenv("MYRIXEN_TEST_LISTEN_DELAY_MS", ms, 1);
		setenv("LD_PRELOAD", delay_so, 1);
		/* a sanitizer runtime must otherwise be the first library */
		snprintf(asan, sizeof(asan), "%s%sverify_asan_link_order=0", old ? old : "",
			 old && old[0] ? ":" : "");
		setenv("ASAN_OPTIONS", asan, 1);
	}
	execl(daemon_bin, daemon_bin, "-f", "-c", conf_path, (char *)NULL);
	perror("exec myribackd");
	_exit(127);
}

static void stop_daemon(void)
{
	int status;

	kill(daemon_pid, SIGTERM);
	CHECK_EQ(waitpid(daemon_pid, &status, 0), daemon_pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	daemon_pid = 0;
	CHECK(access(sock_path, F_OK) != 0);
	CHECK(access(ctl_path, F_OK) != 0);
}

/* Bounded wait (not a timing assertion) for a path to exist, polling hard
 * so the client is as early as any client can be. */
static void await_path(const char *path)
{
	for (int i = 0; i < 10000; i++) {
		if (access(path, F_OK) == 0)
			return;
		CHECK(waitpid(daemon_pid, NULL, WNOHANG) == 0);
		sleep_ms(1);
	}
	fprintf(stderr, "%s never appeared\n", path);
	exit(1);
}

static void no_startup_gap(void)
{
	struct rawclient c;
	char body[4096];
	int err;

	start_daemon("", 300);
	await_path(sock_path);
	err = rc_open(&c, sock_path, MXN_ENDPOINT_ANY, 1);
	if (err)
		fprintf(stderr, "open right after %s appeared: %s\n", sock_path, strerror(-err));
	CHECK_EQ(err, 0);
	rc_close(&c);
	await_path(ctl_path);
	CHECK_EQ(ctl_request(ctl_path, "text status\n", body, sizeof(body)), 0);
	/* no temporary name is left behind */
	CHECK(access(strcat(strcpy(body, sock_path), "~"), F_OK) != 0);
	stop_daemon();
}

/* How far a client with these credentials gets. */
enum outcome { OPENED = 0, FS_REFUSED = 1, DAEMON_REFUSED = 2, OTHER = 3 };

static enum outcome try_open(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct rawclient c;
	int fd, err;

	/* first the file-system gate alone, then the whole open */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return OTHER;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return errno == EACCES ? FS_REFUSED : OTHER;
	close(fd);
	err = rc_open(&c, sock_path, MXN_ENDPOINT_ANY, 1);
	if (!err)
		rc_close(&c);
	return !err ? OPENED : err == -EACCES ? DAEMON_REFUSED : OTHER;
}

/* The library's view of the same refusal: MX_NO_PERM, nothing else. */
static bool library_agrees(enum outcome o)
{
	mx_endpoint_t ep;
	mx_return_t rc;

	setenv("MYRIXEN_SOCKET", sock_path, 1);
	mx_set_error_handler(MX_ERRORS_RETURN);
	if (mx_init() != MX_SUCCESS)
		return false;
	rc = mx_open_endpoint(MX_ANY_NIC, MX_ANY_ENDPOINT, 1, NULL, 0, &ep);
	if (rc == MX_SUCCESS)
		mx_close_endpoint(ep);
	mx_finalize();
	return o == OPENED ? rc == MX_SUCCESS : rc == MX_NO_PERM;
}

/* Run try_open as uid/gid with the supplementary groups given. */
static enum outcome open_as(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups)
{
	int status;
	pid_t pid = fork();

	CHECK(pid >= 0);
	if (pid == 0) {
		if (setgroups(ngroups, groups) || setgid(gid) || setuid(uid))
			_exit(OTHER + 1);
		enum outcome o = try_open();

		_exit(o == OTHER || library_agrees(o) ? o : OTHER + 2);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	return (enum outcome)WEXITSTATUS(status);
}

static long long open_refused(void)
{
	static char body[16384];

	CHECK_EQ(ctl_request(ctl_path, "json counters\n", body, sizeof(body)), 0);
	return json_field(body, "open_refused");
}

static void check_socket(mode_t mode, gid_t gid)
{
	struct stat st;

	CHECK_EQ(stat(sock_path, &st), 0);
	CHECK(S_ISSOCK(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, mode);
	CHECK_EQ(st.st_gid, gid);
	CHECK_EQ(st.st_uid, geteuid());
}

/* Clients run as 'nobody' (needs root): its named, non-root primary group,
 * or exit 77 saying why. */
static const struct group *need_nobody(const char *test, const struct passwd *pw)
{
	const struct group *gr = pw ? getgrgid(pw->pw_gid) : NULL;

	if (geteuid() != 0) {
		printf("SKIP: the %s test runs clients as other users: needs root\n", test);
		exit(77);
	}
	if (!gr || !pw->pw_uid || !gr->gr_gid) {
		printf("SKIP: no user 'nobody' with a non-root named primary group\n");
		exit(77);
	}
	return gr;
}

static void access_rules(void)
{
	const struct passwd *pw = getpwnam("nobody");
	const gid_t root_grp = 0, other = 54321; /* no name needed for a gid */
	const struct group *gr;
	char conf[128];
	uid_t nobody;
	gid_t nogroup;

	gr = need_nobody("access", pw);
	nobody = pw->pw_uid;
	nogroup = gr->gr_gid;
	/* 'nobody' must reach the socket through the private directory */
	CHECK_EQ(chmod(dir, 0755), 0);

	/* Default: 0660 root:root (the daemon's group), root and group root. */
	start_daemon("", 0);
	await_path(ctl_path);
	check_socket(0660, getegid());
	CHECK_EQ(open_as(0, 0, NULL, 0), OPENED);
	CHECK_EQ(open_as(nobody, nogroup, NULL, 0), FS_REFUSED);
	CHECK_EQ(open_as(nobody, nogroup, &root_grp, 1), OPENED);
	CHECK_EQ(open_as(nobody, root_grp, NULL, 0), OPENED);
	/* Made world-writable by mistake: the credential check still refuses
	 * (twice: raw open and library open), and counts it. */
	CHECK_EQ(open_refused(), 0);
	CHECK_EQ(chmod(sock_path, 0666), 0);
	CHECK_EQ(open_as(nobody, nogroup, NULL, 0), DAEMON_REFUSED);
	CHECK_EQ(open_refused(), 2);
	CHECK_EQ(open_as(nobody, nogroup, &root_grp, 1), OPENED);
	stop_daemon();

	/* local_group = nobody's group: primary or supplementary member in. */
	snprintf(conf, sizeof(conf), "local_group = %s\n", gr->gr_name);
	start_daemon(conf, 0);
	await_path(ctl_path);
	check_socket(0660, nogroup);
	CHECK_EQ(open_as(0, 0, NULL, 0), OPENED);
	CHECK_EQ(open_as(nobody, nogroup, NULL, 0), OPENED);
	CHECK_EQ(open_as(nobody, other, &nogroup, 1), OPENED);
	CHECK_EQ(open_as(nobody, other, NULL, 0), FS_REFUSED);
	CHECK_EQ(chmod(sock_path, 0666), 0);
	CHECK_EQ(open_as(nobody, other, NULL, 0), DAEMON_REFUSED);
	CHECK_EQ(open_as(nobody, other, &nogroup, 1), OPENED);
	stop_daemon();

	/* A group that does not exist: the daemon refuses to start. */
	start_daemon("local_group = myrixen-no-such-group\n", 0);
	{
		int status;

		CHECK_EQ(waitpid(daemon_pid, &status, 0), daemon_pid);
		daemon_pid = 0;
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) != 0);
		CHECK(access(sock_path, F_OK) != 0);
	}
}

/* A process of uid:gid opens small endpoints until refused (at most max),
 * reports how many it holds, and keeps them until killed. */
static pid_t hold_as(uid_t uid, gid_t gid, int max, int *count)
{
	int pfd[2];
	pid_t pid;

	CHECK_EQ(pipe(pfd), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		static struct rawclient c[64];
		struct mxn_open_req req = { .abi_version = MYRIXEN_ABI_VERSION, .key = 1,
					    .endpoint = MXN_ENDPOINT_ANY, .cmd_order = 4, .evt_order = 4,
					    .sendq_size = MXN_QUEUE_MIN, .recvq_size = MXN_QUEUE_MIN };
		int n = 0;

		close(pfd[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* a failing test leaves no holder */
		if (setgroups(0, NULL) || setgid(gid) || setuid(uid))
			_exit(1);
		while (n < max && n < 64 && !rc_open_req(&c[n], sock_path, &req))
			n++;
		if (write(pfd[1], &n, sizeof(n)) != sizeof(n))
			_exit(2);
		pause();
		_exit(0);
	}
	close(pfd[1]);
	CHECK_EQ(read(pfd[0], count, sizeof(*count)), sizeof(*count));
	close(pfd[0]);
	return pid;
}

static void uid_limits(void)
{
	const struct passwd *pw = getpwnam("nobody");
	const struct group *gr;
	static char body[16384];
	pid_t pids[10];
	int n, total = 0;
	char conf[128];

	gr = need_nobody("limits", pw);
	CHECK_EQ(chmod(dir, 0755), 0);
	/* defaults: 32 endpoints per principal, 16 indices in reserve */
	snprintf(conf, sizeof(conf), "local_group = %s\n", gr->gr_name);
	start_daemon(conf, 0);
	await_path(ctl_path);
	for (int i = 0; i < 9; i++) {
		pids[i] = hold_as(pw->pw_uid, gr->gr_gid, 64, &n);
		total += n;
	}
	CHECK_EQ(total, 32); /* one user's quota, however many processes */
	pids[9] = hold_as(54321, gr->gr_gid, 1, &n); /* another user (no name needed) */
	CHECK_EQ(n, 1);
	CHECK_EQ(ctl_request(ctl_path, "json counters\n", body, sizeof(body)), 0);
	CHECK_EQ(json_field(body, "open_limited"), 9); /* each holder's first refusal */
	CHECK_EQ(json_field(body, "endpoints"), 33);
	for (int i = 0; i < 10; i++) {
		kill(pids[i], SIGKILL);
		CHECK_EQ(waitpid(pids[i], NULL, 0), pids[i]);
	}
	stop_daemon();
}

/* The re-attach request for rc's endpoint (its own area's geometry). */
static struct mxn_reattach_req reclaim_req(const struct rawclient *rc, uint32_t session)
{
	const struct mxn_area_hdr *h = rc->area;
	struct mxn_reattach_req q;

	memset(&q, 0, sizeof(q));
	q.open.abi_version = MYRIXEN_ABI_VERSION;
	q.open.key = 7;
	q.open.endpoint = rc->rsp.endpoint;
	q.open.cmd_order = (uint8_t)h->cmd_order;
	q.open.evt_order = (uint8_t)h->evt_order;
	q.open.sendq_size = h->sendq_size;
	q.open.recvq_size = h->recvq_size;
	q.session = session;
	return q;
}

/* A sealed memfd of len bytes, as a forger would make one. */
static int forged_area(size_t len, bool sealed)
{
	int fd = memfd_create("forged", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	CHECK(fd >= 0 && ftruncate(fd, (off_t)len) == 0);
	if (sealed)
		CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) == 0);
	return fd;
}

/* Another process (same uid) tries to take a's endpoint: expect err. */
static void other_process_claims(const struct mxn_reattach_req *q, size_t len, int want)
{
	pid_t pid = fork();
	int status;

	CHECK(pid >= 0);
	if (pid == 0) {
		struct rawclient b;
		int fd = forged_area(len, true);

		_exit(rc_reattach(&b, sock_path, q, fd) == want ? 0 : 1);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void reclaim(void)
{
	struct rawclient a, b, c;
	struct mxn_reattach_req q;
	char body[16384];
	uint32_t session;
	int fd;

	start_daemon("", 0);
	await_path(sock_path);
	CHECK_EQ(rc_open(&a, sock_path, 7, 7), 0);
	session = a.rsp.session;
	q = reclaim_req(&a, session);
	fd = dup(a.memfd);
	/* while it is open, nobody re-attaches it, not even its holder */
	CHECK_EQ(rc_reattach(&b, sock_path, &q, dup(fd)), -EBUSY);
	stop_daemon(); /* a restart: a's endpoint goes, its claim stays */
	rc_close(&a);
	start_daemon("", 0);
	await_path(sock_path);
	other_process_claims(&q, a.area_len, -ESTALE);
	CHECK_EQ(rc_open(&b, sock_path, 7, 7), -EBUSY);   /* kept for its holder */
	CHECK_EQ(rc_open(&b, sock_path, MXN_ENDPOINT_ANY, 7), 0);
	CHECK(b.rsp.endpoint != 7);
	q.session = session + 1;
	CHECK_EQ(rc_reattach(&c, sock_path, &q, dup(fd)), -ESTALE);
	q.session = session;
	CHECK_EQ(rc_reattach(&c, sock_path, &q, forged_area(a.area_len, false)), -EINVAL);
	/* the holder gave up waiting for the answer: its claim stays */
	CHECK_EQ(rc_reattach_unread(sock_path, &q, dup(fd), 10000), 0);
	CHECK_EQ(rc_open(&c, sock_path, 7, 7), -EBUSY);   /* still kept for its holder */
	CHECK_EQ(rc_reattach(&c, sock_path, &q, dup(fd)), 0);
	CHECK_EQ(c.rsp.session, session);
	CHECK_EQ(c.rsp.endpoint, 7);
	CHECK_EQ(ctl_request(ctl_path, "json counters\n", body, sizeof(body)), 0);
	CHECK(strstr(body, "\"local\""));
	CHECK_EQ(json_field(strstr(body, "\"local\""), "eps_reattached"), 1);
	CHECK_EQ(json_field(strstr(body, "\"local\""), "reattach_refused"), 3);
	rc_close(&b);
	/* a crash right after the re-attach: the claim survives it too */
	kill_daemon();
	daemon_pid = 0;
	unlink(sock_path); /* left by the crash: wait for the new one */
	rc_close(&c);
	start_daemon("", 0);
	await_path(sock_path);
	CHECK_EQ(rc_reattach(&c, sock_path, &q, fd), 0);
	CHECK_EQ(c.rsp.session, session);
	CHECK_EQ(c.rsp.endpoint, 7);
	rc_close(&c);
	stop_daemon();
}

int main(int argc, char **argv)
{
	if (argc != 4 || (strcmp(argv[3], "gap") && strcmp(argv[3], "access") &&
			  strcmp(argv[3], "limits") && strcmp(argv[3], "reclaim"))) {
		fprintf(stderr, "usage: %s MYRIBACKD DELAY_LISTEN_SO gap|access|limits|reclaim\n",
			argv[0]);
		return 2;
	}
	daemon_bin = argv[1];
	delay_so = argv[2];
	signal(SIGPIPE, SIG_IGN);
	main_pid = getpid();
	atexit(kill_daemon);
	snprintf(dir, sizeof(dir), "/tmp/mxd-sock-XXXXXX");
	CHECK(mkdtemp(dir));
	snprintf(sock_path, sizeof(sock_path), "%s/run/local.sock", dir);
	snprintf(ctl_path, sizeof(ctl_path), "%s/run/ctl.sock", dir);
	snprintf(conf_path, sizeof(conf_path), "%s/myribackd.conf", dir);
	if (!strcmp(argv[3], "gap"))
		no_startup_gap();
	else if (!strcmp(argv[3], "access"))
		access_rules();
	else if (!strcmp(argv[3], "reclaim"))
		reclaim();
	else
		uid_limits();
	unlink(conf_path);
	rmdir(strcat(strcpy(conf_path, dir), "/run"));
	rmdir(dir);
	printf("local socket %s: ok\n", argv[3]);
	return 0;
}
