#!/usr/bin/env python3
"""Fault injection on the administration write paths: t/lib/faultshim.so
(LD_PRELOAD) fails the Nth call of write, pwrite, fsync, fdatasync,
syncfs, link, rename, open or openat with ENOSPC, EIO, EDQUOT or EINTR
(in turn) during `popmgr add`, `popmgr delete`, `popmgr rename` and
`reconstruct`. For every N tried: the program exits 0, or non-zero with
a message on stderr; the store checks clean (t/lib/storecheck.py) and
the account is wholly there or wholly absent (its mail with it); and the
same command run again without the fault succeeds (or, when the failed
run had got as far as the change itself, has nothing left to do).
Debris of an interrupted deletion and a stale management database are
left to reconstruct, as designed. The Ns tried are spread over all calls
when a path makes more than FAULT_RUNS (default 10, 3 under the
sanitizers); FAULT_RUNS=1000 tries every one."""
import os
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
SANITIZED = os.environ.get("POPSTORE_SANITIZED") == "1"
MAX_RUNS = int(os.environ.get("FAULT_RUNS") or (3 if SANITIZED else 10))
ERRNOS = ["ENOSPC", "EIO", "EDQUOT", "4"]       # 4: EINTR
st = dl.new_store(t, conf="SYNC_MODE=fsync\n")
since = time.time() - 1
asan = dict(os.environ).get("ASAN_OPTIONS", "")
countfile = os.path.join(st.tmp, "count")
base_env = {"LD_PRELOAD": shim,
            "ASAN_OPTIONS": (asan + ":" if asan else "") +
            "verify_asan_link_order=0"}
MSG = b"Subject: keep me\nX-Fault: kept\n\nbody\n"


def shimmed(prog, args, nth, err):
    env = dict(base_env, FAULT_NTH=str(nth), FAULT_ERRNO=err,
               FAULT_COUNT_FILE=countfile)
    return st.run(prog, *args, env=env)


def exists(name):
    return st.popmgr("show", name).returncode == 0


def mail_of(name):
    """Tags of the messages in name's INBOX (storecheck's view)."""
    sv = storecheck.StoreView(st.conf)
    if sv.profile(name) is None:
        return None
    out = []
    for _, path, _ in sv.messages(name, 0):
        try:
            with open(path, "rb") as f:
                out.append(b"X-Fault: kept" in f.read())
        except OSError:
            out.append(None)
    return out


def clean(where, recon=True):
    problems = []
    if recon:
        r = st.run("reconstruct", "-n")
        # debris of an interrupted deletion is reconstruct's to remove
        # (storecheck would take it for an account), and the management
        # databases are derived data it rebuilds (a failed update is
        # logged with "run reconstruct"): reap, rebuild, then check
        lines = [ln for ln in (r.stdout + r.stderr).splitlines()
                 if ln.strip()]
        left = [ln for ln in lines if not ln.startswith("debris: ") and
                not ln.startswith("db: ")]
        if r.returncode != 0 and left:
            problems.append("reconstruct -n: %s" % "; ".join(left)[:300])
        elif lines:
            st.run("reconstruct")
    p, _ = storecheck.StoreView(st.conf).check(since=since)
    problems += p
    return ["%s: %s" % (where, p) for p in problems[:3]]


def calls_of(prog, args, setup):
    setup()
    r = shimmed(prog, args, 0, "EIO")
    if r.returncode != 0 or not os.path.exists(countfile):
        return 0, r
    with open(countfile) as f:
        return int(f.read()), r


def spread(calls):
    if calls <= MAX_RUNS:
        return list(range(1, calls + 1))
    return sorted({1 + (i * (calls - 1)) // (MAX_RUNS - 1)
                   for i in range(MAX_RUNS)})


def scenario(what, prog, args, setup, after_ok, after_fail, retry_args=None,
             teardown=None, damaged=False, retry_done=None):
    """setup() makes the pre-state; after_ok()/after_fail() return
    problems for the state a successful / failed run left."""
    calls, probe = calls_of(prog, args, setup)
    if teardown:
        teardown()
    if not t.ok(calls > 3, "%s: %d system calls to fail one by one" %
                (what, calls), probe.stderr if probe else ""):
        return
    bad, outcomes, tried = [], {}, 0
    for i, nth in enumerate(spread(calls)):
        err = ERRNOS[i % len(ERRNOS)]
        where = "%s N=%d (%s)" % (what, nth, err)
        setup()
        r = shimmed(prog, args, nth, err)
        tried += 1
        outcomes[r.returncode] = outcomes.get(r.returncode, 0) + 1
        if r.returncode != 0 and not (r.stderr + r.stdout).strip():
            bad.append("%s: exit %d without a message" % (where, r.returncode))
        if r.returncode == 0:
            bad += ["%s: %s" % (where, p) for p in after_ok()]
        else:
            bad += ["%s: %s" % (where, p) for p in after_fail()]
        if r.returncode == 0 or not damaged:
            # a pre-state reconstruct is to repair is checked after the
            # retry only
            bad += clean(where, recon=r.returncode == 0)
        if r.returncode != 0:
            r2 = st.run(prog, *(retry_args or args))
            if r2.returncode != 0 and retry_done and retry_done(r2):
                pass
            elif r2.returncode != 0:
                bad.append("%s: retry exit %d: %s" %
                           (where, r2.returncode, r2.stderr.strip()[:200]))
            else:
                bad += ["%s: after retry: %s" % (where, p)
                        for p in after_ok()]
                bad += clean(where + " after retry")
        if teardown:
            teardown()
    t.ok(not bad, "%s: %d faults injected (of %d calls), each reported or "
         "harmless, store clean, retry succeeds (exits %s)" %
         (what, tried, calls, sorted(outcomes.items())), "\n".join(bad[:20]))


