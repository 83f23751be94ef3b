#!/usr/bin/env python3
"""deliver, pipe mode: byte-exact storage for 1, 3 and 1,000 recipients
(one inode, one link per folder), the delivery headers, counters, every
exit status provoked for real with its one stderr line, forwarding and
loop detection, and a full or read-only partition (in a private mount
namespace)."""
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import deliverlib as dl  # noqa: E402
import pstest  # noqa: E402
import storecheck  # noqa: E402

HOST = "mail.example.com"


def one_line(t, r, code, dsn, name):
    t.is_(r.returncode, code, "%s: exit %d" % (name, code))
    lines = r.stderr.splitlines()
    t.ok(len(lines) == 1 and lines[0].startswith(dsn + " "),
         "%s: one stderr line starting with %s" % (name, dsn), r.stderr)


def conf_with(st, name, extra):
    path = os.path.join(st.tmp, name)
    with open(st.conf) as f, open(path, "w") as g:
        g.write(f.read() + extra)
    return path


# ---- the part run inside a private mount namespace ----
def ns_child(mode):
    results = []

    def ok(cond, name, diag=""):
        results.append([bool(cond), name, str(diag)])

    st, mail = dl.tmpfs_store("1m")
    dl.add(st, ["full"])
    since = time.time() - 1
    msg = dl.big_message(1, 200000)
    if mode == "full":
        filler = dl.fill_disk(mail, 60000)
        r = dl.deliver(st, "-f", "s@example.org", "full", input=msg)
        ok(r.returncode == 75, "disk full: exit 75", r.returncode)
        ok(re.match(r"^4\.3\.1 [^\n]*\n$", r.stderr), "disk full: one line "
           "with 4.3.1", r.stderr)
        ok(dl.stored(st, "full") == [], "disk full: nothing stored")
        p, n = storecheck.StoreView(st.conf).check(since=since)
        ok(not p, "disk full: store checks clean", p)
        os.unlink(filler)
        r = dl.deliver(st, "-f", "s@example.org", "full", input=msg)
        ok(r.returncode == 0, "space back: retry delivers", r.stderr)
        got = dl.stored(st, "full")
        ok(len(got) == 1 and dl.body_of(got[0])[2] == dl.crlf(msg),
           "space back: exactly one byte-exact copy")
    else:
        r = dl.deliver(st, "full", input=msg)
        ok(r.returncode == 0, "before: delivered", r.stderr)
        subprocess.run(["mount", "--bind", mail, mail], check=True)
        subprocess.run(["mount", "-o", "remount,bind,ro", mail], check=True)
        r = dl.deliver(st, "full", input=msg)
        ok(r.returncode == 75, "read-only partition: exit 75", r.returncode)
        ok(re.match(r"^4\.\d\.\d [^\n]*\n$", r.stderr),
           "read-only partition: one 4.x.x line", r.stderr)
        ok(len(dl.stored(st, "full")) == 1, "read-only: still one message")
        p, n = storecheck.StoreView(st.conf).check(since=since)
        ok(not p, "read-only: store checks clean", p)
    print(json.dumps(results))


if len(sys.argv) == 3 and sys.argv[1] == "--ns":
    ns_child(sys.argv[2])
    sys.exit(0)

t = pstest.Tap()
start = time.time()
since = time.time() - 1
users = ["u%d" % i for i in range(1, 1001)]
st = dl.new_store(t, accounts=users + ["jdoe", "kc", "dm", "q1", "fwd"],
                  switches=["-store=pop"])
dl.add(st, ["dm2"], "-flags=dismail")
st.popmgr("modify", "dm", "-flags=dismail")
st.popmgr("modify", "q1", "-quota=1", "-overdraft=0")
sm, sentdir = dl.fake_sendmail(st)
with open(st.conf, "a") as f:
    f.write("SENDMAIL=%s\n" % sm)

# ---- one recipient: byte-exact, headers ----
msg = (b"Subject: one\nX-8bit: \xe9t\xe9\n\nbody\x00with a NUL\n.dot line\n"
       b"crlf line\r\nbare\rcr\nlast line without newline")
