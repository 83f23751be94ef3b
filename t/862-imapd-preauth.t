#!/usr/bin/env python3
"""imapd's pre-authentication child (privsep.h, PRE-AUTHENTICATION
SANDBOX; imapd(8) SECURITY): it is not root (nobody when started as
root), under a seccomp filter, cannot open a message file and holds no
descriptor of the client; the parent reads lines and literals for it,
runs STARTTLS and every credential check, and serves the session after
LOGIN or AUTHENTICATE; hostile input before the login gets clear errors;
a child killed by a signal ends the session with preauth_died."""
import base64
import os
import pwd
import re
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import imapt  # noqa: E402
import pstest  # noqa: E402

t, st = imapt.setup("IMAP_MAX_LINE=8K\n")
PW = imapt.PASSWORD
st.user("jdoe")
st.deliver("jdoe", imapt.msg(subject="secret", body="the-secret-body-862\r\n"))

r = subprocess.run(["grep", "-rl", "the-secret-body-862", st.dir],
                   capture_output=True, text=True)
msgfile = r.stdout.split("\n")[0] or None
t.ok(msgfile is not None, "found the message file in the store")


status = pstest.proc_status
children = pstest.proc_children


def fds(pid):
    """What descriptors 0, 1, 2... of pid point at, in order."""
    out = []
    for fd in sorted(os.listdir("/proc/%d/fd" % pid), key=int):
        try:
            out.append(os.readlink("/proc/%d/fd/%s" % (pid, fd)))
        except OSError:
            pass
    return out


def ended(c, eof=False):
    """The rest of what imapd sends (after end of input with eof), and
    its exit status."""
    if eof:
        c.proc.stdin.close()
    rest = c.pending(2)
    return rest, c.close()


# ---- the child: identity, filter, descriptors, files ----
c = st.imap(env={"POPSTORE_TEST_PREAUTH_OPEN": msgfile})
t.like(c.greeting.decode(), r"^\* OK \[CAPABILITY IMAP4rev1 .*AUTH=PLAIN",
       "greeting from the parent")
tag, un = c.cmd("CAPABILITY")
t.ok(tag.startswith(b"OK") and un and b"AUTH=PLAIN" in un[0],
     "CAPABILITY answered by the child", un)
kids = children(c.proc.pid)
t.is_(len(kids), 1, "one pre-auth child")
kid = kids[0] if kids else 0
ks = status(kid) if kid else {}
ps = status(c.proc.pid)
# Expected ids: nobody's when run as root, else the test's own.
uid = str(pwd.getpwnam("nobody").pw_uid if os.geteuid() == 0 else
          os.geteuid())
t.is_(set(ks.get("Uid", "").split()), {uid}, "child's uids: " + uid)
t.is_((ks.get("Seccomp"), ks.get("NoNewPrivs"), ps.get("Seccomp")),
      ("2", "1", "0"), "child filtered, no_new_privs; parent not filtered")
held = set(fds(kid)) if kid else set()
t.ok(kid and not held & set(fds(c.proc.pid)[:2]) and
     not any(x.startswith(st.dir + "/") for x in held),
     "child holds neither the client's pipes nor a store file", held)
t.like(c.cmd("NOOP")[0].decode(), r"^OK", "NOOP in the child")
t.like(c.cmd('ID ("name" "test")')[0].decode(), r"^OK", "ID in the child")
t.like(c.cmd("SELECT INBOX")[0].decode(), r"^NO Log in first",
       "SELECT before login")
t.like(c.cmd("FROB")[0].decode(), r"^BAD", "unknown command")
t.like(c.login("jdoe").decode(), r"^OK \[CAPABILITY .*NAMESPACE",
       "LOGIN through the child")
t.is_(children(c.proc.pid), [], "no child left after the login")
c.ok("SELECT INBOX")
un = c.ok("FETCH 1 BODY[TEXT]")
t.ok(b"the-secret-body-862" in un[0], "FETCH served by the parent")
c.cmd("LOGOUT")
c.close()
time.sleep(0.2)
log = "\n".join(st.log_lines())
opened = re.findall(r"event=preauth_test_open path=\S+ fd=(-?\d+) "
                    r"errno=(\d+)", log)
t.is_(opened, [("-1", "13")],
      "the child tried to open the message file: EACCES (seccomp)")
t.ok("preauth_died" not in log and "preauth_sandbox" not in log,
     "the child ended cleanly", log)

