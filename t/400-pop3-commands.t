#!/usr/bin/env python3
"""pop3d on pipes: every RFC 1939 command and its error paths, CAPA in
both states, dot-stuffing and TOP, DELE/RSET/QUIT and what they do to the
folder, \\Seen after RETR, UIDL stability, the session's fixed view,
account rules (DISUSER, expired passwords, LOGIN-DELAY), IMAP accounts,
connect accounting and the log lines."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import pop3test as pt  # noqa: E402
import pstest  # noqa: E402

t = pstest.Tap()
st = pt.store(t, "LOGIN_FAIL_DELAY=0\nRETURN_AGE=30\nPASSWORD_LIFETIME=30\n")
PW = "Secret123"
pt.add(st, "jdoe", PW, "type=pop")
pt.add(st, "imapuser", PW, "type=imap")
pt.add(st, "locked", PW, "flags=disuser")
pt.add(st, "expired", PW, "flags=pwd_expired")
pt.add(st, "old", PW, "changed=%d" % (time.time() - 40 * 86400))

MSGS = [
    "From: a@example.org\nTo: jdoe@example.com\nSubject: one\n\n"
    "line 1\nline 2\nline 3\n",
    "Subject: dots\n\n.starts with a dot\nmiddle\n..two dots\n.\nend\n",
    "Subject: no final newline\n\nlast line without newline",
    "Subject: header only\n",
]
CRLF = [m.replace("\n", "\r\n").encode() for m in MSGS]
for m in MSGS:
    pt.deliver(st, "jdoe", m)
pt.deliver(st, "imapuser", MSGS[0])

# ---- the AUTHORIZATION state ----
c = pt.pipe(st)
t.like(c.greeting, r"^\+OK mail\.example\.com POP3 server ready$",
       "greeting names HOSTNAME, no APOP timestamp when APOP is off")
t.is_(c.cmd("CAPA"), "+OK Capability list follows", "CAPA before login")
capa = [l.decode() for l in c.multi()]
for want in ("TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING",
             "USER", "EXPIRE 30 USER", "IMPLEMENTATION popstore"):
    t.ok(want in capa, "CAPA has %s" % want, capa)
t.ok("SASL SCRAM-SHA-256 PLAIN LOGIN" in capa, "CAPA SASL list", capa)
t.ok(not any(l.startswith("STLS") for l in capa), "no STLS without TLS")
t.ok(not any(l.startswith("LOGIN-DELAY") for l in capa),
     "no LOGIN-DELAY when 0")
t.like(c.cmd("STAT"), r"^-ERR Unknown command", "STAT before login")
t.like(c.cmd("RETR 1"), r"^-ERR", "RETR before login")
t.like(c.cmd("PASS " + PW), r"^-ERR Send USER first", "PASS before USER")
t.like(c.cmd("CAPA extra"), r"^-ERR CAPA takes no argument", "CAPA arg")
t.like(c.cmd("USER"), r"^-ERR", "USER without a name")
t.is_(c.cmd("USER jdoe"), "+OK Send your password", "USER")
t.like(c.cmd("PASS wrong"), r"^-ERR \[AUTH\] Authentication failed$",
       "wrong password")
t.is_(c.cmd("USER nosuchuser"), "+OK Send your password",
      "USER of an unknown name looks the same")
t.like(c.cmd("PASS " + PW), r"^-ERR \[AUTH\] Authentication failed$",
       "unknown user: same answer")
t.is_(c.cmd("QUIT"), "+OK Bye", "QUIT before login")
t.ok(c.eof(), "closed")
c.close()
c = pt.pipe(st)
c.cmd("user JDOE")
t.like(c.cmd("pass " + PW), r"^\+OK Logged in: 4 messages \(\d+ octets\)",
       "lower-case commands, name case-folded")

# ---- the TRANSACTION state ----
total = sum(len(m) for m in CRLF)
t.is_(c.cmd("STAT"), "+OK 4 %d" % total, "STAT")
t.is_(c.cmd("LIST"), "+OK 4 messages (%d octets)" % total, "LIST")
t.is_([l.decode() for l in c.multi()],
      ["%d %d" % (i + 1, len(m)) for i, m in enumerate(CRLF)],
      "LIST lines: sizes of the CRLF messages")
t.is_(c.cmd("LIST 2"), "+OK 2 %d" % len(CRLF[1]), "LIST 2")
for bad in ("0", "5", "x", "1 2", "-1", "+1", "99999999999"):
    t.like(c.cmd("LIST " + bad), r"^-ERR No such message", "LIST %r" % bad)
t.is_(c.cmd("UIDL"), "+OK Unique-ID listing follows", "UIDL")
uidl = [l.decode().split() for l in c.multi()]
t.is_([u[0] for u in uidl], ["1", "2", "3", "4"], "UIDL numbers")
t.ok(all(re.fullmatch(r"[0-9a-f]{16}", u[1]) for u in uidl) and
     len({u[1] for u in uidl}) == 4, "UIDLs: 16 hex digits, unique", uidl)
t.is_(c.cmd("UIDL 3"), "+OK 3 " + uidl[2][1], "UIDL 3")

t.like(c.cmd("RETR 1"), r"^\+OK %d octets" % len(CRLF[0]), "RETR 1")
t.is_(c.body(), CRLF[0], "RETR 1: the message")
t.like(c.cmd("RETR 2"), r"^\+OK", "RETR 2 (dot-stuffed)")
raw = b""
while True:
    l = c.rawline()
    raw += l + b"\n"
    if l == b".\r":
        break
t.is_(raw, b"Subject: dots\r\n\r\n..starts with a dot\r\nmiddle\r\n"
      b"...two dots\r\n..\r\nend\r\n.\r\n", "RETR 2: dots doubled on the wire")
t.like(c.cmd("RETR 3"), r"^\+OK", "RETR 3")
t.is_(c.body(), CRLF[2] + b"\r\n", "no final newline: CRLF added before .")
t.like(c.cmd("TOP 1 0"), r"^\+OK", "TOP 1 0")
t.is_(c.body(), CRLF[0].split(b"\r\n\r\n")[0] + b"\r\n\r\n",
      "TOP 0: the header and the empty line")
c.cmd("TOP 1 2")
t.is_(c.body(), CRLF[0].replace(b"line 3\r\n", b""), "TOP 1 2")
c.cmd("TOP 1 99")
t.is_(c.body(), CRLF[0], "TOP past the end: the whole message")
c.cmd("TOP 2 2")
t.is_(c.body(), b"Subject: dots\r\n\r\n.starts with a dot\r\nmiddle\r\n",
      "TOP of a stuffed message")
c.cmd("TOP 4 5")
t.is_(c.body(), CRLF[3], "TOP of a header-only message")
t.like(c.cmd("TOP 1"), r"^-ERR Usage: TOP", "TOP without a count")
t.like(c.cmd("TOP 1 x"), r"^-ERR Usage: TOP", "TOP with a bad count")
t.like(c.cmd("TOP 9 1"), r"^-ERR No such message", "TOP of no message")
t.like(c.cmd("RETR"), r"^-ERR No such message", "RETR without argument")
t.is_(c.cmd("NOOP"), "+OK", "NOOP")
t.like(c.cmd("NOOP 1"), r"^-ERR NOOP takes no argument", "NOOP argument")
t.like(c.cmd("USER jdoe"), r"^-ERR Unknown command", "USER after login")
t.like(c.cmd("STLS"), r"^-ERR Unknown command", "STLS after login")
t.is_(c.cmd("CAPA"), "+OK Capability list follows", "CAPA after login")
capa = [l.decode() for l in c.multi()]
t.ok("USER" not in capa and not any(l.startswith("SASL") for l in capa),
     "no USER or SASL after login", capa)
t.ok("EXPIRE 30" in capa, "EXPIRE for a POP account", capa)

t.is_(c.cmd("DELE 2"), "+OK Message 2 deleted", "DELE 2")
t.like(c.cmd("DELE 2"), r"^-ERR Message 2 is deleted", "DELE twice")
t.like(c.cmd("RETR 2"), r"^-ERR Message 2 is deleted", "RETR deleted")
t.like(c.cmd("LIST 2"), r"^-ERR Message 2 is deleted", "LIST deleted")
t.is_(c.cmd("STAT"), "+OK 3 %d" % (total - len(CRLF[1])), "STAT after DELE")
c.cmd("LIST")
t.is_([l.split()[0] for l in c.multi()], [b"1", b"3", b"4"],
      "LIST skips the deleted")
t.is_(c.cmd("RSET"), "+OK 4 messages (%d octets)" % total, "RSET")
t.is_(c.cmd("STAT"), "+OK 4 %d" % total, "STAT after RSET")
c.cmd("DELE 2")
t.is_(c.cmd("QUIT"), "+OK Bye: 1 messages deleted", "QUIT applies DELE")
t.ok(c.eof(), "connection closed after QUIT")
t.is_(c.close(), 0, "pop3d exits 0")
lst = pt.listing(st, "jdoe")
t.is_([u for u, _, _ in lst], [1, 3, 4], "message 2 expunged")
t.is_([f for _, f, _ in lst], ["S-", "S-", "--"],
      "RETR marked messages \\Seen, TOP did not")
u = pt.usage(st, "jdoe")
t.is_(u["message_count"], "3", "message_count after expunge")
t.is_(int(u["quota_used"]), total - len(CRLF[1]), "quota_used after expunge")

# ---- UIDL stability, a view fixed at login, no QUIT ----
c = pt.login(st, "jdoe", PW)
c.cmd("UIDL")
uidl2 = [l.decode().split()[1] for l in c.multi()]
t.is_(uidl2, [uidl[0][1], uidl[2][1], uidl[3][1]],
      "UIDLs unchanged in the next session")
pt.deliver(st, "jdoe", "Subject: arrives during the session\n\nx\n")
t.like(c.cmd("STAT"), r"^\+OK 3 ", "a message delivered meanwhile is not "
       "in the session")
t.like(c.cmd("RETR 4"), r"^-ERR No such message", "...not even by number")
c.cmd("DELE 1")
c.close()
t.is_(len(pt.listing(st, "jdoe")), 4, "no QUIT: DELE not applied, new "
      "message kept")
c = pt.login(st, "jdoe", PW)
t.like(c.cmd("STAT"), r"^\+OK 4 ", "next session sees the new message")
t.like(c.cmd("QUIT"), r"^\+OK Bye: 0 messages", "QUIT with nothing deleted")
c.close()

# ---- an empty maildrop, an IMAP account ----
pt.add(st, "empty", PW)
c = pt.login(st, "empty", PW)
t.is_(c.cmd("STAT"), "+OK 0 0", "empty maildrop")
c.cmd("LIST")
t.is_(c.multi(), [], "empty LIST")
t.like(c.cmd("RETR 1"), r"^-ERR No such message", "RETR in an empty drop")
c.cmd("QUIT")
c.close()
c = pt.login(st, "imapuser", PW)
t.is_(c.cmd("STAT"), "+OK 1 %d" % len(CRLF[0]), "IMAP account: its INBOX")
c.cmd("CAPA")
t.ok(b"EXPIRE NEVER" in c.multi(), "IMAP account: EXPIRE NEVER "
     "(RETURN_IMAP=0)")
c.cmd("QUIT")
c.close()

# ---- account rules ----
for user, reason, pat in (
        ("locked", "disabled", r"^-ERR \[AUTH\] Authentication failed"),
        ("expired", "password_expired", r"^-ERR \[AUTH\] Your password has "
         r"expired"),
        ("old", "password_expired", r"^-ERR \[AUTH\] Your password has "
         r"expired")):
    c = pt.pipe(st)
    c.cmd("USER " + user)
    t.like(c.cmd("PASS " + PW), pat, "%s: refused" % user)
    c.cmd("QUIT")
    c.close()
log = "\n".join(st.log_lines())
t.like(log, r"event=auth_failed user=locked ip=pipe tls=no mech=USER "
       r"reason=disabled", "DISUSER logged")
t.like(log, r"event=login_refused user=expired .*reason=password_expired",
       "PWD_EXPIRED logged")
t.like(log, r"event=login_refused user=old .*reason=password_expired",
       "PASSWORD_LIFETIME logged")

# ---- log lines, accounting ----
t.like(log, r"event=connect ip=pipe tls=no local=pipe", "connect line")
t.like(log, r"event=login user=jdoe ip=pipe tls=no mech=USER messages=4 ",
       "login line")
t.like(log, r"event=logout user=jdoe ip=pipe tls=no retr=3 bytes=\d+ top=5 "
       r"deleted=1 duration=\d+ in=\d+ out=\d+ end=quit", "logout line")
t.like(log, r"event=auth_failed user=unknown ip=pipe tls=no mech=USER "
       r"reason=nouser", "unknown user logged as unknown")
t.ok(PW not in log and "wrong" not in log.replace("wrong_", ""),
     "no password in the log")
u = pt.usage(st, "jdoe")
t.is_(u["total_connections"], "3", "total_connections")
t.ok(int(u["last_disconnect"]) >= int(u["last_connect"]) > 0,
     "last_connect, last_disconnect", u)
t.is_(st.log_errors(), [], "no errors logged")

# ---- LOGIN-DELAY ----
st2 = pt.store(t, "LOGIN_FAIL_DELAY=0\nPOP3_LOGIN_DELAY=3600\n", name="ld")
pt.add(st2, "jdoe", PW)
c = pt.pipe(st2)
c.cmd("CAPA")
t.ok(b"LOGIN-DELAY 3600" in c.multi(), "CAPA LOGIN-DELAY")
c.cmd("USER jdoe")
t.like(c.cmd("PASS " + PW), r"^\+OK", "first login")
c.cmd("QUIT")
c.close()
c = pt.pipe(st2)
c.cmd("USER jdoe")
t.like(c.cmd("PASS " + PW), r"^-ERR \[LOGIN-DELAY\]", "second login too soon")
c.close()
pt.check_sanitizers(t)
t.done()
