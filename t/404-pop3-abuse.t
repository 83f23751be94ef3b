#!/usr/bin/env python3
"""pop3d against bad input: over-long lines, NUL bytes, commands before
login, bad base64, bad commands until disconnection, bare LF, 10,000
pipelined commands, end of input mid-line."""
import os
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import pop3test as pt  # noqa: E402
import pstest  # noqa: E402

t = pstest.Tap()
PW = "Secret123"
st = pt.store(t, "LOGIN_FAIL_DELAY=0\n")
pt.add(st, "jdoe", PW)
for i in range(3):
    pt.deliver(st, "jdoe", "Subject: %d\n\nbody %d\n" % (i, i))

# ---- line lengths ----
c = pt.pipe(st)
t.is_(c.cmd("CAPA " + "x" * 300), "-ERR Line too long", "a 305-octet "
      "command line is refused")
t.is_(c.cmd("NOOP"), "-ERR Unknown command (or not before login)",
      "...and the session goes on")
t.is_(c.cmd("USER " + "u" * 250), "+OK Send your password",
      "a 255-octet line is fine")
c.sendline("CAPA" + "y" * 5000)
t.is_(c.line(), "-ERR Line too long", "a line over 4096 octets...")
t.ok(c.eof(), "...closes the connection")
t.is_(c.close(), 0, "exit 0")

# ---- NUL, empty, junk, bare LF ----
c = pt.pipe(st)
c.send(b"CA\0PA\r\n")
t.is_(c.line(), "-ERR NUL byte in command", "NUL refused")
t.like(c.cmd(""), r"^-ERR Unknown command", "empty line")
c.send("\u00e9\u00e8\r\n".encode())
t.like(c.line(), r"^-ERR Unknown command", "8-bit junk")
c.send(b"CAPA\n")
t.is_(c.line(), "+OK Capability list follows", "bare LF accepted")
c.multi()
for cmd in ("STAT", "LIST", "RETR 1", "DELE 1", "UIDL", "TOP 1 1", "RSET",
            "NOOP"):
    t.like(c.cmd(cmd), r"^-ERR Unknown command", "%s before login" % cmd)
t.like(c.cmd("AUTH PLAIN ===="), r"^-ERR Invalid base64", "AUTH PLAIN ====")
t.like(c.cmd("AUTH PLAIN AAA"), r"^-ERR Invalid base64", "truncated base64")
c.cmd("AUTH LOGIN")
t.like(c.cmd("@@@@"), r"^-ERR Invalid base64", "bad base64 response")
c.close()

# ---- bad commands until disconnection ----
c = pt.login(st, "jdoe", PW)
for i in range(19):
    c.cmd("XYZZY")
t.is_(c.cmd("BOGUS"), "-ERR Unknown command", "20th bad command answered")
t.is_(c.line(), "-ERR Too many bad commands, closing", "...then closed")
t.ok(c.eof(), "connection closed")
c.close()
t.like("\n".join(st.log_lines()), r"event=logout user=jdoe .*end=bad_commands",
       "logout logged with the reason")

# ---- 10,000 pipelined commands ----
c = pt.login(st, "jdoe", PW)
cmds = []
for i in range(10000):
    cmds.append(("NOOP", "STAT", "LIST 2", "UIDL 3")[i % 4])
blob = "".join(x + "\r\n" for x in cmds).encode()
w = threading.Thread(target=c.send, args=(blob,))
w.start()
answers = [c.line() for _ in cmds]
w.join()
ok = all(a.startswith("+OK") for a in answers)
t.ok(ok, "10,000 pipelined commands: 10,000 +OK answers",
     [a for a in answers if not a.startswith("+OK")][:5])
t.ok(answers[1].startswith("+OK 3 ") and answers[2].startswith("+OK 2 ") and
     answers[3].startswith("+OK 3 "), "answers in order", answers[:4])
t.like(c.cmd("QUIT"), r"^\+OK Bye", "QUIT after the pipeline")
c.close()

# ---- pipelined retrievals: responses interleave correctly ----
c = pt.login(st, "jdoe", PW)
c.send(b"RETR 1\r\nRETR 2\r\nTOP 3 0\r\nSTAT\r\n")
bodies = []
for i in range(3):
    c.line()
    bodies.append(c.body())
t.is_(bodies[0], b"Subject: 0\r\n\r\nbody 0\r\n", "pipelined RETR 1")
t.is_(bodies[1], b"Subject: 1\r\n\r\nbody 1\r\n", "pipelined RETR 2")
t.is_(bodies[2], b"Subject: 2\r\n\r\n", "pipelined TOP")
t.like(c.line(), r"^\+OK 3 ", "pipelined STAT")
c.close()

# ---- end of input mid-line ----
c = pt.pipe(st)
c.send(b"US")
t.is_(c.close(), 0, "end of input mid-line: clean exit")
t.is_(st.log_errors(), [], "no errors logged")
pt.check_sanitizers(t)
t.done()
