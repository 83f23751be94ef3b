#!/usr/bin/env python3
"""pop3d answers a wrong password for an unknown user and for a known
user in the same time: an unknown user is checked against a dummy hash
of PASSWORD_ITERATIONS (sasl.h), so response times do not tell which
names exist. USER/PASS and AUTH PLAIN, 40 interleaved samples of each
kind (24 in sanitized builds) on one connection each (LOGIN_FAIL_DELAY=0), in pairs measured back
to back, compared by the median of the pairs' ratios (within 0.7-1.4)
and a two-sided Mann-Whitney U test (p not below 1e-4). With the dummy check removed, an unknown user is answered
many times faster and both comparisons fail."""
import math
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import pop3test as pt  # noqa: E402
import pstest  # noqa: E402

t = pstest.Tap()
PW = "Secret123"
# The default iterations: the hash, not the noise, is most of the time.
# Sanitized builds are many times slower: fewer samples, cheaper hashes.
SANITIZED = os.environ.get("POPSTORE_SANITIZED") == "1"
N = 24 if SANITIZED else 40
st = pt.store(t, "LOGIN_FAIL_DELAY=0\nLOGIN_MAX_FAILURES=100\n")
pt.set_option(st, "PASSWORD_ITERATIONS", "4096" if SANITIZED else "10000")
pt.add(st, "jdoe", PW)
rng = random.Random(871)


def median(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def mann_whitney_p(a, b):
    """Two-sided p-value of the U test (normal approximation, ties)."""
    n1, n2 = len(a), len(b)
    allv = sorted([(v, 0) for v in a] + [(v, 1) for v in b])
    ranks = [0.0] * len(allv)
    ties = 0.0
    i = 0
    while i < len(allv):
        j = i
        while j + 1 < len(allv) and allv[j + 1][0] == allv[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2 + 1
        m = j - i + 1
        ties += m ** 3 - m
        i = j + 1
    r1 = sum(r for r, (v, g) in zip(ranks, allv) if g == 0)
    u1 = r1 - n1 * (n1 + 1) / 2
    mu = n1 * n2 / 2
    n = n1 + n2
    sigma = math.sqrt(n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1))))
    if sigma == 0:
        return 1.0
    z = (abs(u1 - mu) - 0.5) / sigma
    return max(0.0, min(1.0, math.erfc(max(z, 0) / math.sqrt(2))))


def sample(kind):
    """Interleaved timings of failed attempts: (unknown, known) lists."""
    c = pt.pipe(st)
    times = {"unknown": [], "known": []}
    replies = set()
    order = ["unknown", "known"] * N
    for i in range(0, len(order), 2):   # shuffle within each pair
        if rng.random() < 0.5:
            order[i], order[i + 1] = order[i + 1], order[i]
    for who in order:
        user = "jdoe" if who == "known" else "nosuch%04d" % rng.randrange(
            10000)
        bad = "wrong%06d" % rng.randrange(1000000)
        if kind == "USER":
            c.cmd("USER " + user)
            start = time.perf_counter()
            r = c.cmd("PASS " + bad)
        else:
            line = "AUTH PLAIN " + pt.b64("\0%s\0%s" % (user, bad))
            start = time.perf_counter()
            r = c.cmd(line)
        times[who].append(time.perf_counter() - start)
        replies.add(r)
    c.cmd("QUIT")
    c.close()
    return times["unknown"], times["known"], replies


def paired_ratio(unknown, known):
    """The median of unknown/known over the pairs measured back to back:
    a burst of load on the machine slows both of a pair down."""
    return median([u / k for u, k in zip(unknown, known) if k > 0])


for kind in ("USER", "PLAIN"):
    unknown, known, replies = sample(kind)
    t.is_(sorted(replies), ["-ERR [AUTH] Authentication failed"],
          "%s: the same reply for unknown and known users" % kind)
    mu, mk = median(unknown), median(known)
    ratio = paired_ratio(unknown, known)
    p = mann_whitney_p(unknown, known)
    t.diag("%s: median unknown %.2f ms, known %.2f ms, paired ratio %.3f, "
           "Mann-Whitney p %.3g" % (kind, mu * 1000, mk * 1000, ratio, p))
    t.ok(0.7 <= ratio <= 1.4, "%s: times within 0.7-1.4 of each other "
         "(median of paired ratios)" % kind, "ratio %.3f" % ratio)
    t.ok(p >= 1e-4, "%s: a rank test cannot tell them apart" % kind,
         "p = %.3g" % p)

t.is_(st.log_errors(), [], "no errors logged")
pt.check_sanitizers(t)
t.done()
