#!/usr/bin/env python3
"""A state-tracking stress client: several imapd sessions and a stream
of deliveries on one folder, bounded in time and operations. Each
session keeps its own map of sequence numbers to UIDs from the EXISTS,
EXPUNGE and FETCH responses it receives and checks it against the
server; static message data never changes; modseqs only grow; new UIDs
only grow; every session ends up agreeing with a fresh one."""
import os
import random
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import imapt  # noqa: E402

SESSIONS = 4
OPS = 120           # per session
SECONDS = 40        # hard bound
rng = random.Random(int(os.environ.get("STRESS_SEED", "5")))
t, st = imapt.setup()
st.user("stress")
for i in range(15):
    st.deliver("stress", imapt.msg(subject="initial %d" % i))

static = {}         # uid -> (size, subject)
modseq = {}         # uid -> highest modseq seen
problems = []


def note(what):
    if len(problems) < 20:
        problems.append(what)


class Sess:
    def __init__(self, n):
        self.n = n
        self.c = st.imap()
        self.c.login("stress")
        self.map = []
        self.last_uid = 0
        self.absorb(self.c.ok("SELECT INBOX"))
        self.sync_map()

    def absorb(self, lines):
        for ln in lines:
            m = re.match(rb"\* (\d+) (EXISTS|EXPUNGE)$", ln)
            if m:
                k = int(m.group(1))
                if m.group(2) == b"EXISTS":
                    if k < len(self.map):
                        note("s%d: EXISTS %d shrinks map %d" %
                             (self.n, k, len(self.map)))
                    self.map += [None] * (k - len(self.map))
                elif 1 <= k <= len(self.map):
                    del self.map[k - 1]
                else:
                    note("s%d: EXPUNGE %d outside map %d" %
                         (self.n, k, len(self.map)))
                continue
            m = re.match(rb"\* (\d+) FETCH \((.*)\)$", ln, re.S)
            if m:
                self.check_fetch(int(m.group(1)), m.group(2))

    def check_fetch(self, seq, body):
        uid = re.search(rb"UID (\d+)", body)
        if seq < 1 or seq > len(self.map):
            note("s%d: FETCH %d outside map %d" % (self.n, seq, len(self.map)))
            return
        if uid:
            uid = int(uid.group(1))
            if self.map[seq - 1] is None:
                self.map[seq - 1] = uid
            elif self.map[seq - 1] != uid:
                note("s%d: seq %d is UID %d, map says %d" %
                     (self.n, seq, uid, self.map[seq - 1]))
        else:
            uid = self.map[seq - 1]
        if uid is None:
            return
        ms = re.search(rb"MODSEQ \((\d+)\)", body)
        if ms:
            v = int(ms.group(1))
            if v < modseq.get(uid, 0):
                note("UID %d: modseq went back %d -> %d" %
                     (uid, modseq[uid], v))
            modseq[uid] = max(v, modseq.get(uid, 0))
        size = re.search(rb"RFC822.SIZE (\d+)", body)
        subj = re.search(rb'ENVELOPE \("[^"]*" "([^"]*)"', body)
        if size and subj:
            key = (int(size.group(1)), subj.group(1))
            if static.setdefault(uid, key) != key:
                note("UID %d: static data changed" % uid)

    def cmd(self, text):
        tag, un = self.c.cmd(text)
        self.absorb(un)
        return tag, un

    def sync_map(self):
        tag, un = self.cmd("UID FETCH 1:* (UID MODSEQ)")
        uids = [self.map[i] for i in range(len(self.map))]
        if None in uids:
            note("s%d: map has holes after UID FETCH" % self.n)
        if uids != sorted(uids, key=lambda x: x or 0):
            note("s%d: UIDs not ascending" % self.n)

    def random_op(self):
        k = rng.random()
        uids = [u for u in self.map if u]
        if k < 0.35 and uids:
            u = rng.choice(uids)
            flag = rng.choice(["\\Seen", "\\Flagged", "\\Answered", "$Work",
                               "\\Deleted"])
            tag, un = self.cmd("UID STORE %d %sFLAGS (%s)" % (
                u, rng.choice("+-"), flag))
        elif k < 0.55 and self.map:
            a = rng.randint(1, len(self.map))
            self.cmd("FETCH %d:%d (UID RFC822.SIZE ENVELOPE MODSEQ FLAGS)"
                     % (a, min(len(self.map), a + 5)))
        elif k < 0.65:
            tag, un = self.cmd("EXPUNGE")
        elif k < 0.75:
            data = imapt.msg(subject="appended s%d" % self.n)
            self.c.n += 1
            tg = "t%d" % self.c.n
            self.c.send(b"%s APPEND INBOX {%d+}\r\n" % (tg.encode(), len(data))
                        + data + b"\r\n")
            tag, un = self.c.wait(tg)
            self.absorb(un)
            m = re.search(rb"APPENDUID \d+ (\d+)", tag)
            if m:
                u = int(m.group(1))
                if u <= self.last_uid:
                    note("APPENDUID %d not above %d" % (u, self.last_uid))
                self.last_uid = u
        elif k < 0.85:
            self.cmd("NOOP")
        else:
            self.cmd("UID SEARCH ALL")
            self.sync_map()


sessions = [Sess(i) for i in range(SESSIONS)]
start = time.time()
ops = 0
for r in range(OPS):
    if time.time() - start > SECONDS:
        break
    for s in sessions:
        s.random_op()
        ops += 1
    if r % 3 == 0:
        st.deliver("stress", imapt.msg(subject="delivered %d" % r))
t.ok(ops > 50, "ran %d operations in %.1fs" % (ops, time.time() - start))
final = []
for s in sessions:
    s.cmd("NOOP")
    s.sync_map()
    tag, un = s.c.cmd("FETCH 1:* (UID FLAGS MODSEQ)")
    s.absorb(un)
    final.append(sorted(re.sub(rb"^\* \d+ ", b"", x) for x in un
                        if b" FETCH " in x))
fresh = st.imap()
fresh.login("stress")
fresh.ok("EXAMINE INBOX")
tag, un = fresh.cmd("FETCH 1:* (UID FLAGS MODSEQ)")
want = sorted(re.sub(rb"^\* \d+ ", b"", x).replace(b" \\Recent", b"").replace(
    b"\\Recent ", b"").replace(b"\\Recent", b"") for x in un if b" FETCH " in x)
for i, f in enumerate(final):
    f = [x.replace(b" \\Recent", b"").replace(b"\\Recent ", b"").replace(
        b"\\Recent", b"") for x in f]
    t.is_(f, want, "session %d agrees with a fresh session" % i)
t.is_(problems, [], "no inconsistency seen")
for s in sessions:
    s.c.cmd("LOGOUT")
    s.c.close()
fresh.close()
t.is_(st.log_errors(), [], "no errors logged")
t.is_(st.reconstruct_clean(), "", "reconstruct finds nothing to fix")
t.done()
