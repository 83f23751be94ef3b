#!/usr/bin/env python3
"""End to end: messages delivered by deliver (pipe mode and LMTP) come out
of pop3d as delivered: the delivery headers first, the text unchanged,
dot-stuffing where a line starts with ".", sizes and UIDLs consistent.
(The other pop3d tests store messages with popfix, which writes exactly
the test's bytes without delivery headers.)"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import pop3test as pt  # noqa: E402
import pstest  # noqa: E402

t = pstest.Tap()
if not os.path.exists(pstest.program("deliver/deliver")):
    t.skip_all("deliver is not built")
PW = "Secret123"
st = pt.store(t, "LOGIN_FAIL_DELAY=0\n")
pt.add(st, "jdoe", PW)
TEXT = "Subject: through deliver\n\n.starts with a dot\nplain\n"
r = st.run("deliver/deliver", "-f", "sender@example.org", "jdoe",
           input=TEXT)
t.ok(r.returncode == 0, "deliver: pipe mode", r.stderr)
lmtp = ("LHLO client.example\r\nMAIL FROM:<other@example.org>\r\n"
        "RCPT TO:<jdoe>\r\nDATA\r\nSubject: by LMTP\r\n\r\n..escaped dot\r\n"
        "line\r\n.\r\nQUIT\r\n")
r = st.run("deliver/deliver", "-l", input=lmtp)
t.like(r.stdout, r"250 2\.\d\.\d+ .*\r\n221", "deliver: LMTP")

c = pt.login(st, "jdoe", PW)
t.like(c.cmd("STAT"), r"^\+OK 2 \d+", "two messages")
c.cmd("LIST")
sizes = [int(l.split()[1]) for l in c.multi()]
c.cmd("RETR 1")
m1 = c.body()
t.like(m1.decode(), r"^Return-Path: <sender@example\.org>\r\n"
       r"Delivered-To: jdoe\r\nReceived: ", "delivery headers first")
t.ok(m1.endswith(b"Subject: through deliver\r\n\r\n.starts with a dot\r\n"
                 b"plain\r\n"), "the text follows unchanged (CRLF)", m1)
t.is_(len(m1), sizes[0], "LIST size is the size retrieved")
c.cmd("RETR 2")
m2 = c.body()
t.ok(m2.endswith(b"Subject: by LMTP\r\n\r\n.escaped dot\r\nline\r\n"),
     "LMTP message: the client's dot-stuffing undone once", m2)
t.like(m2.decode(), r"^Return-Path: <other@example\.org>", "LMTP sender")
c.cmd("TOP 1 0")
t.ok(c.body().endswith(b"Subject: through deliver\r\n\r\n"), "TOP 1 0")
c.cmd("UIDL")
uidls = [l.split()[1] for l in c.multi()]
t.is_(len(set(uidls)), 2, "distinct UIDLs")
c.cmd("DELE 1")
t.like(c.cmd("QUIT"), r"^\+OK Bye: 1 messages deleted", "QUIT")
c.close()
t.is_(pt.usage(st, "jdoe")["message_count"], "1", "counters after expunge")
t.is_(st.log_errors(), [], "no errors logged")
pt.check_sanitizers(t)
t.done()
