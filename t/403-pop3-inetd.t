#!/usr/bin/env python3
"""pop3d behind real inetds on loopback (tcpserver, xinetd) with real
clients (python poplib, curl, fetchmail: a second run with --idfile
fetches nothing); the identity it serves as; STORE_USER empty as root;
a non-loopback client address in a network namespace."""
import json
import os
import poplib
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import pop3test as pt  # noqa: E402
import pstest  # noqa: E402

t = pstest.Tap()
if shutil.which("tcpserver") is None:
    t.skip_all("tcpserver (ucspi-tcp) is not installed")
PW = "Secret123"
st = pt.store(t, "LOGIN_FAIL_DELAY=0\n")
pt.add(st, "jdoe", PW)
pt.add(st, "fm", PW)
MSGS = ["Subject: m%d\n\nmessage number %d\n.dot line\n" % (i, i)
        for i in range(1, 4)]
for m in MSGS:
    pt.deliver(st, "jdoe", m)
    pt.deliver(st, "fm", m)
pop3d = pstest.program("pop3d/pop3d")
srv = pt.TcpServer([pop3d, "-C", st.conf], env=st.env)

try:
    # ---- python poplib ----
    p = poplib.POP3("127.0.0.1", srv.port, timeout=30)
    t.like(p.getwelcome().decode(), r"^\+OK mail\.example\.com", "poplib")
    t.ok("USER" in p.capa() and "UIDL" in p.capa(), "poplib capa")
    p.user("jdoe")
    p.pass_(PW)
    t.is_(p.stat()[0], 3, "poplib stat")
    resp, lines, octets = p.retr(2)
    t.is_(b"\r\n".join(lines) + b"\r\n", MSGS[1].replace("\n", "\r\n")
          .encode(), "poplib retr (un-stuffed)")
    t.is_(len(p.uidl()[1]), 3, "poplib uidl")
    p.dele(3)
    p.quit()
    t.is_(len(pt.listing(st, "jdoe")), 2, "poplib dele + quit")

    # ---- the identity of the server ----
    c = srv.connect()
    pid = None
    for _ in range(50):
        out = subprocess.run(["pgrep", "-f", "-P", str(srv.proc.pid)],
                             capture_output=True, text=True).stdout.split()
        if out:
            pid = int(out[0])
            break
        time.sleep(0.05)
    status = open("/proc/%d/status" % pid).read() if pid else ""
    if os.geteuid() == 0:
        import pwd
        uid = pwd.getpwnam(pt.STORE_USER).pw_uid
        t.like(status, r"\nUid:\t%d\t%d\t%d\t%d\n" % (uid, uid, uid, uid),
               "serves as the store user (all four uids)")
        t.like(status, r"\nGroups:\t\d*\s*\n", "one group at most")
    else:
        t.ok(True, "# SKIP not root")
        t.ok(True, "# SKIP not root")
    t.like(status, r"\nNoNewPrivs:\t1\n", "no_new_privs set")
    c.cmd("QUIT")
    c.close()

    # ---- curl ----
    if shutil.which("curl"):
        r = subprocess.run(["curl", "-s", "-u", "jdoe:" + PW,
                            "pop3://127.0.0.1:%d/" % srv.port],
                           capture_output=True, timeout=60)
        t.like(r.stdout.decode(), r"^1 \d+\r\n2 \d+\r\n$", "curl pop3:// LIST")
        r = subprocess.run(["curl", "-s", "-u", "jdoe:" + PW,
                            "pop3://127.0.0.1:%d/1" % srv.port],
                           capture_output=True, timeout=60)
        t.is_(r.stdout, MSGS[0].replace("\n", "\r\n").encode(),
              "curl pop3:// RETR")
    else:
        t.ok(True, "# SKIP curl")
        t.ok(True, "# SKIP curl")

    # ---- fetchmail ----
    if shutil.which("fetchmail"):
        fm = os.path.join(st.tmp, "fetchmail")
        os.mkdir(fm)
        out, ids, rc = (os.path.join(fm, n) for n in ("out", "ids", "rc"))
        with open(rc, "w") as f:
            f.write('set no syslog\npoll 127.0.0.1 service %d protocol pop3 '
                    'uidl:\n  user "fm" there with password "%s" is root '
                    'here\n  keep\n  sslproto ""\n  mda "/bin/sh -c \'cat '
                    '>> %s; echo ===END=== >> %s\'"\n' % (srv.port, PW, out,
                                                          out))
        os.chmod(rc, 0o600)
        env = dict(os.environ, HOME=fm)
        cmd = ["fetchmail", "-f", rc, "--idfile", ids, "--nodetach",
               "--nosyslog"]
        r1 = subprocess.run(cmd, capture_output=True, text=True, env=env,
                            timeout=60)
        got = open(out).read() if os.path.exists(out) else ""
        t.ok(got.count("===END===") == 3, "fetchmail fetched 3 messages",
             r1.stdout + r1.stderr)
        t.ok(".dot line" in got, "fetchmail got the un-stuffed dot line")
        r2 = subprocess.run(cmd, capture_output=True, text=True, env=env,
                            timeout=60)
        got = open(out).read()
        t.ok(got.count("===END===") == 3, "second fetchmail run with "
             "--idfile fetches nothing", r2.stdout + r2.stderr)
        t.is_(r2.returncode, 1, "fetchmail: 1 = no new mail")
        # fetchmail reads with TOP when it keeps mail: not \Seen then
        t.is_([f for _, f, _ in pt.listing(st, "fm")], ["--"] * 3,
              "kept messages stay on the server, unseen (fetched by TOP)")
    else:
        for _ in range(5):
            t.ok(True, "# SKIP fetchmail not installed")