# ---- logins: LOGIN with literals, AUTHENTICATE PLAIN ----
plain = base64.b64encode(b"\0jdoe\0" + PW.encode()).decode()
c = st.imap()
c.send("a1 LOGIN jdoe {%d}\r\n" % len(PW))
t.like(c.line().decode(), r"^\+ ", "continuation for a synchronizing literal")
c.send(PW + "\r\n")
t.like(c.wait("a1")[0].decode(), r"^OK", "LOGIN with a literal password")
c.cmd("LOGOUT")
c.close()

c = st.imap()
c.send("a1 LOGIN {4+}\r\njdoe {%d+}\r\n%s\r\n" % (len(PW), PW))
t.like(c.wait("a1")[0].decode(), r"^OK", "LOGIN with LITERAL+ literals")
c.close()

c = st.imap()
t.like(c.cmd("AUTHENTICATE PLAIN " + plain)[0].decode(), r"^OK",
       "AUTHENTICATE PLAIN with an initial response")
c.close()

c = st.imap()
c.send("a1 AUTHENTICATE PLAIN\r\n")
t.is_(c.line(), b"+ ", "AUTHENTICATE PLAIN: empty challenge")
c.send(plain + "\r\n")
t.like(c.wait("a1")[0].decode(), r"^OK", "AUTHENTICATE PLAIN by a response")
c.close()

c = st.imap()
c.send("a1 AUTHENTICATE PLAIN\r\n")
c.line()
c.send("*\r\n")
t.like(c.wait("a1")[0].decode(), r"^BAD", "AUTHENTICATE cancelled")
c.send("a2 AUTHENTICATE PLAIN\r\n")
c.line()
c.send("!!notbase64\r\n")
t.like(c.wait("a2")[0].decode(), r"^BAD", "bad base64 in a response")
bad = base64.b64encode(b"\0jdoe\0wrong").decode()
t.like(c.cmd("AUTHENTICATE PLAIN " + bad)[0].decode(),
       r"^NO \[AUTHENTICATIONFAILED\]", "AUTHENTICATE with a bad password")
t.like(c.cmd("LOGIN jdoe wrong")[0].decode(), r"^NO \[AUTHENTICATIONFAILED\]",
       "LOGIN with a bad password")
tag, un = c.cmd("LOGIN nosuch wrong")
t.like(tag.decode(), r"^NO", "third failure")
rest, rc = ended(c)
t.ok(any(b"BYE Too many" in x for x in un + rest),
     "BYE after LOGIN_MAX_FAILURES, counted by the parent", un + rest)
t.ok(any("auth_failed" in x and "user=jdoe" in x for x in st.log_lines()),
     "auth_failed logged by the parent")

# ---- pipelined commands after the login, served in order ----
c = st.imap()
c.send("p1 CAPABILITY\r\np2 LOGIN jdoe %s\r\np3 SELECT INBOX\r\n"
       "p4 FETCH 1 (BODY[TEXT])\r\np5 LOGOUT\r\n" % PW)
order = []
got = []
for tg in ("p1", "p2", "p3", "p4", "p5"):
    tag, un = c.wait(tg)
    order.append(tg)
    got.append((tag, un))
t.is_(order, ["p1", "p2", "p3", "p4", "p5"], "pipelined: every tag in order")
t.ok(got[1][0].startswith(b"OK") and got[3][0].startswith(b"OK") and
     b"the-secret-body-862" in got[3][1][0], "pipelined: login, FETCH", got)
c.close()

# ---- STARTTLS, then login (socket pair: fd 0/1 a socket) ----
cert, key = imapt.make_cert(st)
conf_tls = os.path.join(st.tmp, "tls.conf")
with open(st.conf) as f, open(conf_tls, "w") as g:
    g.write(f.read() + "TLS_CERT_FILE=%s\nTLS_KEY_FILE=%s\n"
            "PLAINTEXT_LOGIN=never\n" % (cert, key))
if os.geteuid() == 0:
    os.chmod(key, 0o600)
a, b = socket.socketpair()
proc = subprocess.Popen([pstest.program("imapd"), "-C", conf_tls],
                        stdin=b, stdout=b, env=st.env)
b.close()
c = imapt.Client(st, sock=a)
t.ok(b"STARTTLS" in c.greeting and b"LOGINDISABLED" in c.greeting,
     "STARTTLS and LOGINDISABLED offered", c.greeting)
