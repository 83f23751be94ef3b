#!/usr/bin/env python3
"""poppassd's pre-authentication child (privsep.h, PRE-AUTHENTICATION
SANDBOX; poppassd(8), PRIVILEGE SEPARATION): the dialogue is parsed by a
child that is not root, is under a seccomp filter and holds neither the
client nor the store; the parent checks and changes the password,
counts failures and waits after each; hostile input gets clear answers;
a child killed mid-dialogue ends the session and changes nothing."""
import os
import pwd
import re
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import pop3test as pt  # noqa: E402
import pstest  # noqa: E402

t = pstest.Tap()
OLD, NEW, NEWER = "Secret123", "Better456", "Greater789"
st = pt.store(t, "LOGIN_FAIL_DELAY=0\nLOGIN_MAX_FAILURES=3\n")
pt.add(st, "jdoe", OLD)
pt.add(st, "kim", OLD)


def pp(env=None):
    return pt.spawn(st, "poppassd/poppassd", env=env)


def pop3_login_ok(user, pw):
    c = pt.pipe(st)
    c.cmd("USER " + user)
    r = c.cmd("PASS " + pw)
    c.close()
    return r.startswith("+OK")


status = pstest.proc_status
children = pstest.proc_children


def log():
    return "\n".join(st.log_lines())


profile = None
for root, dirs, files in os.walk(st.dir):
    if "profile" in files and "jdoe" in root:
        profile = os.path.join(root, "profile")
t.ok(profile is not None, "found jdoe's profile")

# ---- the child: who it is, what it holds ----
c = pp(env={"POPSTORE_TEST_PREAUTH_OPEN": profile or "/nonexistent"})
t.like(c.greeting, r"^200 .*poppassd .*who are you\?$", "greeting")
t.is_(c.cmd("user jdoe"), "200 Your password please.", "user, via the child")
kids = children(c.proc.pid)
t.is_(len(kids), 1, "one pre-auth child")
kid = kids[0] if kids else None
if kid:
    s = status(kid)
    uids = s.get("Uid", "").split()
    t.ok(uids and all(u != "0" for u in uids),
         "child is not root (Uid: %s)" % s.get("Uid"))
    if os.geteuid() == 0:
        want = str(pwd.getpwnam("nobody").pw_uid)
        t.ok(uids and all(u == want for u in uids), "child runs as nobody")
    else:
        t.ok(True, "# SKIP not root: the child keeps the invoking user")
    t.is_(s.get("Seccomp"), "2", "child is under a seccomp filter")
    t.is_(s.get("NoNewPrivs"), "1", "child has no_new_privs")
    targets = []
    for fd in os.listdir("/proc/%d/fd" % kid):
        try:
            targets.append(os.readlink("/proc/%d/fd/%s" % (kid, fd)))
        except OSError:
            pass
    client = set(os.readlink("/proc/%d/fd/%d" % (c.proc.pid, fd))
                 for fd in (0, 1))
    t.ok(not client & set(targets), "child holds none of the client's "
         "pipes", repr(targets))
    t.ok(not any(x.startswith(st.dir + "/") for x in targets),
         "child holds no store file", repr(targets))
    t.is_(status(c.proc.pid).get("Seccomp"), "0", "parent is not filtered")
else:
    for _ in range(7):
        t.ok(False, "no child to look at")

# ---- a change end to end ----
t.is_(c.cmd("pass " + OLD), "200 Your new password please.", "pass")
t.is_(c.cmd("newpass " + NEW), "200 Password changed, thank-you.",
      "newpass")
t.is_(c.cmd("quit"), "200 Bye.", "quit")
t.ok(c.eof(), "closed after quit")
t.is_(c.close(), 0, "exit 0")
t.ok(pop3_login_ok("jdoe", NEW), "pop3d takes the new password")
t.ok(not pop3_login_ok("jdoe", OLD), "...not the old one")
m = re.search(r"event=preauth_test_open path=\S+ fd=(-?\d+) errno=(\d+)",
              log())
t.ok(m and m.group(1) == "-1" and m.group(2) == "13",
     "the child cannot open the profile (EACCES)", m and m.group(0))
t.like(log(), r"poppassd\[%d\]: \w+: event=password_changed user=jdoe "
       r"ip=pipe tls=no" % c.proc.pid, "the parent changed and logged it")

# ---- pipelined: replies keep their order ----
c = pp()
c.send("user jdoe\r\npass %s\r\nnewpass %s\r\nquit\r\n" % (NEW, NEWER))
got = [c.line() for _ in range(4)]
t.is_(got, ["200 Your password please.", "200 Your new password please.",
            "200 Password changed, thank-you.", "200 Bye."],
      "pipelined dialogue in order")
t.is_(c.close(), 0, "exit 0")

# ---- a wrong old password: the parent counts and waits ----
pt.set_option(st, "LOGIN_FAIL_DELAY", "1")
c = pp()
c.cmd("user kim")
t0 = time.time()
r = c.cmd("pass wrong-one")
took = time.time() - t0
t.is_(r, "500 Old password is incorrect.", "wrong old password")
t.ok(took >= 0.9, "LOGIN_FAIL_DELAY waited (%.2fs)" % took)
kids = children(c.proc.pid)
t.like(log(), r"poppassd\[%d\]: \w+: event=auth_failed user=kim ip=pipe "
       r"tls=no mech=poppassd reason=badpass" % c.proc.pid,
       "failure logged by the parent")