finally:
    srv.stop()

# ---- xinetd ----
if shutil.which("xinetd"):
    port = pstest.free_port()
    xconf = os.path.join(st.tmp, "xinetd.conf")
    pidf = os.path.join(st.tmp, "xinetd.pid")
    with open(xconf, "w") as f:
        f.write("defaults\n{\n}\nservice popstore-test\n{\n  type = UNLISTED\n"
                "  port = %d\n  bind = 127.0.0.1\n  socket_type = stream\n"
                "  protocol = tcp\n  wait = no\n  user = root\n"
                "  server = %s\n  server_args = -C %s\n  instances = 10\n"
                "  env = POPSTORE_CONF=%s\n}\n" % (port, pop3d, st.conf,
                                                   st.conf))
    x = subprocess.Popen(["xinetd", "-f", xconf, "-dontfork", "-pidfile",
                          pidf], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    try:
        p = None
        for _ in range(100):
            try:
                p = poplib.POP3("127.0.0.1", port, timeout=10)
                break
            except OSError:
                time.sleep(0.05)
        t.ok(p is not None, "xinetd answers")
        if p:
            p.user("jdoe")
            p.pass_(PW)
            t.is_(p.stat()[0], 2, "xinetd: login and STAT")
            p.quit()
        else:
            t.ok(False, "xinetd: login")
    finally:
        x.terminate()
        x.wait(10)
else:
    t.ok(True, "# SKIP xinetd not installed")
    t.ok(True, "# SKIP xinetd not installed")

# ---- a non-loopback client in a network namespace ----
NETNS = r'''
import json, socket, subprocess, sys, time
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
subprocess.run(["ip", "addr", "add", "192.0.2.1/32", "dev", "lo"], check=True)
srv = subprocess.Popen(["tcpserver", "-R", "-H", "-l", "x", "192.0.2.1",
                        "110"] + sys.argv[1:])
for _ in range(100):
    try:
        s = socket.create_connection(("192.0.2.1", 110), 2)
        break
    except OSError:
        time.sleep(0.05)
f = s.makefile("rwb")
out = {"greeting": f.readline().decode()}
f.write(b"CAPA\r\n"); f.flush()
capa = []
while True:
    l = f.readline().decode().strip()
    if l == ".":
        break
    capa.append(l)
out["capa"] = capa
f.write(b"USER jdoe\r\n"); f.flush()
out["user"] = f.readline().decode().strip()
f.write(b"QUIT\r\n"); f.flush()
f.readline()
srv.terminate()
print(json.dumps(out))
'''
r = subprocess.run(["unshare", "-n", sys.executable, "-c", NETNS, pop3d,
                    "-C", st.conf], capture_output=True, text=True,
                   timeout=60, env=st.env)
if r.returncode == 0 and r.stdout.strip():
    out = json.loads(r.stdout.strip().splitlines()[-1])
    t.ok("USER" not in out["capa"] and "SASL SCRAM-SHA-256" in out["capa"],
         "192.0.2.1 is not local: no USER, no PLAIN", out)
    t.like(out["user"], r"^-ERR \[AUTH\] Plaintext", "USER refused")
    t.like("\n".join(st.log_lines()), r"event=connect ip=192\.0\.2\.1 ",
           "the address logged")
else:
    for _ in range(3):
        t.ok(True, "# SKIP no network namespace: %s" % r.stderr.strip()[:60])

# ---- root without STORE_USER ----
if os.geteuid() == 0:
    st3 = pstest.Store(None, conf="LOGIN_FAIL_DELAY=0\n", init=False,
                       name="rootstore")
    st3.expect_errors(r"STORE_USER is not set")
    r = st3.run("pop3d/pop3d", input=b"")
    t.is_(r.returncode, 78, "as root without STORE_USER: exit 78")
    t.is_(r.stdout, "-ERR [SYS/TEMP] Service not available\r\n",
          "the client is told")
    t.like("\n".join(st3.log_lines()), r"crit: event=config reason=\"STORE_"
           r"USER is not set", "logged")
else:
    for _ in range(3):
        t.ok(True, "# SKIP not root")
t.is_(st.log_errors(), [], "no errors logged")
pt.check_sanitizers(t)
t.done()