r = dl.deliver(st, "-f", "s@example.org", "--", "jdoe", input=msg)
t.is_((r.returncode, r.stderr), (0, ""), "one recipient: exit 0, no output")
got = dl.stored(st, "jdoe")
t.is_(len(got), 1, "one message stored")
pre, rcv, body = dl.body_of(got[0])
t.is_(body, dl.crlf(msg), "stored bytes are the input in CRLF form")
t.is_(pre, b"Return-Path: <s@example.org>\r\nDelivered-To: jdoe\r\n",
      "Return-Path and Delivered-To")
t.like(rcv.decode(), r"^Received: from local\r\n\tby %s \(popstore\) with "
       r"local id [0-9A-F]+\r\n\tfor <jdoe>; \w{3}, \d\d \w{3} \d{4} "
       r"\d\d:\d\d:\d\d [+-]\d{4}\r\n$" % HOST, "Received line")
r = dl.deliver(st, "-a", "jdoe@example.com", "jdoe",
               input=b"no header, no separator")
got = dl.stored(st, "jdoe")
pre, rcv, body = dl.body_of(got[-1])
t.is_((pre, body), (b"Return-Path: <>\r\nDelivered-To: jdoe@example.com\r\n",
                    b"no header, no separator"),
      "-a names Delivered-To; null sender; no separator kept")
nodt = conf_with(st, "nodt.conf", "DELIVERED_TO=0\n")
r = dl.deliver(st, "jdoe", input=b"Subject: x\n\ny\n", conf=nodt)
t.ok(not dl.stored(st, "jdoe")[-1].count(b"Delivered-To"),
     "DELIVERED_TO=0: no Delivered-To")
jdoe_count = len(dl.stored(st, "jdoe"))


def fanout(n, msg, name):
    r = dl.deliver(st, "-f", "list@example.org", *users[:n], input=msg)
    t.is_((r.returncode, r.stderr), (0, ""), "%s: exit 0" % name)
    ps = [dl.paths(st, u)[-1] for u in users[:n]]
    inodes = {os.stat(p).st_ino for p in ps}
    t.is_(len(inodes), 1, "%s: one inode" % name)
    t.is_(os.stat(ps[0]).st_nlink, n, "%s: link count %d" % (name, n))
    with open(ps[-1], "rb") as f:
        data = f.read()
    pre, rcv, body = dl.body_of(data)
    t.ok(body == dl.crlf(msg), "%s: byte-exact" % name)
    t.ok(b"Delivered-To" not in pre and b"\tfor <" not in rcv,
         "%s: no Delivered-To, no 'for' in Received" % name)
    return len(data)


size3 = fanout(3, dl.message(3, 5000), "3 recipients")
t0 = time.time()
size1000 = fanout(1000, dl.message(1000, 20000), "1,000 recipients")
t.diag("1,000 recipients in %.2fs" % (time.time() - t0))
sv = storecheck.StoreView(st.conf)
t.is_(sv.usage("u2")["message_count"], 2, "u2 message_count")
t.is_(sv.usage("u2")["quota_used"], size3 + size1000, "u2 quota_used")
t.is_(sv.usage("u500")["messages_received"], 1, "u500 messages_received")

# ---- exit codes ----
r = dl.deliver(st, "nosuch", input=b"x\n")
one_line(t, r, 67, "5.1.1", "unknown user")
r = dl.deliver(st, "jdoe", "nosuch@example.com", input=b"x\n")
one_line(t, r, 67, "5.1.1", "known and unknown")
t.is_(len(dl.stored(st, "jdoe")), jdoe_count, "nothing stored for the known "
      "recipient either (all or nothing)")
r = dl.deliver(st, "dm", input=b"x\n")
one_line(t, r, 69, "5.2.1", "DISMAIL")
big = dl.message(7, 3000)
r = dl.deliver(st, "q1", input=big)
one_line(t, r, 75, "4.2.2", "over quota, REJECT_OVER_QUOTA=0")
r = dl.deliver(st, "q1", input=big, conf=conf_with(st, "rq.conf",
                                                    "REJECT_OVER_QUOTA=1\n"))
one_line(t, r, 69, "5.2.2", "over quota, REJECT_OVER_QUOTA=1")
r = dl.deliver(st, "q1", input=b"Subject: small\n\nfits\n")
t.is_(r.returncode, 0, "a message within quota is delivered")
r = dl.deliver(st, "jdoe", input=dl.message(8, 5000),
               conf=conf_with(st, "small.conf", "MAX_MESSAGE_SIZE=2K\n"))