t.ok(kids and not re.search(r"poppassd\[%d\]: \w+: event=auth_failed" %
                            kids[0], log()), "...not by the child")
t.is_(c.cmd("newpass " + NEW), "500 Username and old password first.",
      "no newpass after a failure")
c.close()
pt.set_option(st, "LOGIN_FAIL_DELAY", "0")
c = pp()
c.cmd("user kim")
c.cmd("pass wrong-two")
c.cmd("user kim")
c.cmd("pass wrong-three")
c.cmd("user nosuch")
t.is_(c.cmd("pass " + OLD), "500 Old password is incorrect; too many "
      "failures.", "the third failure ends it")
t.ok(c.eof(), "closed")
t.is_(c.close(), 0, "exit 0")
t.ok(pop3_login_ok("kim", OLD), "kim's password unchanged")
t.ok("wrong-one" not in log() and "wrong-two" not in log(),
     "no password in the log")

# ---- hostile input ----
c = pp()
c.send(b"us\0er kim\r\n")
t.is_(c.line(), "500 NUL byte in command.", "NUL byte")
c.send(b"pass \0" + OLD.encode() + b"\r\n")
t.is_(c.line(), "500 NUL byte in command.", "NUL byte in a password")
t.is_(c.cmd("\xff\xfe\x01\x7f garbage"), "500 Unknown command.", "garbage")
t.is_(c.cmd(""), "500 Unknown command.", "empty line")
t.is_(c.cmd("user " + "u" * 2000), "200 Your password please.",
      "a huge user name")
t.is_(c.cmd("pass " + OLD), "500 Old password is incorrect.",
      "...is an unknown user")
c.cmd("user kim")
t.is_(c.cmd("pass " + "p" * 2040), "500 Old password is incorrect.",
      "a huge old password")
c.cmd("user kim")
t.is_(c.cmd("pass " + OLD), "200 Your new password please.",
      "then the right one")
t.like(c.cmd("newpass " + "N1x" * 680), r"^500 \S.*\.$",
       "a huge new password: a clear refusal")
t.like(c.cmd("newpass " + "ab\x01cd\x02efgh"), r"^500 \S",
       "control characters in the new password: refused")
c.send("newpass " + "x" * 3000 + "\r\n")
t.is_(c.line(), "500 Line too long.", "an overlong line")
t.ok(c.eof(), "...closes")
t.is_(c.close(), 0, "parent exit 0")
t.ok(pop3_login_ok("kim", OLD), "kim's password unchanged")
c = pp()
c.send(b"".join(b"\x80junk %d\n" % i for i in range(12)))
lines = [c.line() for _ in range(10)]
t.ok(all(l == "500 Unknown command." for l in lines), "bare LF garbage: "
     "one answer a line")
t.ok(c.eof(), "closed after too many bad commands")
t.is_(c.close(), 0, "parent exit 0")
c = pp()
c.send(b"user kim\r\npass " + OLD.encode())     # no line end, then EOF
c.end.proc.stdin.close()
t.is_(c.line(), "200 Your password please.", "partial last line")
t.ok(c.eof(), "...dropped at end of input")
t.is_(c.close(), 0, "parent exit 0")
t.ok(not re.search(r"preauth_died|preauth_sandbox", log()),
     "no child died so far")
t.like(log(), r"event=disconnect ip=pipe end=bad_commands",
       "disconnect after bad commands logged")

# ---- the child killed mid-dialogue ----
c = pp()
c.cmd("user jdoe")
t.is_(c.cmd("pass " + NEWER), "200 Your new password please.",
      "old password right")
kids = children(c.proc.pid)
t.is_(len(kids), 1, "one child to kill")
if kids:
    os.kill(kids[0], signal.SIGKILL)
t.is_(c.line(), "500 The password service is not available now.",
      "the parent answers for the dead child at once")
try:
    c.sendline("newpass " + OLD)
except OSError:
    pass
t.ok(c.eof(), "...and closes")
t.is_(c.close(), 0, "parent exit 0")
t.like(log(), r"poppassd\[%d\]: \w+: event=preauth_died signal=9" %
       c.proc.pid, "preauth_died logged")
t.like(log(), r"poppassd\[%d\]: \w+: event=disconnect ip=pipe "
       r"end=preauth_died" % c.proc.pid, "disconnect end=preauth_died")
t.ok(pop3_login_ok("jdoe", NEWER), "the password is unchanged")
t.ok(not pop3_login_ok("jdoe", OLD), "...not the one asked for")

# ---- the child killed while the parent waits after a failure ----
pt.set_option(st, "LOGIN_FAIL_DELAY", "1")
c = pp()
c.cmd("user kim")
kids = children(c.proc.pid)
c.sendline("pass wrong-four")
time.sleep(0.3)
if kids:
    os.kill(kids[0], signal.SIGKILL)
t.is_(c.line(), "500 The password service is not available now.",
      "killed during the delay: the parent answers")
t.ok(c.eof(), "...and closes")
t.is_(c.close(), 0, "parent exit 0")
pt.set_option(st, "LOGIN_FAIL_DELAY", "0")
t.is_(len(re.findall(r"event=preauth_died signal=9", log())), 2,
      "preauth_died logged again")
t.ok(pop3_login_ok("kim", OLD), "kim's password unchanged")

t.is_(st.log_errors([r"event=preauth_died"]), [],
      "no other error lines in the log")
pt.check_sanitizers(t)
t.done()
