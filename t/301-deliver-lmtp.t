#!/usr/bin/env python3
"""deliver -l: LMTP (RFC 2033) with pipelining. One stored copy for 1, 3
and 1,000 recipients, a reply per recipient after DATA, refusals at RCPT
(unknown, DISMAIL, over quota either way), dot-unstuffing, several
transactions per connection, limits (recipients, size, line length, NUL,
bad commands) and the idle timeout."""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import deliverlib as dl  # noqa: E402
import pstest  # noqa: E402
import storecheck  # noqa: E402

t = pstest.Tap()
start = time.time()
since = time.time() - 1
users = ["u%d" % i for i in range(1, 1001)]
st = dl.new_store(t, accounts=users + ["jdoe", "dm", "q1"],
                  switches=["-store=pop"])
st.popmgr("modify", "dm", "-flags=dismail")
st.popmgr("modify", "q1", "-quota=2", "-overdraft=0")


def conf_with(name, extra):
    path = os.path.join(st.tmp, name)
    with open(st.conf) as f, open(path, "w") as g:
        g.write(f.read() + extra)
    return path


# The idle timeout runs alongside the rest: LMTP_TIMEOUT's minimum is 10 s.
idle = subprocess.Popen([dl.DELIVER, "-C", conf_with("to.conf",
                                                     "LMTP_TIMEOUT=10\n"),
                         "-l"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
idle.stdin.write(b"LHLO x\r\n")
idle.stdin.flush()
idle_start = time.time()


def dot_stuff(data):
    lines = data.split(b"\r\n")
    return b"\r\n".join(b"." + l if l.startswith(b".") else l for l in lines)


def session(rcpts, msg, mail="MAIL FROM:<s@example.org>", extra=b""):
    out = [b"LHLO client.example.org", mail.encode()]
    out += [b"RCPT TO:<%s>" % r.encode() for r in rcpts]
    out += [b"DATA", dot_stuff(msg) + b".", b"QUIT"]
    return b"\r\n".join(out) + b"\r\n" + extra


def data_replies(out, n):
    rep = dl.replies(out)
    i = next(k for k, l in enumerate(rep) if l.startswith("354"))
    return rep[i + 1:i + 1 + n]


msg = (b"Subject: lmtp\r\n\r\n.leading dot\r\n..two dots\r\nbinary \xff\x00"
       b"\r\nbare\nlf\r\n")
r = dl.lmtp(st, session(["jdoe"], msg))
rep = dl.replies(r.stdout)
t.like(rep[0], r"^220 mail\.example\.com LMTP", "greeting")
t.ok({"250-PIPELINING", "250-ENHANCEDSTATUSCODES", "250-8BITMIME"} <=
     set(rep) and "250 SIZE 67108864" in rep, "LHLO lists the extensions")
t.is_(data_replies(r.stdout, 1), ["250 2.0.0 <jdoe>: delivered"],
      "one reply after DATA")
t.is_(rep[-1], "221 2.0.0 bye", "QUIT")
got = dl.stored(st, "jdoe")
pre, rcv, body = dl.body_of(got[0])
t.ok(body == msg.replace(b"bare\nlf", b"bare\r\nlf"),
      "stored unstuffed, byte-exact (a bare LF line end becomes CRLF)")
t.like(rcv.decode(), r"^Received: from client\.example\.org \(pipe\)\r\n\tby "
       r"mail\.example\.com \(popstore\) with LMTP id \w+\r\n\tfor <jdoe>; ",
       "Received names the LHLO host and LMTP")
t.is_(pre, b"Return-Path: <s@example.org>\r\nDelivered-To: jdoe\r\n",
      "Return-Path, Delivered-To for one recipient")

for n in (3, 1000):
    m = dl.crlf(dl.message(n, 8000))
    t0 = time.time()
    r = dl.lmtp(st, session(users[:n], m))
    el = time.time() - t0
    dr = data_replies(r.stdout, n)
    t.ok(len(dr) == n and all(l.startswith("250 2.0.0") for l in dr),
         "%d recipients: %d replies 250 after DATA" % (n, n), r.stdout[-500:])
    ps = [dl.paths(st, u)[-1] for u in (users[0], users[n // 2], users[n - 1])]
    t.is_(len({os.stat(p).st_ino for p in ps}), 1, "%d: one inode" % n)
    t.is_(os.stat(ps[0]).st_nlink, n, "%d: link count %d" % (n, n))
    with open(ps[-1], "rb") as f:
        t.ok(dl.body_of(f.read())[2] == m, "%d: byte-exact" % n)
    t.diag("%d recipients over LMTP in %.2fs" % (n, el))
sv = storecheck.StoreView(st.conf)
t.is_(sv.usage("u3")["message_count"], 2, "u3 counted twice")
t.is_(sv.usage("u4")["message_count"], 1, "u4 once")

# ---- refusals at RCPT and per-recipient results ----
big = dl.crlf(dl.message(9, 3000))
script = (b"LHLO x\r\nMAIL FROM:<s@example.org> SIZE=%d\r\n" % len(big) +
          b"RCPT TO:<nosuch>\r\nRCPT TO:<dm>\r\nRCPT TO:<q1>\r\n"
          b"RCPT TO:<jdoe@example.com>\r\nDATA\r\n" + big + b".\r\nQUIT\r\n")
r = dl.lmtp(st, script)
rep = dl.replies(r.stdout)
t.ok("550 5.1.1 <nosuch>: no such user" in rep, "unknown: 550 5.1.1")
t.ok(any(l.startswith("550 5.2.1 <dm>") for l in rep), "DISMAIL: 550 5.2.1")
t.ok(any(l.startswith("452 4.2.2 <q1>") for l in rep),
     "over quota (SIZE=), deferring: 452 4.2.2")
t.is_(data_replies(r.stdout, 1), ["250 2.0.0 <jdoe@example.com>: delivered"],
      "only the accepted recipient gets a reply after DATA")
r = dl.lmtp(st, script, conf=conf_with("rq.conf", "REJECT_OVER_QUOTA=1\n"))
t.ok(any(l.startswith("552 5.2.2 <q1>") for l in dl.replies(r.stdout)),
     "over quota, REJECT_OVER_QUOTA=1: 552 5.2.2")
# No SIZE=: the quota is found exceeded after DATA, for that recipient only.
r = dl.lmtp(st, session(["q1", "u1"], big))
t.is_([l[:9] for l in data_replies(r.stdout, 2)], ["452 4.2.2", "250 2.0.0"],
      "after DATA: 452 for the recipient over quota, 250 for the other")

# ---- several transactions, RSET, commands ----
m1, m2 = b"Subject: 1\r\n\r\none\r\n", b"Subject: 2\r\n\r\ntwo\r\n"
n0 = len(dl.stored(st, "u7"))
script = (b"LHLO x\r\nMAIL FROM:<a@x>\r\nRCPT TO:<u7>\r\nDATA\r\n" + m1 +
          b".\r\nMAIL FROM:<b@x>\r\nRCPT TO:<u7>\r\nRSET\r\nNOOP\r\n"
          b"MAIL FROM:<>\r\nRCPT TO:<u7>\r\nRCPT TO:<u8>\r\nDATA\r\n" + m2 +
          b".\r\nVRFY u7\r\nHELO x\r\nBOGUS\r\nQUIT\r\n")
r = dl.lmtp(st, script)
rep = dl.replies(r.stdout)
got = dl.stored(st, "u7")
t.is_(len(got) - n0, 2, "two transactions in one connection; RSET drops one")
t.is_(dl.body_of(got[-1])[0][:17], b"Return-Path: <>\r\n", "null sender")
t.ok("252 2.5.0 cannot VRFY user, but will accept message and attempt "
     "delivery" in rep, "VRFY 252")
t.ok("500 5.5.1 this is LMTP: use LHLO" in rep, "HELO refused")
t.ok("500 5.5.2 command not recognized" in rep, "unknown command")
t.is_(rep[-1], "221 2.0.0 bye", "session ends with QUIT")

seq = [(b"MAIL FROM:<a@x>\r\n", "503 5.5.1", "MAIL before LHLO"),
       (b"LHLO x\r\nRCPT TO:<u1>\r\n", "503 5.5.1", "RCPT before MAIL"),
       (b"LHLO x\r\nMAIL FROM:<a@x>\r\nDATA\r\n", "503 5.5.1",
        "DATA without recipients"),
       (b"LHLO x\r\nMAIL FROM:<a@x>\r\nMAIL FROM:<a@x>\r\n", "503 5.5.1",
        "nested MAIL"),
       (b"LHLO x\r\nMAIL FROM:<a@x> SIZE=99999999999\r\n", "552 5.3.4",
        "SIZE over the maximum"),
       (b"LHLO x\r\nMAIL FROM:<a@x> FOO=BAR\r\n", "555 5.5.4",
        "unknown MAIL parameter"),
       (b"LHLO x\r\nMAIL FROM:<a@x>\r\nRCPT TO:<u1> NOTIFY=NEVER\r\n",
        "555 5.5.4", "unknown RCPT parameter"),
       (b"LHLO x\r\nMAIL FROM:a@x\r\n", "501 5.5.4", "MAIL without <>"),
       (b"LHLO x\r\nMA\x00IL FROM:<a@x>\r\n", "500 5.5.2", "NUL in a command"),
       (b"LHLO\r\n", "501 5.5.4", "LHLO without a name")]
for script, want, name in seq:
    r = dl.lmtp(st, script + b"QUIT\r\n")
    t.ok(any(l.startswith(want) for l in dl.replies(r.stdout)),
         "%s: %s" % (name, want), r.stdout)
r = dl.lmtp(st, b"LHLO x\r\n" + b"X" * 5000 + b"\r\nNOOP\r\n")
t.is_(dl.replies(r.stdout)[-2:], ["500 5.5.2 line too long",
                                  "421 4.7.0 closing connection"],
      "an overlong command line closes the connection")
r = dl.lmtp(st, b"LHLO x\r\n" + b"FOO\r\n" * 12)
rep = dl.replies(r.stdout)
t.is_((rep[-1], rep.count("500 5.5.2 command not recognized")),
      ("421 4.7.0 too many errors, closing connection", 10),
      "ten bad commands close the connection")
lim = conf_with("lim.conf", "MAX_RECIPIENTS=2\nMAX_MESSAGE_SIZE=2K\n")
r = dl.lmtp(st, session(["u1", "u2", "u3"], big), conf=lim)
rep = dl.replies(r.stdout)
t.ok("452 4.5.3 too many recipients" in rep, "MAX_RECIPIENTS: 452 4.5.3")
t.is_([l[:9] for l in data_replies(r.stdout, 2)], ["552 5.3.4"] * 2,
      "too big in DATA: 552 5.3.4 for each recipient")
t.is_(rep[-1], "221 2.0.0 bye", "the session goes on after a refused message")

# ---- the idle timeout ----
out = idle.stdout.read()
idle.wait(timeout=60)
t.ok(out.endswith(b"421 4.4.2 timeout, closing connection\r\n") and
     time.time() - idle_start >= 9.5,
     "idle timeout: 421 4.4.2 after LMTP_TIMEOUT", out)
t.is_(idle.returncode, 0, "exit 0 after the timeout")

dl.check_clean(t, st, since=since)
t.ok(not st.log_errors(), "no errors logged", "\n".join(st.log_errors()))
t.diag("elapsed %s" % dl.elapsed(start))
t.done()
