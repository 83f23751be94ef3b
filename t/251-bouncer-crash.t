#!/usr/bin/env python3
"""bouncer under stress: two runs at once (the second one finds the lock
and leaves: every message is returned exactly once), and runs killed with
SIGKILL at random points while deliver keeps delivering, then a run to
the end. What bouncer(8) promises after a crash: no message lost, every
unread expired message returned at least once, at most one duplicate (or
incomplete) notification per killed run, read expired messages deleted,
young ones and new deliveries kept, the store consistent."""
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import expiretest as et  # noqa: E402
import pop3test  # noqa: E402
import pstest  # noqa: E402

t = pstest.Tap()
for prog in ("bouncer", "deliver", "popmgr", "pop3d"):
    if not os.path.exists(pstest.program(prog)):
        t.skip_all("%s is not built" % prog)


def slow_sendmail(st, delay):
    """SENDMAIL that takes delay seconds, then records like the fake."""
    fake = os.path.join(st.tmp, "fake-sendmail")
    path = os.path.join(st.tmp, "slow-sendmail")
    with open(path, "w") as f:
        f.write("#!/bin/sh\nsleep %s\nexec %s \"$@\"\n" % (delay, fake))
    os.chmod(path, 0o755)
    pop3test.set_option(st, "SENDMAIL", path)


def fill(st, names, count, start):
    """count unread messages, each delivered once to all names (one
    copy, hard-linked); returns [(name, Message-ID)] of the copies."""
    out = []
    for n in range(start, start + count):
        et.deliver(st, "s%d@example.org" % n, names, et.message(n))
        out += [(name, "<msg%d@test.example>" % n) for name in names]
    return out


# ---- two bouncers at once ----
st, sent = et.store(t, "RETURN_AGE=30\n")
names = ["u1", "u2"]
for n in names:
    et.add(st, n)
want = fill(st, names, 6, 1)
for n in names:
    et.age(st, n, 31)
slow_sendmail(st, "0.05")
a = et.popen_bouncer(st)
time.sleep(0.3)
b = et.popen_bouncer(st, "-v")
rb = b.wait(60)
ra = a.wait(120)
t.is_(ra, 0, "first bouncer exits 0")
t.is_(rb, 75, "second bouncer finds the lock: EX_TEMPFAIL")
t.like(b.stderr.read().decode(), r"another bouncer is running",
       "second bouncer says why")
t.like("\n".join(st.log_lines()), r"event=bouncer_busy", "and logs it")
got = et.returned(sent)
t.is_(sorted(got), sorted(want), "every message returned exactly once")
t.is_([et.uids(st, n) for n in names], [[], []], "all expired")
et.clean(t, st, "consistent after two runs")

# ---- killed at random points ----
st, sent = et.store(t, "RETURN_AGE=30\n")
for n in names:
    et.add(st, n)
unread = fill(st, names, 10, 100)
fill(st, names, 3, 200)
for n in names:
    et.read(st, n, range(11, 14))      # the 3 "read" ones of each
    et.age(st, n, 40)
fill(st, names, 2, 300)                # young
slow_sendmail(st, "0.02")
rnd = random.Random(int(os.environ.get("BOUNCER_CRASH_SEED", "251")))
kills, newmail, n = 0, [], 400
runs = 8
for i in range(runs):
    p = et.popen_bouncer(st)
    time.sleep(rnd.uniform(0.01, 0.4))
    if p.poll() is None:
        kills += 1
    p.kill()
    p.wait(30)
    et.deliver(st, "late%d@example.org" % n, names[i % 2], et.message(n))
    newmail.append((names[i % 2], n))
    n += 1
t.diag("%d of %d runs killed while running" % (kills, runs))
r = et.bouncer(st)
t.ok(r.returncode == 0, "a run to the end after the crashes", r.stderr)
got = et.returned(sent)
# A run killed while it feeds SENDMAIL leaves the MTA an incomplete
# notification (the fake MTA, like sendmail -i, takes what it got at
# EOF): counted with the duplicates, at most one per killed run.
cut = [g for g in got if None in g]
got = [g for g in got if None not in g]
missing = set(unread) - set(got)
t.is_(sorted(missing), [], "every unread expired message returned")
t.is_(sorted(set(got) - set(unread)), [],
      "nothing else returned (read, young, new)")
dups = len(got) - len(set(got))
t.diag("%d duplicate and %d incomplete notifications" % (dups, len(cut)))
t.ok(dups + len(cut) <= kills, "duplicates (%d) and incomplete ones (%d): "
     "at most one per killed run (%d)" % (dups, len(cut), kills))
left = {}
for name in names:
    left[name] = len(et.uids(st, name))
t.is_(left, {name: 2 + sum(1 for a, _ in newmail if a == name)
             for name in names},
      "read expired deleted; young and new messages kept")
et.clean(t, st, "consistent after the crashes")
r = st.run("reconstruct/reconstruct", "-n")
t.is_(r.stdout, "", "reconstruct -n finds nothing to fix")
et.clear(sent)
r = et.bouncer(st)
t.is_(et.returned(sent), [], "another run returns nothing")
t.is_(st.log_errors(), [], "no errors logged")
pop3test.check_sanitizers(t)
t.done()
