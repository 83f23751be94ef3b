#!/usr/bin/env python3
"""Crash safety: a kill storm. At least 3,000 pipe deliveries with fan-out
1, 3 and 25 run concurrently; at least 700 of them are killed with
SIGKILL at a random instant. Then every message acknowledged with exit 0
is in each of its recipients' INBOX exactly once, no message is visible
twice or partly (every visible message is the complete, byte-exact
file), and the store checks clean. Counters lag only until the next
delivery to the account (deliver sets them from the folders), which the
test makes before the final check."""
import heapq
import os
import random
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import deliverlib as dl  # noqa: E402
import pstest  # noqa: E402
import storecheck  # noqa: E402

# Under the sanitizers every delivery costs several times more: fewer of
# them still cover every kill point, and keep the suite's time in bounds.
SANITIZED = os.environ.get("POPSTORE_SANITIZED") == "1"
TOTAL = int(os.environ.get("STORM_DELIVERIES", "1200" if SANITIZED else "3000"))
KILLS_MIN = int(os.environ.get("STORM_KILLS", "250" if SANITIZED else "700"))
PARALLEL = 6
TIME_LIMIT = 300            # seconds, for the storm itself (a bound, not a goal)
FANOUTS = (1, 3, 25)
NACCT = 60

t = pstest.Tap()
start = time.time()
rnd = random.Random(int(os.environ.get("STORM_SEED", "20261123")))
accts = ["s%d" % i for i in range(NACCT)]
st = dl.new_store(t, accounts=accts, switches=["-store=pop"])
# Under ASan the leak check at exit costs more than a delivery; the other
# deliver tests check for leaks, the storm is about what a kill leaves.
st.env["ASAN_OPTIONS"] = ":".join(x for x in (os.environ.get("ASAN_OPTIONS"),
                                             "detect_leaks=0") if x)
r = dl.deliver(st, *accts, input=b"Subject: warm-up\n\nfolders exist\n")
t.is_(r.returncode, 0, "warm-up delivery to every account")
since = time.time() - 1
msgdir = os.path.join(st.tmp, "msgs")
os.makedirs(msgdir)


def storm_message(i):
    size = rnd.choice((300, 1500, 6000, 30000))
    body = dl.message(i, size, random.Random(i))
    return b"X-Storm-Id: %d\n" % i + body


def run_one(i):
    path = os.path.join(msgdir, "%d" % i)
    return subprocess.Popen([dl.DELIVER, "-C", st.conf, "-f",
                             "storm@example.org"] + plan[i]["rcpts"],
                            stdin=open(path, "rb"), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=st.env)


# Calibrate: how long does one delivery take here?
plan = {}
durations = []
for i in range(20):
    plan[i] = {"rcpts": rnd.sample(accts, FANOUTS[i % 3])}
    with open(os.path.join(msgdir, "%d" % i), "wb") as f:
        f.write(storm_message(i))
    t0 = time.time()
    p = run_one(i)
    p.communicate()
    durations.append(time.time() - t0)
    plan[i]["rc"] = p.returncode