one_line(t, r, 65, "5.3.4", "message too big")
r = dl.deliver(st, input=b"")
t.is_(r.returncode, 64, "no recipient: exit 64")
r = dl.deliver(st, "-x", "jdoe", input=b"")
one_line(t, r, 64, "5.3.0", "bad option")
r = dl.deliver(st, "jdoe", input=b"x", conf=conf_with(st, "bad.conf",
                                                        "NO_SUCH_OPTION=1\n"))
one_line(t, r, 78, "4.3.5", "bad configuration")
nostore = os.path.join(st.tmp, "nostore.conf")
with open(nostore, "w") as f:
    f.write("STORE_DIR=%s/nonexistent\n" % st.tmp)
r = dl.deliver(st, "jdoe", input=b"x", conf=nostore)
one_line(t, r, 75, "4.3.0", "store missing")
r = dl.deliver(st, "-f", "bad\x01sender", "jdoe", input=b"x")
one_line(t, r, 64, "5.1.7", "control character in the sender")

# ---- forwarding ----
st.popmgr("forward", "fwd", "ext@elsewhere.example")
st.popmgr("forward", "kc", "kc,other@elsewhere.example")
st.popmgr("forward", "alias", "far@elsewhere.example")
fmsg = b"Subject: fw\n\nforward me\n"
r = dl.deliver(st, "-f", "s@example.org", "alias", input=fmsg)
t.is_((r.returncode, r.stderr), (0, ""), "forward-only name: exit 0")
s = dl.sent(sentdir)
t.is_(s[-1][0] if s else None,
      ["-i", "-f", "s@example.org", "--", "far@elsewhere.example"],
      "sendmail -i -f SENDER -- ADDRESS")
t.ok(s and s[-1][1].startswith(b"Delivered-To: alias@%s\r\nReceived: "
                               % HOST.encode()) and
     s[-1][1].endswith(dl.crlf(fmsg)) and b"Return-Path" not in s[-1][1],
     "forwarded copy: Delivered-To, Received, the message; no Return-Path")
n_kc = len(dl.stored(st, "kc"))
r = dl.deliver(st, "kc", input=fmsg)
s = dl.sent(sentdir)
t.ok(r.returncode == 0 and len(dl.stored(st, "kc")) == n_kc + 1 and
     s[-1][0][-1] == "other@elsewhere.example" and len(s[-1][0]) == 5,
     "a forwarding naming itself keeps a local copy", r.stderr)
r = dl.deliver(st, "alias", input=b"Delivered-To: alias@%s\nSubject: l\n\nx\n"
               % HOST.encode())
one_line(t, r, 69, "5.4.6", "forwarding loop")
t.is_(len(dl.sent(sentdir)), 2, "the looping message was not re-sent")
r = dl.deliver(st, "jdoe", "alias", input=fmsg,
               env={"FAKE_SENDMAIL_EXIT": "75"})
one_line(t, r, 75, "4.3.0", "sendmail fails temporarily")
t.is_(len(dl.stored(st, "jdoe")), jdoe_count, "the local copy stored with it "
      "was taken back")

# ---- a full or read-only partition, in a mount namespace ----
pre, why = dl.ns_prefix()
for mode in ("full", "readonly"):
    if pre is None:
        t.ok(True, "# SKIP %s partition: %s" % (mode, why))
        continue
    r = subprocess.run(pre + [sys.executable, __file__, "--ns", mode],
                       capture_output=True, text=True, timeout=120,
                       env=dict(os.environ))
    try:
        res = json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        t.ok(False, "%s partition: namespace child ran" % mode,
             r.stdout + r.stderr)
        continue
    for good, name, diag in res:
        t.ok(good, name, diag)

# ---- logs and the store ----
lines = [l for l in st.log_lines() if "event=deliver " in l]
ids = {}
for l in lines:
    m = re.search(r" id=(\S+)", l)
    ids[m.group(1)] = ids.get(m.group(1), 0) + 1
t.ok(1000 in ids.values(), "one log line per recipient (1,000 for 1,000)")
t.ok(all("result=" in l and "size=" in l for l in lines), "log fields")
t.ok(not any("forward me" in l or "body" in l for l in st.log_lines()),
     "no message content in the log")
dl.check_clean(t, st, since=since)
t.diag("elapsed %s" % dl.elapsed(start))
t.done()
