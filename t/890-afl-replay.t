#!/usr/bin/env python3
"""890-afl-replay: the AFL++ seeds and regression inputs of t/fuzz/afl/
replayed through the real pop3d, imapd and deliver (LMTP and pipe mode).

Every file under t/fuzz/afl/TARGET/seeds/ and TARGET/regress/ is fed to
the program on its standard input, as `make afl` does, against the same
kind of throw-away store (t/fuzz/afl/mkstore). Each run must end by
itself with an expected exit status, not by a signal, with no sanitizer
report and no pre-auth child death in the log; afterwards the store
must check clean (t/lib/storecheck.py). Needs no afl++.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
import pstest  # noqa: E402
import storecheck  # noqa: E402

AFL = os.path.join(pstest.SRC, "t", "fuzz", "afl")

# target: (program, arguments, exit statuses allowed)
# deliver: 0 delivered, 65 bad input, 67 no such user, 73 over quota
# (REJECT_OVER_QUOTA=1), 75 temporary failure.
TARGETS = {
    "pop3d": ("pop3d/pop3d", [], {0, 1}),
    "imapd": ("imapd/imapd", [], {0, 1}),
    "deliver-lmtp": ("deliver/deliver", ["-l"], {0, 1, 75}),
    "deliver-pipe": ("deliver/deliver", ["jdoe", "alice"],
                     {0, 65, 67, 73, 75}),
}

t = pstest.Tap()

tmp = tempfile.mkdtemp(prefix="popstore-890-")
try:
    r = subprocess.run([os.path.join(AFL, "mkstore"), pstest.BUILD, tmp],
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        print("Bail out! mkstore: " + r.stdout + r.stderr)
        sys.exit(2)
    conf = os.path.join(tmp, "store.conf")
    log = os.path.join(tmp, "log", "store.log")
    env = dict(os.environ, POPSTORE_CONF=conf)
    for k in ("TCPREMOTEIP", "TCPLOCALIP"):
        env.pop(k, None)
    # Sanitizer reports on stderr, where this test reads them and names
    # the input, rather than in the suite-wide log_path.
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
        opts = [o for o in env.get(k, "").split(":")
                if o and not o.startswith("log_path=")]
        env[k] = ":".join(opts + ["log_path=stderr"])
    start = time.time()

    count = 0
    for target in sorted(TARGETS):
        prog, args, allowed = TARGETS[target]
        inputs = []
        for sub in ("seeds", "regress"):
            d = os.path.join(AFL, target, sub)
            if os.path.isdir(d):
                inputs += [os.path.join(d, f) for f in sorted(os.listdir(d))]
        t.ok(len(inputs) >= 5, "%s: %d inputs" % (target, len(inputs)))
        for path in inputs:
            name = "%s/%s" % (target, os.path.relpath(
                path, os.path.join(AFL, target)))
            loglen = os.path.getsize(log) if os.path.exists(log) else 0
            with open(path, "rb") as f:
                try:
                    r = subprocess.run(
                        [pstest.program(prog), "-C", conf] + args, stdin=f,
                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                        env=env, timeout=60)
                    rc, err = r.returncode, r.stderr.decode("utf-8",
                                                            "replace")
                except subprocess.TimeoutExpired:
                    rc, err = "timeout", ""
            with open(log, errors="replace") as f:
                f.seek(loglen)
                died = [l for l in f.read().splitlines()
                        if "preauth_died" in l or ": crit: " in l]
            sanitizer = "Sanitizer" in err or "runtime error:" in err
            t.ok(rc in allowed and not sanitizer and not died,
                 "%s: exit %s" % (name, rc),
                 "allowed %s\n%s\n%s" % (sorted(allowed), "\n".join(died),
                                         err[-2500:]))
            count += 1

    sv = storecheck.StoreView(conf)
    problems, notes = sv.check(since=start, counters=False)
    t.ok(not problems, "the store checks clean after %d inputs" % count,
         "\n".join(problems))
    # regress/delete-nonempty-folder: IMAP DELETE of a folder that holds
    # messages must take them out of the account's counters too.
    problems, notes = sv.check(since=start)
    t.ok(not problems, "the account counters match the folders",
         "\n".join(problems))
finally:
    shutil.rmtree(tmp, ignore_errors=True)
t.done()
