#!/usr/bin/env python3
"""pop3d serving a login user's Berkeley mailbox (LEGACY_MAIL_DIR) when
no store account exists: password through saslauthd (a stand-in here),
LIST/UIDL/RETR/TOP with unquoting, CRLF and dot-stuffing, DELE with the
rewrite at QUIT keeping mail that arrived meanwhile, [IN-USE] when the
MTA holds the lock, and a store account taking precedence."""
import fcntl
import os
import pwd
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import pop3test as pt  # noqa: E402
import pstest  # noqa: E402

t = pstest.Tap()
user = None
for name in ("daemon", "bin", "sys", "games", "man", "lp", "mail", "news"):
    try:
        if pwd.getpwnam(name).pw_uid != 0:
            user = name
            break
    except KeyError:
        pass
if user is None:
    t.skip_all("no non-root login user to stand for a legacy user")

PW = "unix pass"
st = pt.store(t, "LOGIN_FAIL_DELAY=0\n", name="legacy")
pt.set_option(st, "LOCK_TIMEOUT", "1")
maildir = os.path.join(st.tmp, "mail")
os.mkdir(maildir, 0o775)
pt.chown_store_user(maildir)
sockdir = os.path.join(st.tmp, "saslauthd")
os.mkdir(sockdir)
sasl = pt.FakeSaslauthd(os.path.join(sockdir, "mux"), {user: PW})
with open(st.conf, "a") as f:
    f.write("LEGACY_MAIL_DIR=%s\nSASLAUTHD_PATH=%s\n" % (maildir, sasl.path))

MBOX = ("From alice@example.org  Mon Mar  4 10:00:00 2024\n"
        "From: alice@example.org\nSubject: first\n\n"
        "hello\n>From the quoted line\n.leading dot\n\n"
        "From bob@example.org  Tue Mar  5 11:00:00 2024\n"
        "Subject: second\n\nsecond body\n\n"
        "From carol@example.org  Wed Mar  6 12:00:00 2024\n"
        "Subject: third\n\nthird body\nline 2\n\n")
TEXTS = [b"From: alice@example.org\r\nSubject: first\r\n\r\nhello\r\n"
         b"From the quoted line\r\n.leading dot\r\n",
         b"Subject: second\r\n\r\nsecond body\r\n",
         b"Subject: third\r\n\r\nthird body\r\nline 2\r\n"]
mbox = os.path.join(maildir, user)
with open(mbox, "w") as f:
    f.write(MBOX)
os.chmod(mbox, 0o600)
pt.chown_store_user(mbox)

c = pt.pipe(st)
c.cmd("USER " + user)
t.like(c.cmd("PASS wrong"), r"^-ERR \[AUTH\] Authentication failed",
       "wrong password (saslauthd says NO)")
c.cmd("USER " + user)
t.is_(c.cmd("PASS " + PW), "+OK Logged in: 3 messages (%d octets)" %
      sum(len(x) for x in TEXTS), "login as a legacy user")
t.is_(sasl.requests[-1], (user, "pop", ""), "saslauthd asked for service "
      "pop")
c.cmd("LIST")
t.is_([l.decode() for l in c.multi()],
      ["%d %d" % (i + 1, len(x)) for i, x in enumerate(TEXTS)],
      "LIST: sizes as sent (CRLF, unquoted)")
t.like(c.cmd("RETR 1"), r"^\+OK", "RETR 1")
t.is_(c.body(), TEXTS[0], "RETR 1: unquoted, CRLF, dot-stuffing undone by "
      "the client")
c.cmd("TOP 3 1")
t.is_(c.body(), b"Subject: third\r\n\r\nthird body\r\n", "TOP 3 1")
c.cmd("UIDL")
uidl = [l.split()[1] for l in c.multi()]
t.ok(len(set(uidl)) == 3, "three distinct UIDLs", uidl)
t.is_(c.cmd("DELE 2"), "+OK Message 2 deleted", "DELE 2")
with open(mbox, "a") as f:      # the MTA appends meanwhile
    f.write("From dave@example.org  Thu Mar  7 13:00:00 2024\n"
            "Subject: fourth\n\nnew mail\n\n")
t.like(c.cmd("STAT"), r"^\+OK 2 ", "new mail is not in the session")
t.is_(c.cmd("QUIT"), "+OK Bye: 1 messages deleted", "QUIT rewrites")
c.close()
got = open(mbox).read()
t.ok("Subject: second" not in got and "Subject: first" in got and
     "Subject: third" in got and "Subject: fourth" in got,
     "message 2 gone; the others and the new one kept", got)
t.ok(got.startswith("From alice@") and ">From the quoted line" in got,
     "bytes kept as they were (quoting too)")
t.ok(not os.path.exists(mbox + ".lock"), "dotlock removed")
st_ = os.stat(mbox)
t.is_(oct(st_.st_mode & 0o777), "0o600", "mode kept")
log = "\n".join(st.log_lines())
t.like(log, r"event=login user=%s ip=pipe tls=no mech=USER messages=3 "
       r"bytes=\d+ legacy=yes" % user, "login logged as legacy")
t.like(log, r"event=auth_failed user=%s ip=pipe tls=no mech=USER "
       r"reason=badpass" % user, "failure logged with the user name")

c = pt.login(st, user, PW)
c.cmd("UIDL")
uidl2 = [l.split()[1] for l in c.multi()]
t.is_(uidl2[:2], [uidl[0], uidl[2]], "UIDLs unchanged by the rewrite")
t.like(pt.scram_sha256(pt.pipe(st), user, PW), r"^-ERR",
       "no SCRAM for a legacy user (no verifier)")
c.cmd("QUIT")
c.close()

# ---- the MTA holds the lock ----
with open(mbox, "r+") as f:
    fcntl.lockf(f, fcntl.LOCK_EX)
    c = pt.pipe(st)
    c.cmd("USER " + user)
    t.like(c.cmd("PASS " + PW), r"^-ERR \[IN-USE\] Your mailbox is locked",
           "[IN-USE] while another program holds the lock")
    c.close()
    fcntl.lockf(f, fcntl.LOCK_UN)

# ---- no mailbox yet; a store account first ----
os.unlink(mbox)
c = pt.login(st, user, PW)
t.is_(c.cmd("STAT"), "+OK 0 0", "no mailbox file: an empty maildrop")
c.close()
pt.add(st, user, "store pass")
c = pt.pipe(st)
c.cmd("USER " + user)
t.like(c.cmd("PASS " + PW), r"^-ERR", "a store account takes precedence: "
       "the unix password no longer works")
c.cmd("USER " + user)
t.like(c.cmd("PASS store pass"), r"^\+OK Logged in", "...the store's does")
c.close()
c = pt.pipe(st)
c.cmd("USER nosuchunixuser")
t.like(c.cmd("PASS x"), r"^-ERR \[AUTH\]", "unknown user")
c.close()
t.like("\n".join(st.log_lines()), r"event=auth_failed user=unknown .*"
       r"reason=nouser", "unknown user logged as unknown")
t.is_(st.log_errors(), [], "no errors logged")
pt.check_sanitizers(t)
t.done()
