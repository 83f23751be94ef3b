#!/usr/bin/env python3
"""imapd, two sessions on one folder: EXPUNGE is told to the other
session only at the moments RFC 3501 allows (never during FETCH, STORE
or SEARCH), flag changes are announced, \\Recent belongs to one session,
a delivery wakes IDLE within a second, QRESYNC's VANISHED."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import imapt  # noqa: E402

t, st = imapt.setup()
st.user("jdoe")
for i in range(5):
    st.deliver("jdoe", imapt.msg(subject="m%d" % i))

a = st.imap()
a.login("jdoe")
b = st.imap()
b.login("jdoe")
un = a.ok("SELECT INBOX")
t.ok(b"* 5 RECENT" in un, "first session gets \\Recent", un)
un = b.ok("SELECT INBOX")
t.ok(b"* 0 RECENT" in un, "second session gets none", un)
un = b.ok("FETCH 1 FLAGS")
t.ok(b"\\Recent" not in un[0], "no \\Recent flag in the second session")
un = a.ok("FETCH 1 FLAGS")
t.ok(b"\\Recent" in un[0], "\\Recent flag in the first session")

# Flag change in A is announced to B.
a.ok("STORE 2 +FLAGS.SILENT (\\Flagged)")
un = b.ok("NOOP")
t.ok(any(re.match(rb"\* 2 FETCH \(FLAGS \(\\Flagged\)\)", x) for x in un),
     "NOOP announces another session's flag change", un)

# Expunge in A: B must not see EXPUNGE during FETCH/STORE, but must
# see it at NOOP; its sequence numbers stay right in between.
a.ok("STORE 3 +FLAGS.SILENT (\\Deleted)")
un = a.ok("EXPUNGE")
t.is_(un, [b"* 3 EXPUNGE"], "EXPUNGE in A")
tag, un = b.cmd("FETCH 1:5 (UID)")
t.ok(tag.startswith(b"OK") and not any(b"EXPUNGE" in x for x in un),
     "no EXPUNGE during FETCH", un)
uids = {int(m.group(1)): int(m.group(2)) for m in
        (re.match(rb"\* (\d+) FETCH \(UID (\d+)\)", x) for x in un) if m}
t.is_(uids, {1: 1, 2: 2, 4: 4, 5: 5}, "old numbers still map to the same "
      "UIDs; the expunged one is left out")
tag, un = b.cmd("STORE 4 +FLAGS (\\Answered)")
t.ok(not any(b"EXPUNGE" in x for x in un) and
     any(x.startswith(b"* 4 FETCH (FLAGS (\\Answered") for x in un),
     "STORE uses the old numbers, no EXPUNGE", un)
tag, un = b.cmd("UID FETCH 1:* (UID)")
t.ok(b"* 3 EXPUNGE" in un, "UID FETCH may tell the EXPUNGE", un)
un = b.ok("FETCH 3 (UID)")
t.like(un[0].decode(), r"\* 3 FETCH \(UID 4\)", "new numbering afterwards")

# A delivery: EXISTS in A at NOOP, \Recent for the session that claims it.
st.deliver("jdoe", imapt.msg(subject="new"))
un = a.ok("NOOP")
t.ok(b"* 5 EXISTS" in un and b"* 5 RECENT" in un, "NOOP tells EXISTS and "
     "RECENT", un)
t.ok(not any(x.startswith(b"* 5 FETCH") for x in un), "the new message is "
     "not announced as a flag change", un)
un = b.ok("NOOP")
t.ok(b"* 5 EXISTS" in un and b"* 0 RECENT" in un, "the other session sees "
     "the message but not as \\Recent", un)

# IDLE: a delivery shows up within a second.
b.send("i1 IDLE\r\n")
t.like(b.line().decode(), r"^\+ ", "IDLE continuation")
st.deliver("jdoe", imapt.msg(subject="while idle"))
t0 = time.time()
ln = b.line(timeout=5)
dt = time.time() - t0
t.is_(ln, b"* 6 EXISTS", "IDLE: EXISTS after a delivery")
t.ok(dt < 1.0, "IDLE woke within a second of the delivery's end (%.3fs)" % dt)
a.ok("STORE 1 +FLAGS.SILENT (\\Seen)")
ln = b.line(timeout=3)
while ln.endswith(b"RECENT"):
    ln = b.line(timeout=3)
t.like(ln.decode(), r"^\* 1 FETCH \(FLAGS \(\\Seen\)\)", "IDLE: flag change")
a.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
a.ok("EXPUNGE")
lns = [b.line(timeout=3)]
lns += b.pending(0.3)
t.ok(b"* 1 EXPUNGE" in lns, "IDLE: expunge by another session", lns)
b.send("DONE\r\n")
tag, _ = b.wait("i1")
t.like(tag.decode(), r"^OK", "IDLE ends with DONE")

# QRESYNC: VANISHED (EARLIER) for what went away since a modseq.
c = st.imap()
c.login("jdoe")
c.ok("ENABLE QRESYNC")
un = c.ok("SELECT INBOX")
uv = int(re.search(rb"UIDVALIDITY (\d+)", b"".join(un)).group(1))
hm = int(re.search(rb"HIGHESTMODSEQ (\d+)", b"".join(un)).group(1))
c.ok("UNSELECT")
a.ok("STORE 2 +FLAGS.SILENT (\\Deleted)")
a.ok("EXPUNGE")
a.ok("STORE 1 +FLAGS.SILENT ($Q)")
tag, un = c.cmd("SELECT INBOX (QRESYNC (%d %d 1:10))" % (uv, hm))
t.ok(any(x.startswith(b"* VANISHED (EARLIER) ") for x in un),
     "SELECT QRESYNC reports VANISHED (EARLIER)", un)
t.ok(any(re.match(rb"\* 1 FETCH \(UID \d+ FLAGS \(.*\$Q.*\) MODSEQ",
                  x) for x in un), "and changed flags with MODSEQ", un)
un = c.ok("UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d VANISHED)" % hm)
t.ok(any(x.startswith(b"* VANISHED (EARLIER)") for x in un) and
     any(b"MODSEQ" in x for x in un), "UID FETCH CHANGEDSINCE VANISHED", un)
# CONDSTORE: UNCHANGEDSINCE refuses a stale change.
un = c.ok("FETCH 1 (MODSEQ)")
ms = int(re.search(rb"MODSEQ \((\d+)\)", un[0]).group(1))
a.ok("STORE 1 +FLAGS.SILENT (\\Answered)")
tag, un = c.cmd("STORE 1 (UNCHANGEDSINCE %d) +FLAGS (\\Draft)" % ms)
t.like(tag.decode(), r"^OK \[MODIFIED 1\]", "UNCHANGEDSINCE: MODIFIED")
a.ok("STORE 2 +FLAGS.SILENT (\\Deleted)")
tag, un = a.cmd("EXPUNGE")
tag, un = c.cmd("NOOP")
t.ok(any(x.startswith(b"* VANISHED ") for x in un), "QRESYNC session gets "
     "VANISHED instead of EXPUNGE", un)
for x in (a, b, c):
    x.cmd("LOGOUT")
    x.close()
t.is_(st.log_errors(), [], "no errors logged")
t.is_(st.reconstruct_clean(), "", "reconstruct finds nothing to fix")
t.done()
