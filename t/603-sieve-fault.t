#!/usr/bin/env python3
"""Fault injection on Sieve deliveries: t/lib/faultshim.so fails the Nth
write, fsync, rename, open ... of a delivery whose script files a copy,
flags it, creates a folder and answers the sender. For every N, deliver
either exits 0 with the message stored once in each folder the script
chose (or, when the script itself could not be read, once in INBOX), or
exits 75 with nothing stored; never a lost or doubled copy, and the store
stays consistent."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import deliverlib as dl  # noqa: E402
import pstest  # noqa: E402
import sievetest  # noqa: E402

t = pstest.Tap()
start = time.time()
shim = os.path.join(pstest.BUILD, "t", "lib", "faultshim.so")
if not os.path.exists(shim):
    t.skip_all("t/lib/faultshim.so not built (make tests)")
sv = sievetest.Sieve(t, ["jdoe"])
st = sv.st
# Faults are injected on purpose: the errors they cause are logged.
st.expect_errors(r"No space left on device|Input/output error|"
                 r"Disk quota exceeded")
r = sv.script("jdoe", 'require ["fileinto", "copy", "mailbox", "imap4flags",'
              ' "vacation"];\naddflag "$Filtered";\n'
              'fileinto :copy :create "Filtered";\n'
              'vacation :days 1 "Away.";\n')
t.is_(r.returncode, 0, "script installed")
r = sv.deliver("jdoe", b"Subject: warm-up\n\nx\n")
t.is_(r.returncode, 0, "warm-up delivery")
since = time.time() - 1
asan = os.environ.get("ASAN_OPTIONS", "")
base_env = {"LD_PRELOAD": shim, "ASAN_OPTIONS": (asan + ":" if asan else "")
            + "verify_asan_link_order=0"}
countfile = os.path.join(st.tmp, "count")


def copies(folder, tag):
    fid = sv.folder_id("jdoe", folder)
    if fid is None:
        return 0
    return sum(m.count(b"\r\nX-Fault: %s\r\n" % tag.encode())
               for m in dl.stored(st, "jdoe", fid))


def run(tag, nth, err):
    env = dict(base_env, FAULT_NTH=str(nth), FAULT_ERRNO=err,
               FAULT_COUNT_FILE=countfile)
    msg = (b"From: s@example.org\nTo: jdoe@mail.example.com\n"
           b"X-Fault: %s\nSubject: fault\n\nbody\n" % tag.encode())
    return dl.deliver(st, "-f", "s%s@example.org" % tag, "jdoe", input=msg,
                      env=env)


probe = run("probe", 0, "EIO")
if probe.returncode != 0 or not os.path.exists(countfile):
    t.ok(False, "probe run under the shim", probe.stderr)
    t.done()
with open(countfile) as f:
    calls = int(f.read())
t.ok(calls > 20, "%d system calls to fail one by one" % calls)
bad, outcomes = [], {}
for nth in range(1, calls + 1):
    err = "ENOSPC" if nth % 2 == 0 else "EIO"
    tag = "n%d" % nth
    r = run(tag, nth, err)
    got = (copies("INBOX", tag), copies("Filtered", tag))
    key = (r.returncode, got)
    outcomes[key] = outcomes.get(key, 0) + 1
    if key not in ((0, (1, 1)), (0, (1, 0)), (75, (0, 0))):
        bad.append("N=%d %s: exit %d, copies %s: %s" % (nth, err,
                   r.returncode, got, r.stderr))
t.ok(not bad, "every N: stored once per chosen folder, or nothing with 75",
     "\n".join(bad[:20]))
t.ok(outcomes.get((0, (1, 1)), 0) > 0 and outcomes.get((75, (0, 0)), 0) > 0,
     "both outcomes seen: %s" % sorted(outcomes.items()))
r = sv.deliver("jdoe", b"X-Fault: after\nSubject: after\n\nx\n")
t.is_((r.returncode, copies("INBOX", "after"), copies("Filtered", "after")),
      (0, 1, 1), "without faults: INBOX and Filtered once each")
dl.check_clean(t, st, since=since)
t.diag("elapsed " + dl.elapsed(start))
t.done()
