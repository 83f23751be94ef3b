#!/usr/bin/env python3
"""Fault injection: t/lib/faultshim.so (LD_PRELOAD) fails the Nth call of
write, pwrite, fsync, fdatasync, syncfs, link, rename, open or openat.
For every N along a delivery's path (fan-out 1 and 3), deliver answers
truthfully: 0 with exactly one copy per recipient, or 75 with one stderr
line, no copy and a clean store - and the MTA's retry then stores
exactly one copy."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import deliverlib as dl  # noqa: E402
import pstest  # noqa: E402
import storecheck  # noqa: E402

t = pstest.Tap()
start = time.time()
shim = os.path.join(pstest.BUILD, "t", "lib", "faultshim.so")
if not os.path.exists(shim):
    t.skip_all("t/lib/faultshim.so not built (make tests)")
accts = ["f1", "f2", "f3"]
st = dl.new_store(t, accounts=accts, switches=["-store=pop"])
# Faults are injected on purpose: the errors they cause are logged.
st.expect_errors(r"No space left on device|Input/output error|"
                 r"Disk quota exceeded")
r = dl.deliver(st, *accts, input=b"Subject: warm-up\n\nx\n")
t.is_(r.returncode, 0, "warm-up delivery")
since = time.time() - 1
asan = dict(os.environ).get("ASAN_OPTIONS", "")
base_env = {"LD_PRELOAD": shim,
            "ASAN_OPTIONS": (asan + ":" if asan else "") +
            "verify_asan_link_order=0"}
countfile = os.path.join(st.tmp, "count")


def copies(name, tag):
    n = 0
    for data in dl.stored(st, name):
        n += data.count(b"\r\nX-Fault: %s\r\n" % tag.encode())
    return n


fsync_conf = os.path.join(st.tmp, "fsync.conf")
with open(st.conf) as f, open(fsync_conf, "w") as g:
    g.write(f.read() + "SYNC_MODE=fsync\n")


def run(rcpts, msg, nth, err, conf=None):
    env = dict(base_env, FAULT_NTH=str(nth), FAULT_ERRNO=err,
               FAULT_COUNT_FILE=countfile)
    return dl.deliver(st, "-f", "f@example.org", *rcpts, input=msg, env=env,
                      conf=conf)


for rcpts, conf in ((accts[:1], None), (accts, None), (accts, fsync_conf)):
    what = "fan-out %d%s" % (len(rcpts), ", SYNC_MODE=fsync" if conf else "")
    probe = run(rcpts, b"X-Fault: probe%s\n\nprobe\n" % what.encode(), 0,
                "EIO", conf)
    if probe.returncode != 0 or not os.path.exists(countfile):
        t.ok(False, "probe run under the shim", probe.stderr)
        continue
    with open(countfile) as f:
        calls = int(f.read())
    t.ok(calls > 20, "%s: %d system calls to fail one by one" %
         (what, calls))
    bad, outcomes = [], {0: 0, 75: 0}
    for nth in range(1, calls + 1):
        err = "ENOSPC" if nth % 2 == 0 else "EIO"
        tag = "n%d%s-%d" % (len(rcpts), "f" if conf else "", nth)
        msg = b"X-Fault: %s\nSubject: fault\n\nbody %d\n" % (tag.encode(), nth)
        r = run(rcpts, msg, nth, err, conf)
        outcomes[r.returncode] = outcomes.get(r.returncode, 0) + 1
        want = 1 if r.returncode == 0 else 0
        got = [copies(a, tag) for a in rcpts]
        if r.returncode not in (0, 75):
            bad.append("N=%d: exit %d: %s" % (nth, r.returncode, r.stderr))
            continue
        if r.returncode == 75 and not re.match(r"^4\.\d\.\d [^\n]+\n\Z",
                                               r.stderr):
            bad.append("N=%d: stderr %r" % (nth, r.stderr))
        if got != [want] * len(rcpts):
            bad.append("N=%d (%s): exit %d but copies %s" %
                       (nth, err, r.returncode, got))
        problems, _ = storecheck.StoreView(st.conf).check(since=since)
        if problems:
            bad.append("N=%d (%s): exit %d, store: %s" %
                       (nth, err, r.returncode, "; ".join(problems[:3])))
        if r.returncode == 75:
            r2 = dl.deliver(st, "-f", "f@example.org", *rcpts, input=msg)
            got = [copies(a, tag) for a in rcpts]
            if r2.returncode != 0 or got != [1] * len(rcpts):
                bad.append("N=%d: retry exit %d, copies %s" %
                           (nth, r2.returncode, got))
    t.ok(not bad, "%s: every N gives 0 or 75, truthfully, store clean, "
         "retry stores one copy" % what, "\n".join(bad[:25]))
    t.ok(outcomes.get(75, 0) >= calls // 3,
         "%s: most failures reach the MTA as 75 (%s)" % (what, outcomes))
problems, notes = storecheck.StoreView(st.conf).check(since=since)
t.ok(not problems, "store checks clean at the end", "\n".join(problems[:20]))
t.diag("elapsed %s" % dl.elapsed(start))
t.done()
