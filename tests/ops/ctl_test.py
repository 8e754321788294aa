#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Control socket, reload and systemd-notify tests against a real myribackd.

Usage: ctl_test.py CASE MYRIBACKD MYRIXENCTL [MX_HOLD]
Each case starts its own daemon on private sockets in a temporary
directory and checks real answers (exit codes, JSON fields, counters).
Exit 77 (skip) when something needed is absent, with the reason printed.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77
NOBODY = 65534


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


def skip(why):
    print("SKIP: " + why)
    sys.exit(SKIP)


def wait_for(pred, what, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise Fail("timed out waiting for " + what)


class Daemon:
    def __init__(self, tmp, conf, env=None, wait=True, prefix=None):
        self.tmp = tmp
        self.ctl_sock = os.path.join(tmp, "ctl.sock")
        self.conf = os.path.join(tmp, "myribackd.conf")
        self.write_conf(conf)
        self.log = open(os.path.join(tmp, "daemon.log"), "w+")
        e = dict(os.environ)
        for k in ("MYRIXEN_SOCKET", "MYRIXEN_CTL_SOCKET", "NOTIFY_SOCKET",
                  "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM"):
            e.pop(k, None)
        e.update(env or {})
        self.proc = subprocess.Popen((prefix or []) + [MYRIBACKD, "-f", "-c", self.conf], env=e,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        if wait:
            # the socket file appears at bind(), before listen(): wait for a
            # connection to go through
            wait_for(lambda: self.accepting() or self.proc.poll() is not None,
                     "the control socket")
            if self.proc.poll() is not None:
                raise Fail("myribackd exited %d:\n%s" % (self.proc.returncode, self.logtext()))

    def accepting(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(self.ctl_sock)
            return True
        except OSError:
            return False
        finally:
            s.close()

    def write_conf(self, body):
        base = ("local_socket = %s/local.sock\nctl_socket = %s/ctl.sock\n"
                % (self.tmp, self.tmp))
        with open(self.conf, "w") as f:
            f.write(base + body)

    def logtext(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def ctl(self, *args, user=None, json_out=False, sock=None):
        cmd = [MYRIXENCTL, "--socket", sock or self.ctl_sock]
        if json_out:
            cmd.append("--json")
        cmd += list(args)
        if user:
            cmd = ["setpriv"] + user + ["--"] + cmd
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        return p.returncode, p.stdout, p.stderr

    def json(self, *args):
        rc, out, err = self.ctl(*args, json_out=True)
        check(rc == 0, "%s --json exited %d: %s" % (" ".join(args), rc, err))
        return json.loads(out)

    def raw(self, data):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(self.ctl_sock)
        s.sendall(data)
        chunks = []
        s.settimeout(10)
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
        s.close()
        return b"".join(chunks).decode()

    def stop(self, expect_clean=True):
        """SIGTERM; a clean shutdown exits 0 (sanitizer builds: no leak)."""
        if self.log.closed:
            return
        running = self.proc.poll() is None
        if running:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        if running and expect_clean and self.proc.returncode != 0 and \
                sys.exc_info()[0] is None:
            raise Fail("myribackd exited %d after SIGTERM:\n%s" % (
                self.proc.returncode, self.logtext()[-3000:]))


# ---------------------------------------------------------------- cases

def case_basic(tmp):
    d = Daemon(tmp, "log_level = info\npeer = node2 02:00:00:00:00:02\n")
    try:
        rc, out, err = d.ctl("status")
        check(rc == 0, "status exited %d: %s" % (rc, err))
        check("log_level: info" in out and "poll_window_us: 50" in out, "status text:\n" + out)
        st = d.json("status")
        check(st["pid"] == d.proc.pid, "status pid %s != %d" % (st["pid"], d.proc.pid))
        check(st["log_level"] == "info" and st["peers"] == 1 and st["guests"] == 0, str(st))
        check(st["transports"] == {"local": True, "xen": False}, str(st["transports"]))
        check(st["wire"]["link"] == "none" and st["limits"]["sendq_size"] == 1 << 20, str(st))
        check(re.fullmatch(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}", st["nic_id"]), st["nic_id"])
        peers = d.json("peers")
        check(peers["peers"] == [{"hostname": "node2", "nic_id": "02:00:00:00:00:02",
                                  "source": "config"}], str(peers))
        rc, out, err = d.ctl("attach", "3")
        check(rc == 1 and "Xen transport not enabled" in err, "attach: %d %r" % (rc, err))
        rc, out, err = d.ctl("detach", "3", json_out=True)
        check(rc == 1 and "Xen transport not enabled" in json.loads(out)["error"],
              "detach --json: %d %r" % (rc, out))
        rc, out, err = d.ctl("attach", "0")
        check(rc == 2 and "not a guest domain id" in err, "attach 0: %d %r" % (rc, err))
        rc, out, err = d.ctl("ping", "node2")
        check(rc == 1 and "wire not enabled" in err, "ping: %d %r" % (rc, err))
        rc, out, err = d.ctl("frobnicate")
        check(rc == 2 and "unknown command" in err, "unknown command: %d %r" % (rc, err))
        rc, out, err = d.ctl("status", "extra")
        check(rc == 2, "status with an argument: %d" % rc)
        rc, out, err = d.ctl("--timeout", "0", "status")
        check(rc == 2 and "bad --timeout '0'" in err, "--timeout 0: %d %r" % (rc, err))
        rc, out, err = d.ctl("--timeout", "5x", "status")
        check(rc == 2 and "bad --timeout" in err, "--timeout 5x: %d %r" % (rc, err))
        rc, out, err = d.ctl("--timeout", "60", "--json", "status")
        check(rc == 0 and json.loads(out)["pid"] == d.proc.pid, "--timeout 60: %d %r" % (rc, err))
        # malformed requests straight on the socket: refused cleanly, counted
        check(d.raw(b"text frobnicate\n").startswith("ERR usage unknown command 'frobnicate'"),
              "raw unknown command")
        check(d.raw(b"yaml status\n").startswith("ERR usage malformed request"), "raw bad format")
        check(d.raw(b"x" * 600).startswith("ERR usage request too long"), "raw long request")
        check(d.raw(b"json status\x00x\n").startswith("ERR usage request contains a NUL"),
              "raw NUL")
        check(d.raw(b"text status extra words\n").startswith("ERR usage"), "raw extra words")
        # idle clients fill every slot (16): the next one waits in the backlog
        # and is served as soon as a slot frees
        idle = []
        for _ in range(16):
            sk = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sk.connect(d.ctl_sock)
            idle.append(sk)
        waiting = subprocess.Popen([MYRIXENCTL, "--socket", d.ctl_sock, "status"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for sk in idle:
            sk.close()
        out, err = waiting.communicate(timeout=30)
        check(waiting.returncode == 0 and "log_level: info" in out,
              "client queued behind idle ones: %d %r" % (waiting.returncode, err))
        c = d.json("counters")
        check(c["control"]["bad_requests"] >= 5, "bad_requests %s" % c["control"])
        check(c["core"]["guests"] == 0 and "open_endpoints" in c, str(c))
        check(d.proc.poll() is None, "daemon died on malformed requests")
        # daemon unreachable
        rc, out, err = d.ctl("status", sock=os.path.join(tmp, "nothing.sock"))
        check(rc == 69 and "cannot reach myribackd" in err, "unreachable: %d %r" % (rc, err))
    finally:
        d.stop()


def case_list(tmp):
    if not MX_HOLD or not os.path.exists(MX_HOLD):
        skip("libmyrixen not built: no MX program to open an endpoint")
    d = Daemon(tmp, "")
    hold = None
    try:
        env = dict(os.environ, MYRIXEN_SOCKET=os.path.join(tmp, "local.sock"))
        hold = subprocess.Popen([MX_HOLD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                env=env, text=True)
        line = hold.stdout.readline().split()
        check(len(line) == 3 and line[0] == "open", "mx_hold said %r" % line)
        pid, eid = int(line[1]), int(line[2])
        lst = d.json("list")
        guests = [g for g in lst["guests"] if g["kind"] == "local" and g["id"] == pid]
        check(len(guests) == 1, "guest pid %d not listed: %s" % (pid, lst))
        g = guests[0]
        check(g["state"] == "attached" and g["endpoints_open"] == 1, str(g))
        check(g["uid"] == os.getuid(), "limits count per uid: %s" % g)
        check([e["endpoint"] for e in g["endpoints"]] == [eid], str(g["endpoints"]))
        check(g["endpoints"][0]["state"] == "open", str(g["endpoints"][0]))
        rc, out, err = d.ctl("list")
        check(rc == 0 and "kind: local" in out and ("id: %d" % pid) in out, out)
        st = d.json("status")
        check(st["guests"] == 1 and st["endpoints"] == 1, str(st))
        hold.stdin.close()
        check(hold.wait(10) == 0, "mx_hold failed")
        wait_for(lambda: d.json("status")["endpoints"] == 0, "the endpoint to close")
        c = d.json("counters")["core"]
        check(c["endpoints_opened"] == 1 and c["endpoints_closed"] == 1, str(c))
        rc, out, err = d.ctl("counters")
        for k in ("open_refused", "open_limited", "open_timeouts", "sends_unconnected"):
            check(rc == 0 and ("%s: 0" % k) in out, "myrixenctl counters shows %s: %r" % (k, out))
    finally:
        if hold and hold.poll() is None:
            hold.kill()
        d.stop()


def setpriv_user(uid, gid, groups=None, dac_override=False):
    u = ["--reuid=%d" % uid, "--regid=%d" % gid]
    u += ["--groups=" + ",".join(str(g) for g in groups)] if groups else ["--clear-groups"]
    if dac_override:
        # passes the socket file's mode, so the daemon's own check is what refuses
        u += ["--inh-caps=+dac_override", "--ambient-caps=+dac_override"]
    return u


def case_refused(tmp):
    if os.geteuid() != 0:
        skip("needs root to run the client as another user")
    if not shutil.which("setpriv"):
        skip("setpriv not installed")
    os.chmod(tmp, 0o755)
    d = Daemon(tmp, "")
    try:
        mode = os.stat(d.ctl_sock).st_mode & 0o777
        check(mode == 0o600, "socket mode %o without ctl_group" % mode)
        rc, out, err = d.ctl("status", user=setpriv_user(NOBODY, NOBODY))
        check(rc == 77 and "permission denied" in err, "nobody: %d %r" % (rc, err))
        rc, out, err = d.ctl("status", user=setpriv_user(NOBODY, NOBODY, dac_override=True))
        check(rc == 77 and "access refused: uid 65534 is not root" in err,
              "nobody past the file mode: %d %r" % (rc, err))
        rc, out, err = d.ctl("status", json_out=True,
                             user=setpriv_user(NOBODY, NOBODY, dac_override=True))
        check(rc == 77 and json.loads(out)["class"] == "refused", "json refusal %r" % out)
        c = d.json("counters")["control"]
        check(c["refused"] == 2, "refused counter %s" % c)
        check(d.proc.poll() is None, "daemon died")
    finally:
        d.stop()
    # with ctl_group: the group (primary or supplementary) is let in
    gname = "nogroup"
    import grp
    try:
        gid = grp.getgrnam(gname).gr_gid
    except KeyError:
        skip("no group %s to test ctl_group with" % gname)
    d = Daemon(tmp, "ctl_group = %s\n" % gname)
    try:
        stt = os.stat(d.ctl_sock)
        check(stt.st_mode & 0o777 == 0o660 and stt.st_gid == gid,
              "socket mode %o gid %d" % (stt.st_mode & 0o777, stt.st_gid))
        rc, out, err = d.ctl("status", user=setpriv_user(NOBODY, gid))
        check(rc == 0 and "log_level" in out, "primary group member: %d %r" % (rc, err))
        rc, out, err = d.ctl("status", user=setpriv_user(NOBODY, 4242, groups=[gid]))
        check(rc == 0, "supplementary group member: %d %r" % (rc, err))
        rc, out, err = d.ctl("status", user=setpriv_user(NOBODY, 4242, dac_override=True))
        check(rc == 77 and "nor in group 'nogroup'" in err, "non-member: %d %r" % (rc, err))
    finally:
        d.stop()


def case_reload(tmp):
    d = Daemon(tmp, "log_level = notice\npoll_window_us = 50\n")
    try:
        st = d.json("status")
        check(st["log_level"] == "notice" and st["poll_window_us"] == 50, str(st))
        check(st["spin"]["mode"] == "auto" and
              all(isinstance(st["spin"][k], int)
                  for k in ("windows", "frames", "crowded", "preempted")), str(st))
        d.write_conf("log_level = debug\npoll_window_us = 7\npoll_budget = 9\npoll_spin = force\n"
                     "recvq_size = 4M\npeer = node2 02:00:00:00:00:02\n")
        d.proc.send_signal(signal.SIGHUP)
        st = wait_for(lambda: (lambda s: s if s["reloads"] == 1 else None)(d.json("status")),
                      "the SIGHUP reload")
        check(st["log_level"] == "debug" and st["poll_window_us"] == 7 and
              st["poll_budget"] == 9 and st["peers"] == 1 and st["spin"]["mode"] == "force" and
              st["limits"]["recvq_size"] == 4 << 20, "after reload: %s" % st)
        # a broken file is refused and the running configuration stays
        d.write_conf("log_level = info\npoll_window_us = 5000000\n")
        d.proc.send_signal(signal.SIGHUP)
        st = wait_for(lambda: (lambda s: s if s["reload_failures"] == 1 else None)(
            d.json("status")), "the refused reload")
        check(st["log_level"] == "debug" and st["poll_window_us"] == 7 and st["reloads"] == 1,
              "a refused reload changed something: %s" % st)
        check(re.search(r"reload refused.*myribackd.conf:4: poll_window_us: 5000000 is out of "
                        r"range \[0\.\.1000000\]", d.logtext()), "log:\n" + d.logtext())
        rc, out, err = d.ctl("reload")
        check(rc == 1 and "myribackd.conf:4: poll_window_us" in err, "ctl reload: %d %r" % (rc, err))
        # a start-up-only key changes nothing live, and says so
        d.write_conf("log_level = warning\nctl_group = root\n")
        rc, out, err = d.ctl("reload")
        check(rc == 0, "ctl reload of a good file: %d %r" % (rc, err))
        st = d.json("status")
        check(st["log_level"] == "warning" and st["poll_window_us"] == 50 and
              st["reloads"] == 2 and st["reload_failures"] == 2, str(st))
        check("ctl_group changed; it takes effect after a restart" in d.logtext(), d.logtext())
        check(d.proc.poll() is None, "daemon died")
    finally:
        d.stop()


def case_badconf(tmp):
    conf = os.path.join(tmp, "bad.conf")
    with open(conf, "w") as f:
        f.write("# comment\nctl_socket = %s/ctl.sock\nlog_levle = info\n" % tmp)
    p = subprocess.run([MYRIBACKD, "-f", "-c", conf], capture_output=True, text=True,
                       timeout=30)
    check(p.returncode != 0, "myribackd started with a bad config")
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    check(len(lines) == 1 and lines[0].endswith("bad.conf:3: unknown key 'log_levle'"),
          "expected one FILE:LINE message, got %r" % p.stderr)
    check(not os.path.exists(os.path.join(tmp, "ctl.sock")), "control socket left behind")


def case_notify(tmp):
    path = os.path.join(tmp, "notify.sock")
    ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    ns.bind(path)
    ns.settimeout(0.2)
    d = Daemon(tmp, "", env={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "300000"}, wait=False)
    seen = {"READY=1": 0, "WATCHDOG=1": 0}
    statuses = []
    try:
        end = time.monotonic() + 15
        while time.monotonic() < end and not (seen["READY=1"] and seen["WATCHDOG=1"] >= 3):
            try:
                msg = ns.recv(4096).decode()
            except socket.timeout:
                check(d.proc.poll() is None, "myribackd exited:\n" + d.logtext())
                continue
            for line in msg.split("\n"):
                if line in seen:
                    seen[line] += 1
                if line.startswith("STATUS="):
                    statuses.append(line)
        check(seen["READY=1"] == 1, "READY=1 seen %d times" % seen["READY=1"])
        check(seen["WATCHDOG=1"] >= 3, "WATCHDOG=1 seen %d times" % seen["WATCHDOG=1"])
        check(statuses and all(re.fullmatch(
            r"STATUS=\d+ guests, \d+ endpoints, \d+ peers, link (up|down|none)", s)
            for s in statuses), "STATUS lines %r" % statuses[:3])
        check("STATUS=0 guests, 0 endpoints, 0 peers, link none" in statuses, str(statuses[:3]))
        d.stop()
        # STOPPING=1 on the way out
        got = []
        try:
            while True:
                got.append(ns.recv(4096).decode())
        except socket.timeout:
            pass
        check(any("STOPPING=1" in m for m in got), "no STOPPING=1 after SIGTERM: %r" % got)
    finally:
        d.stop()
        ns.close()


def case_logging(tmp):
    # under systemd (JOURNAL_STREAM) every line carries its journal priority
    d = Daemon(tmp, "log_level = info\n", env={"JOURNAL_STREAM": "8:12345"})
    try:
        wait_for(lambda: "ready" in d.logtext(), "the ready message")
    finally:
        d.stop()
    lines = [l for l in d.logtext().splitlines() if l]
    check(lines and all(re.match(r"<[3-7]>", l) for l in lines), "journal lines %r" % lines)
    check(any(l.startswith("<6>") for l in lines) and
          any(l.startswith("<5>") and "ready" in l for l in lines), "levels %r" % lines)
    # in the foreground: plain lines on stderr, filtered by log_level
    d = Daemon(tmp, "log_level = warning\n")
    try:
        d.json("status")
        check("ready" not in d.logtext(), "notice printed at warning level:\n" + d.logtext())
        d.write_conf("log_level = warning\nctl_group = root\n")
        rc, out, err = d.ctl("reload")
        check(rc == 0, "reload: %r" % err)
        check("myribackd: warning: reload: ctl_group changed" in d.logtext(), d.logtext())
        check(not re.search(r"^<\d>", d.logtext(), re.M), "journal prefix in the foreground")
        d.write_conf("log_level = info\nctl_group = root\n")
        rc, out, err = d.ctl("reload")
        check(rc == 0 and d.json("status")["log_level"] == "info", "reload to info")
        check("myribackd: notice: configuration reloaded" in d.logtext(), d.logtext())
    finally:
        d.stop()


def case_wire(tmp):
    if os.geteuid() != 0 or not shutil.which("ip"):
        skip("needs root and iproute2 to create a network namespace")
    ns = "mxops%d" % os.getpid()
    if subprocess.run(["ip", "netns", "add", ns], capture_output=True).returncode:
        skip("cannot create a network namespace here")
    d = None
    try:
        def ip(*a):
            subprocess.run(["ip", "-n", ns] + list(a), check=True, capture_output=True)
        ip("link", "add", "veth0", "type", "veth", "peer", "name", "veth1")
        ip("link", "set", "veth0", "address", "02:00:00:00:00:01")
        ip("link", "set", "veth0", "up")
        ip("link", "set", "veth1", "up")
        d = Daemon(tmp, "interface = veth0\npeer = node2 02:00:00:00:00:02\n"
                   "peer = node3 02:00:00:00:00:03\n", prefix=["ip", "netns", "exec", ns])
        st = d.json("status")
        w = st["wire"]
        if not w["engine"]:
            skip("myribackd built without the wire engine")
        check(w["interface"] == "veth0" and w["mtu"] == 1500, str(w))
        check(st["nic_id"] == "02:00:00:00:00:01", "nic_id %s is not veth0's MAC" % st["nic_id"])
        wait_for(lambda: d.json("status")["wire"]["link"] == "up", "link up")
        check(st["peers"] == 2, "peers %s" % st["peers"])
        peers = d.json("peers")["peers"]
        check([(p["peer"], p["nic_id"], p["source"]) for p in peers] ==
              [(1, "02:00:00:00:00:02", "wire"), (2, "02:00:00:00:00:03", "wire")], str(peers))
        check("tx_frames" in peers[0]["counters"], str(peers[0]))
        c = d.json("counters")
        check("wire" in c and c["wire"]["protocol"]["bad_frames"] == 0, str(c.get("wire")))
        rc, out, err = d.ctl("peers")
        check(rc == 0 and "nic_id: 02:00:00:00:00:03" in out, out)
        # carrier lost on the other end: the link reads down, without a restart
        ip("link", "set", "veth1", "down")
        wait_for(lambda: d.json("status")["wire"]["link"] == "down", "link down")
        ip("link", "set", "veth1", "up")
        wait_for(lambda: d.json("status")["wire"]["link"] == "up", "link up again")
        check(d.json("status")["wire"]["link_changes"] >= 2, "link changes not counted")
        # reload: a new peer joins the running engine, a removed one stays
        # there until a restart (and the log says so)
        d.write_conf("interface = veth0\npeer = node2 02:00:00:00:00:02\n"
                     "peer = node4 02:00:00:00:00:04\nlog_level = info\n")
        rc, out, err = d.ctl("reload")
        check(rc == 0 and d.json("status")["log_level"] == "info", "reload: %r" % err)
        peers = d.json("peers")["peers"]
        check([(p["hostname"], p["nic_id"]) for p in peers] ==
              [("node2", "02:00:00:00:00:02"), ("node3", "02:00:00:00:00:03"),
               ("node4", "02:00:00:00:00:04")], "after reload: %s" % peers)
        check(d.json("status")["peers"] == 3, "status peers after reload")
        check("peer node4 added to the wire engine" in d.logtext() and
              "peer node3 left the file; the wire engine keeps it" in d.logtext(), d.logtext())
        rc, out, err = d.ctl("ping", "nowhere")
        check(rc == 1 and "not a configured peer" in err, "ping unknown: %d %r" % (rc, err))
        rc, out, err = d.ctl("ping")
        check(rc == 2, "ping without HOST: %d" % rc)
    finally:
        if d:
            d.stop()
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def case_ping(tmp):
    if os.geteuid() != 0 or not shutil.which("ip"):
        skip("needs root and iproute2 to create a network namespace")
    ns = "mxping%d" % os.getpid()
    if subprocess.run(["ip", "netns", "add", ns], capture_output=True).returncode:
        skip("cannot create a network namespace here")
    a = b = None
    try:
        def ip(*args):
            subprocess.run(["ip", "-n", ns] + list(args), check=True, capture_output=True)
        ip("link", "add", "veth0", "type", "veth", "peer", "name", "veth1")
        ip("link", "set", "veth0", "address", "02:00:00:00:00:0a")
        ip("link", "set", "veth1", "address", "02:00:00:00:00:0b")
        ip("link", "set", "veth0", "up")
        ip("link", "set", "veth1", "up")
        exe = ["ip", "netns", "exec", ns]
        ta, tb = os.path.join(tmp, "a"), os.path.join(tmp, "b")
        os.mkdir(ta)
        os.mkdir(tb)
        a = Daemon(ta, "interface = veth0\nhostname = nodeA\npeer = nodeB 02:00:00:00:00:0b\n"
                   "peer = nodeC 02:00:00:00:00:0c\n", prefix=exe)
        if not a.json("status")["wire"]["engine"]:
            skip("myribackd built without the wire engine")
        b = Daemon(tb, "interface = veth1\nhostname = nodeB\npeer = nodeA 02:00:00:00:00:0a\n",
                   prefix=exe)
        wait_for(lambda: a.json("status")["wire"]["link"] == "up" and
                 b.json("status")["wire"]["link"] == "up", "both links up")
        rc, out, err = a.ctl("ping", "nodeB", json_out=True)
        check(rc == 0, "ping nodeB: %d %r %r" % (rc, out, err))
        r = json.loads(out)
        check(r["host"] == "nodeB" and r["nic_id"] == "02:00:00:00:00:0b" and
              r["remote_hostname"] == "nodeB:0" and r["rtt_us"] > 0 and r["queries"] == 1, str(r))
        # "nodeA:0" names the configured "nodeA" (MX's hostname:board)
        rc, out, err = b.ctl("ping", "nodeA:0")
        check(rc == 0 and "remote_hostname: nodeA:0" in out, "text ping: %d %r %r" % (rc, out, err))
        # the probe leaves the engines' protocol state alone: no bad frames, no drops
        for d in (a, b):
            proto = d.json("counters")["wire"]["protocol"]
            check(proto["bad_frames"] == 0 and proto["drops"] == 0, str(proto))
        # nobody at nodeC's MAC: three queries, then a clear failure
        rc, out, err = a.ctl("ping", "nodeC")
        check(rc == 1 and "no answer to 3 host queries" in err, "ping nodeC: %d %r" % (rc, err))
        b.stop()
        b = None
        rc, out, err = a.ctl("ping", "nodeB")
        check(rc == 1 and "no answer" in err, "ping a stopped peer: %d %r" % (rc, err))
        check(a.proc.poll() is None, "daemon died")
    finally:
        for d in (a, b):
            if d:
                d.stop()
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def case_detached(tmp):
    """Without -f the daemon detaches (and moves to /): a relative -c path
    must still be re-read by a reload."""
    conf = "rel.conf"
    sock = os.path.join(tmp, "ctl.sock")
    with open(os.path.join(tmp, conf), "w") as f:
        f.write("local_socket = %s/local.sock\nctl_socket = %s\nlog_level = notice\n"
                % (tmp, sock))
    env = {k: v for k, v in os.environ.items()
           if k not in ("NOTIFY_SOCKET", "MYRIXEN_SOCKET", "MYRIXEN_CTL_SOCKET")}
    # a file, not a pipe: the detached daemon keeps stderr open
    with open(os.path.join(tmp, "daemon.log"), "w") as log:
        p = subprocess.run([MYRIBACKD, "-c", conf], cwd=tmp, env=env, stdout=log,
                           stderr=log, timeout=30)
    check(p.returncode == 0, "detaching start failed: %d" % p.returncode)
    pid = None
    try:
        def status():
            r = subprocess.run([MYRIXENCTL, "--socket", sock, "--json", "status"],
                               capture_output=True, text=True, timeout=30)
            return json.loads(r.stdout) if r.returncode == 0 else None
        st = wait_for(status, "the detached daemon")
        pid = st["pid"]
        check(st["config"] == os.path.join(os.path.realpath(tmp), conf),
              "config path %r is not absolute" % st["config"])
        with open(os.path.join(tmp, conf), "a") as f:
            f.write("poll_budget = 5\n")
        r = subprocess.run([MYRIXENCTL, "--socket", sock, "reload"], capture_output=True,
                           text=True, timeout=30)
        check(r.returncode == 0, "reload after detaching: %r" % r.stderr)
        check(status()["poll_budget"] == 5, "reload not applied")
    finally:
        if pid:
            os.kill(pid, signal.SIGTERM)
            wait_for(lambda: not os.path.exists("/proc/%d" % pid), "the daemon to exit")


CASES = {"detached": case_detached, "ping": case_ping, "wire": case_wire, "logging": case_logging, "basic": case_basic, "list": case_list, "refused": case_refused,
         "reload": case_reload, "badconf": case_badconf, "notify": case_notify}

if __name__ == "__main__":
    if len(sys.argv) < 4 or sys.argv[1] not in CASES:
        print(__doc__)
        sys.exit(2)
    MYRIBACKD, MYRIXENCTL = sys.argv[2], sys.argv[3]
    MX_HOLD = sys.argv[4] if len(sys.argv) > 4 else None
    if not os.path.exists(MYRIBACKD):
        skip("myribackd not built")
    tmpdir = tempfile.mkdtemp(prefix="mxops-")
    try:
        CASES[sys.argv[1]](tmpdir)
    except Fail as e:
        print("FAIL: %s" % e)
        sys.exit(1)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    print("OK: " + sys.argv[1])
