#!/usr/bin/env python3
"""pop3d's pre-authentication child (privsep.h, PRE-AUTHENTICATION
SANDBOX): it is not root and is under a seccomp filter; it cannot open a
message file (POPSTORE_TEST_PREAUTH_OPEN makes it try once sandboxed);
it holds no descriptor of the client; the parent, which is not
sandboxed, still logs the user in and serves the mail."""
import os
import pwd
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import pop3test as pt  # noqa: E402
import pstest  # noqa: E402

t = pstest.Tap()
PW = "Secret123"
st = pt.store(t, "LOGIN_FAIL_DELAY=0\n")
pt.add(st, "jdoe", PW)
pt.deliver(st, "jdoe", "Subject: secret\n\nthe-secret-body-860\n")

msgfile = None
for root, dirs, files in os.walk(st.dir):
    for f in files:
        p = os.path.join(root, f)
        try:
            with open(p, "rb") as fh:
                if b"the-secret-body-860" in fh.read():
                    msgfile = p
        except OSError:
            pass
t.ok(msgfile is not None, "found the message file in the store")


status = pstest.proc_status
children = pstest.proc_children


c = pt.pipe(st, env={"POPSTORE_TEST_PREAUTH_OPEN": msgfile})
t.like(c.greeting, r"^\+OK ", "greeting from the parent")
t.like(c.cmd("CAPA"), r"^\+OK Capability", "CAPA answered by the child")
while c.line() != ".":
    pass
kids = children(c.proc.pid)
t.is_(len(kids), 1, "one pre-auth child")
kid = kids[0] if kids else None
if kid:
    s = status(kid)
    uids = s.get("Uid", "").split()
    t.ok(uids and all(u != "0" for u in uids),
         "pre-auth child is not root (Uid: %s)" % s.get("Uid"))
    if os.geteuid() == 0:
        want = str(pwd.getpwnam("nobody").pw_uid)
        t.ok(uids and all(u == want for u in uids),
             "pre-auth child runs as nobody")
    t.is_(s.get("Seccomp"), "2", "pre-auth child is under a seccomp filter")
    t.is_(s.get("NoNewPrivs"), "1", "pre-auth child has no_new_privs")
    targets = []
    for fd in os.listdir("/proc/%d/fd" % kid):
        try:
            targets.append(os.readlink("/proc/%d/fd/%s" % (kid, fd)))
        except OSError:
            pass
    client = set(os.readlink("/proc/%d/fd/%d" % (c.proc.pid, fd))
                 for fd in (0, 1))
    t.ok(not client & set(targets),
         "child holds none of the client's pipes", repr(targets))
    t.ok(not any(x.startswith(st.dir + "/") for x in targets),
         "child holds no store file", repr(targets))
    t.is_(status(c.proc.pid).get("Seccomp"), "0", "parent is not filtered")
else:
    for _ in range(6):
        t.ok(False, "no child to look at")
c.cmd("USER jdoe")
r = c.cmd("PASS " + PW)
t.like(r, r"^\+OK Logged in: 1 messages", "login through the child")
t.like(c.cmd("RETR 1"), r"^\+OK", "RETR served by the parent")
body = []
while True:
    l = c.line()
    if l == ".":
        break
    body.append(l)
t.ok("the-secret-body-860" in body, "the parent reads the message")
t.like(c.cmd("QUIT"), r"^\+OK Bye", "QUIT")
c.close()
time.sleep(0.2)
log = "\n".join(st.log_lines())
m = re.search(r"event=preauth_test_open path=\S+ fd=(-?\d+) errno=(\d+) "
              r"uid=(\d+)", log)
t.ok(m is not None, "the child tried to open the message file")
if m:
    t.is_(m.group(1), "-1", "the child could not open it")
    t.is_(m.group(2), "13", "EACCES from the seccomp filter")
else:
    t.ok(False, "no fd result")
    t.ok(False, "no errno")
t.ok(not re.search(r"preauth_died|preauth_sandbox", log),
     "the child ended cleanly", log)

# Pipelined commands after PASS are served by the parent in order.
c = pt.pipe(st)
c.sendline("USER jdoe\r\nPASS %s\r\nSTAT\r\nQUIT" % PW)
t.is_(c.line(), "+OK Send your password", "pipelined USER")
t.like(c.line(), r"^\+OK Logged in", "pipelined PASS")
t.like(c.line(), r"^\+OK 1 \d+$", "pipelined STAT after the hand-over")
t.like(c.line(), r"^\+OK Bye", "pipelined QUIT")
c.close()

t.is_(st.log_errors(), [], "no error lines in the log")
pt.check_sanitizers(t)
t.done()
