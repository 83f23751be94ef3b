#!/usr/bin/env python3
"""pop3d sessions and other writers on one mailbox: a message expunged by
another session is reported gone without ending the session; deliveries
during a session stay; two POP sessions deleting different messages;
\\Seen marks and deletions land on the right messages after the index was
rewritten underneath."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import pop3test as pt  # noqa: E402
import pstest  # noqa: E402

t = pstest.Tap()
PW = "Secret123"
st = pt.store(t, "LOGIN_FAIL_DELAY=0\n")
pt.add(st, "jdoe", PW)
for i in range(1, 6):
    pt.deliver(st, "jdoe", "Subject: %d\n\nbody %d\n" % (i, i))

# ---- expunged by another session (IMAP) during a POP session ----
a = pt.login(st, "jdoe", PW)
t.is_(pt.popfix(st, "expunge", "jdoe", "2", "4").stdout.strip(), "2",
      "another session expunges UIDs 2 and 4")
pt.deliver(st, "jdoe", "Subject: 6\n\nbody 6\n")
t.like(a.cmd("STAT"), r"^\+OK 5 ", "the session still lists 5")
t.is_(a.cmd("RETR 2"), "-ERR Message 2 no longer exists (removed by another "
      "session)", "RETR of the expunged message")
t.like(a.cmd("RETR 3"), r"^\+OK", "RETR 3 still works")
t.is_(a.body(), b"Subject: 3\r\n\r\nbody 3\r\n", "the right message")
t.like(a.cmd("TOP 4 0"), r"^-ERR Message 4 no longer exists", "TOP too")
t.like(a.cmd("DELE 4"), r"^-ERR Message 4 no longer exists", "DELE too")
t.is_(a.cmd("DELE 5"), "+OK Message 5 deleted", "DELE 5")
t.like(a.cmd("NOOP"), r"^\+OK", "the session goes on")
t.like(a.cmd("QUIT"), r"^\+OK Bye: 1 messages deleted", "QUIT")
a.close()
t.is_(pt.listing(st, "jdoe"), [(1, "--", 22), (3, "S-", 22), (6, "--", 22)],
      "UID 5 expunged, UID 3 \\Seen, UID 6 (delivered meanwhile) kept")
t.is_(pt.usage(st, "jdoe")["message_count"], "3", "counters agree")

# ---- two POP sessions deleting different messages ----
a = pt.login(st, "jdoe", PW)
b = pt.login(st, "jdoe", PW)
t.like(a.cmd("DELE 1"), r"^\+OK", "A: DELE 1 (UID 1)")
t.like(b.cmd("DELE 3"), r"^\+OK", "B: DELE 3 (UID 6)")
t.like(b.cmd("RETR 2"), r"^\+OK", "B: RETR 2 (UID 3)")
b.body()
t.like(a.cmd("QUIT"), r"^\+OK Bye: 1 messages", "A quits first")
t.like(b.cmd("QUIT"), r"^\+OK Bye: 1 messages", "B quits on the new index")
a.close()
b.close()
t.is_([u for u, _, _ in pt.listing(st, "jdoe")], [3], "both deletions "
      "applied")

# ---- \Seen without QUIT, after the index was rewritten ----
for i in range(7, 10):
    pt.deliver(st, "jdoe", "Subject: %d\n\nbody %d\n" % (i, i))
a = pt.login(st, "jdoe", PW)        # UIDs 3 7 8 9
a.cmd("RETR 4")
a.body()
a.cmd("DELE 2")
pt.popfix(st, "expunge", "jdoe", "3")
a.close()                           # no QUIT: no DELE; \Seen still set
t.is_(pt.listing(st, "jdoe"), [(7, "--", 22), (8, "--", 22), (9, "S-", 22)],
      "without QUIT: DELE dropped, \\Seen set on UID 9 by UID")
t.is_(st.log_errors(), [], "no errors logged")
pt.check_sanitizers(t)
t.done()