t.like(c.cmd("LOGIN jdoe " + PW)[0].decode(), r"^NO \[PRIVACYREQUIRED\]",
       "plaintext LOGIN refused before STARTTLS")
c.send("s1 STARTTLS\r\ns2 LOGIN jdoe %s\r\n" % PW)
t.like(c.wait("s1")[0].decode(), r"^OK", "STARTTLS")
c2 = imapt.Client(st, sock=imapt.tls_wrap(a), greeting=False)
tag, un = c2.cmd("CAPABILITY")
t.ok(tag.startswith(b"OK") and b"LOGINDISABLED" not in un[0] and
     b"STARTTLS" not in un[0], "CAPABILITY from the child after STARTTLS", un)
t.ok(not any(x.startswith(b"s2 ") for x in un),
     "pipelined LOGIN before TLS discarded")
t.like(c2.login("jdoe").decode(), r"^OK", "LOGIN over TLS")
un = c2.ok("SELECT INBOX")
t.ok(any(b"EXISTS" in x for x in un), "SELECT over TLS")
c2.cmd("LOGOUT")
c2.close()
t.is_(proc.wait(timeout=20), 0, "imapd over TLS exits 0")

# ---- hostile input before the login ----
c = st.imap()
t.like(c.cmd("LOGIN jdoe {4294967296}")[0].decode(), r"^BAD \[TOOBIG\]",
       "huge synchronizing literal refused without a continuation")
t.like(c.cmd("LOGIN jdoe {99999999999999999999999}")[0].decode(), r"^BAD",
       "literal length that is not a number")
t.like(c.cmd("LOGIN jdoe {-1}")[0].decode(), r"^BAD", "negative length")
t.like(c.cmd("LOGIN jdoe {}")[0].decode(), r"^BAD", "empty length")
t.like(c.cmd(b"LOGIN jdoe pass\0word")[0].decode(), r"^BAD.*NUL",
       "NUL byte in a command")
c.send("n1 LOGIN jdoe {5+}\r\nab\0cd\r\n")
t.like(c.wait("n1")[0].decode(), r"^BAD.*NUL", "NUL byte in a literal")
t.like(c.cmd("NOOP")[0].decode(), r"^OK", "still serving after all that")
c.send("h1 LOGIN jdoe {999999999999+}\r\n")
rest, rc = ended(c)
t.ok(any(b"BYE" in x for x in rest), "huge LITERAL+ ends the session", rest)
t.is_(rc, 0, "parent exits 0 after a huge LITERAL+")

c = st.imap()
c.send("l1 LOGIN " + "x" * 9000 + "\r\n")
rest, rc = ended(c)
t.ok(any(b"BYE [TOOBIG]" in x for x in rest), "over-long line: BYE", rest)
t.is_(rc, 0, "parent exits 0 after an over-long line")

c = st.imap()
c.send("w1 LOGIN jdoe {10}\r\n")
t.like(c.line().decode(), r"^\+ ", "continuation for a literal")
c.send("abc")
rest, rc = ended(c, eof=True)
t.is_(rc, 0, "literal that never arrives: parent exits 0 at end of input")

c = st.imap()
c.send("w1 LOGIN jdoe {10+}\r\nabc")
rest, rc = ended(c, eof=True)
t.is_(rc, 0, "LITERAL+ cut short: parent exits 0")

# ---- the child killed by SIGKILL ----
c = st.imap()
c.ok("NOOP")
kids = children(c.proc.pid)
t.is_(len(kids), 1, "a child to kill")
if kids:
    os.kill(kids[0], signal.SIGKILL)
rest, rc = ended(c)
t.ok(any(x.startswith(b"* BYE") for x in rest), "client told BYE", rest)
t.is_(rc, 0, "parent exits 0 after its child was killed")
time.sleep(0.1)
t.ok(any("preauth_died" in x and "signal=9" in x for x in st.log_lines()),
     "preauth_died signal=9 logged")
c = st.imap()
c.login("jdoe")
un = c.ok("SELECT INBOX")
t.ok(any(b"1 EXISTS" in x for x in un), "nothing lost: the message is there")
c.cmd("LOGOUT")
c.close()
t.is_(st.reconstruct_clean(), "", "store consistent")

t.is_(st.log_errors((r"preauth_died",)), [], "no other error lines in the log")
t.done()