def ensure_absent(*names):
    for n in names:
        if exists(n):
            st.popmgr("delete", n)


# ---- popmgr add ----
def add_setup():
    ensure_absent("fa")


def add_ok():
    a = mail_of("fa")
    return [] if a == [] else ["after add: account state %r" % (a,)]


def add_fail():
    a = mail_of("fa")
    if a is None or a == []:
        # absent, or created whole: the retry must cope either way
        if a == []:
            st.popmgr("delete", "fa")
        return []
    return ["after a failed add: %r" % (a,)]


scenario("popmgr add", "popmgr", ["add", "fa", "-store=imap",
                                  "-password=Secret123"],
         add_setup, add_ok, add_fail)


# ---- popmgr delete ----
def with_mail(name):
    def setup():
        ensure_absent(name)
        r = st.popmgr("add", name, "-store=imap")
        r2 = dl.deliver(st, name, input=MSG)
        if r.returncode != 0 or r2.returncode != 0:
            print("Bail out! setup %s: %s%s" % (name, r.stderr, r2.stderr))
            sys.exit(2)
    return setup


def gone(name):
    def check():
        return [] if mail_of(name) is None and not exists(name) else \
            ["%s still there" % name]
    return check


def whole_or_gone(name):
    def check():
        m = mail_of(name)
        if m is None or m == [True]:
            return []
        return ["%s half deleted: mail %r" % (name, m)]
    return check


# a delete that failed after the account was gone (making it durable)
# leaves nothing to retry: "no such account" is then the right answer
scenario("popmgr delete", "popmgr", ["delete", "fd"], with_mail("fd"),
         gone("fd"), whole_or_gone("fd"),
         retry_done=lambda r: r.returncode == 67 and not gone("fd")())


# ---- popmgr rename ----
def rename_setup():
    ensure_absent("fr", "fr2")
    with_mail("fr")()


def renamed():
    a, b = mail_of("fr"), mail_of("fr2")
    return [] if a is None and b == [True] else \
        ["after rename: fr %r, fr2 %r" % (a, b)]


def one_of():
    a, b = mail_of("fr"), mail_of("fr2")
    if (a == [True]) != (b == [True]) and (a is None or b is None):
        return []
    return ["after a failed rename: fr %r, fr2 %r" % (a, b)]


# a rename that failed only in making itself durable is done: nothing to
# retry
scenario("popmgr rename", "popmgr", ["rename", "fr", "fr2"], rename_setup,
         renamed, one_of, teardown=lambda: ensure_absent("fr", "fr2"),
         retry_done=lambda r: r.returncode == 67 and not renamed())


# ---- reconstruct of a folder whose index was lost ----
def recon_setup():
    with_mail("fx")()
    d = storecheck.StoreView(st.conf).folder_dir("fx", 0)
    for fn in ("index", "state"):
        try:
            os.unlink(os.path.join(d, fn))
        except FileNotFoundError:
            pass


def recon_ok():
    m = mail_of("fx")
    return [] if m == [True] else ["after reconstruct: fx mail %r" % (m,)]


def recon_fail():
    return []       # the retry and clean() decide


# the checks run reconstruct -n, which must not be confused by the lost
# index before the faulted run: clean() runs after it
scenario("reconstruct", "reconstruct", ["fx"], recon_setup, recon_ok,
         recon_fail, damaged=True)
t.ok(not st.log_errors(expected=[r"fault|No space|Input/output|quota|"
                                 r"Interrupted|event=\w*(error|fail)"]),
     "no unexpected error lines in the log",
     "\n".join(st.log_errors(expected=[r"fault|No space|Input/output|quota|"
                                       r"Interrupted|"
                                       r"event=\w*(error|fail)"])[:10]))
t.diag("elapsed %s" % dl.elapsed(start))
t.done()