durations.sort()
typical = durations[len(durations) // 2]
t.diag("a delivery takes about %.1f ms" % (typical * 1000))

running = {}                # pid -> (i, Popen)
kills = []                  # heap of (when, i)
killed_hit = 0
i = 20
storm_start = time.time()
while (i < TOTAL or killed_hit < KILLS_MIN or running) and \
        time.time() - storm_start < TIME_LIMIT:
    while len(running) < PARALLEL and (i < TOTAL or killed_hit < KILLS_MIN):
        plan[i] = {"rcpts": rnd.sample(accts, FANOUTS[i % 3])}
        with open(os.path.join(msgdir, "%d" % i), "wb") as f:
            f.write(storm_message(i))
        p = run_one(i)
        running[p.pid] = (i, p)
        if rnd.random() < 0.4 or (i >= TOTAL and killed_hit < KILLS_MIN):
            heapq.heappush(kills, (time.time() + rnd.uniform(0, 1.5 * typical),
                                   i, p.pid))
        i += 1
    now = time.time()
    while kills and kills[0][0] <= now:
        _, k, pid = heapq.heappop(kills)
        if pid in running and running[pid][1].poll() is None:
            os.kill(pid, signal.SIGKILL)
    for pid, (k, p) in list(running.items()):
        if p.poll() is not None:
            p.stderr.read()
            p.stderr.close()
            p.stdin.close() if p.stdin else None
            plan[k]["rc"] = p.returncode
            killed_hit += p.returncode == -signal.SIGKILL
            del running[pid]
    # Sleep until the next kill is due, at most 2 ms (reaping finished
    # deliveries is not urgent; busy polling would steal their CPU).
    wait = 0.002 if not kills else min(0.002, kills[0][0] - time.time())
    time.sleep(max(0.0002, wait))
for pid, (k, p) in running.items():
    p.kill()
    p.wait()
    plan[k]["rc"] = p.returncode
storm_time = time.time() - storm_start
n = len(plan)
codes = {}
for v in plan.values():
    codes[v["rc"]] = codes.get(v["rc"], 0) + 1
t.diag("%d deliveries in %.1fs; exit statuses %s" % (n, storm_time, codes))
t.ok(n >= TOTAL, "at least %d deliveries (%d)" % (TOTAL, n))
t.ok(codes.get(-9, 0) >= KILLS_MIN, "at least %d killed by SIGKILL (%d)" %
     (KILLS_MIN, codes.get(-9, 0)))
t.ok(set(codes) <= {0, 75, -9}, "every exit status is 0, 75 or a kill",
     codes)

# What is visible now, before any later delivery touches the store.
sv = storecheck.StoreView(st.conf)
copies = {}                 # (account, storm id) -> count
bad = []
for a in accts:
    for uid, path, size in sv.messages(a):
        with open(path, "rb") as f:
            data = f.read()
        if len(data) != size:
            bad.append("%s: %d bytes, record says %d" % (path, len(data), size))
        m = re.search(rb"\r\nX-Storm-Id: (\d+)\r\n", data)
        if not m:
            continue
        k = int(m.group(1))
        copies[(a, k)] = copies.get((a, k), 0) + 1
        with open(os.path.join(msgdir, "%d" % k), "rb") as f:
            want = dl.crlf(f.read())
        if dl.body_of(data)[2] != want:
            bad.append("%s: storm message %d is not byte-exact" % (path, k))
t.ok(not bad, "every visible message is complete and byte-exact",
     "\n".join(bad[:20]))
missing, dup = [], []
for k, v in plan.items():
    for a in v["rcpts"]:
        c = copies.get((a, k), 0)
        if v["rc"] == 0 and c != 1:
            missing.append("message %d for %s: %d copies" % (k, a, c))
        if c > 1:
            dup.append("message %d for %s: %d copies" % (k, a, c))
t.ok(not missing, "every acknowledged message is present exactly once",
     "\n".join(missing[:20]))
t.ok(not dup, "no message is visible twice", "\n".join(dup[:20]))
problems, notes = sv.check(since=since, counters=False)
t.ok(not problems, "store checks clean (records, files, links, state, tmp)",
     "\n".join(problems[:30]))
lag = [p for p in sv.check(since=since)[0] if "counters say" in p]
t.diag("%d accounts with counters lagging behind a killed delivery; "
       "%d notes (pending adoption, tmp files of killed deliveries)" %
       (len(lag), len(notes)))

# The next delivery to each account adopts what was linked and sets the
# counters from the folders.
r = dl.deliver(st, *accts, input=b"Subject: after the storm\n\nsettle\n")
t.is_(r.returncode, 0, "a delivery after the storm")
problems, notes = storecheck.StoreView(st.conf).check(since=since)
t.ok(not problems, "store checks clean, counters included",
     "\n".join(problems[:30]))
t.ok(not [x for x in notes if "pending adoption" in x],
     "nothing left pending adoption", "\n".join(notes[:10]))
t.diag("elapsed %s" % dl.elapsed(start))
t.done()
