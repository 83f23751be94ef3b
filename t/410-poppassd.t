#!/usr/bin/env python3
"""poppassd: the dialogue exactly as Roundcube's poppassd driver and
Eudora speak it; wrong and unknown users; LOCKPWD, DISUSER, PWD_EXPIRED;
the password rules; the new secret with APOP_CRAM_MD5; the plaintext
policy; implicit TLS (-s); bad input."""
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import pop3test as pt  # noqa: E402
import pstest  # noqa: E402

t = pstest.Tap()
OLD, NEW = "Secret123", "Better456"
st = pt.store(t, "LOGIN_FAIL_DELAY=0\nLOGIN_MAX_FAILURES=3\n")
for name, opts in (("jdoe", ()), ("locked", ("flags=lockpwd",)),
                   ("off", ("flags=disuser",)), ("exp", ("flags=pwd_expired",)),
                   ("rules", ())):
    pt.add(st, name, OLD, *opts)


def pp(env=None):
    return pt.spawn(st, "poppassd/poppassd", env=env)


def pop3_login_ok(user, pw):
    c = pt.pipe(st)
    c.cmd("USER " + user)
    r = c.cmd("PASS " + pw)
    c.close()
    return r.startswith("+OK")


# ---- Roundcube's driver: user, pass, newpass, then it hangs up ----
c = pp()
t.like(c.greeting, r"^200 mail\.example\.com poppassd .*who are you\?$",
       "greeting 200")
r1 = c.cmd("user jdoe")
r2 = c.cmd("pass " + OLD)
r3 = c.cmd("newpass " + NEW)
t.is_((r1, r2, r3), ("200 Your password please.",
                     "200 Your new password please.",
                     "200 Password changed, thank-you."),
      "Roundcube dialogue: 200 at each step")
t.is_(c.close(), 0, "hang-up without quit: exit 0")
t.ok(pop3_login_ok("jdoe", NEW), "pop3d takes the new password")
t.ok(not pop3_login_ok("jdoe", OLD), "...not the old one")
prof = pt.show(st, "jdoe")
t.ok(abs(int(prof["password_changed"]) - time.time()) < 60,
     "password_changed is now")
t.like("\n".join(st.log_lines()), r"event=password_changed user=jdoe "
       r"ip=pipe tls=no", "change logged")

# ---- Eudora, with quit; case-insensitive commands ----
c = pp()
c.cmd("USER jdoe")
c.cmd("PASS " + NEW)
t.is_(c.cmd("NEWPASS " + OLD), "200 Password changed, thank-you.",
      "upper-case commands")
t.is_(c.cmd("quit"), "200 Bye.", "quit")
t.ok(c.eof(), "closed after quit")
c.close()

# ---- wrong and unknown ----
c = pp()
c.cmd("user jdoe")
t.is_(c.cmd("pass wrong"), "500 Old password is incorrect.", "wrong old "
      "password")
t.is_(c.cmd("newpass " + NEW), "500 Username and old password first.",
      "no newpass after a failure")
c.cmd("user nosuch")
t.is_(c.cmd("pass " + OLD), "500 Old password is incorrect.",
      "unknown user: the same answer")
c.cmd("user jdoe")
t.is_(c.cmd("pass wrong again"), "500 Old password is incorrect; too many "
      "failures.", "third failure")
t.ok(c.eof(), "closed after LOGIN_MAX_FAILURES")
c.close()
t.ok(pop3_login_ok("jdoe", OLD), "password unchanged by failures")
log = "\n".join(st.log_lines())
t.like(log, r"event=auth_failed user=jdoe ip=pipe tls=no mech=poppassd "
       r"reason=badpass", "failure logged with the user")
t.like(log, r"event=auth_failed user=unknown ip=pipe tls=no mech=poppassd "
       r"reason=nouser", "unknown user logged as unknown")
t.ok("wrong" not in log, "no password in the log")

# ---- LOCKPWD, DISUSER, PWD_EXPIRED ----
c = pp()
c.cmd("user locked")
t.is_(c.cmd("pass " + OLD), "500 The password of this account cannot be "
      "changed.", "LOCKPWD refused")
c.cmd("user off")
t.is_(c.cmd("pass " + OLD), "500 This account is disabled.", "DISUSER "
      "refused")
c.cmd("user exp")
c.cmd("pass " + OLD)
t.is_(c.cmd("newpass " + NEW), "200 Password changed, thank-you.",
      "an expired password can be changed")
c.close()
t.ok(pop3_login_ok("locked", OLD), "LOCKPWD: password unchanged")
t.is_(pt.show(st, "exp")["flags"], "", "PWD_EXPIRED cleared")
t.ok(pop3_login_ok("exp", NEW), "...and the account usable")

# ---- rules ----
c = pp()
c.cmd("user rules")
c.cmd("pass " + OLD)
t.like(c.cmd("newpass short"), r"^500 .*at least 8", "too short")
t.like(c.cmd("newpass xrules123x"), r"^500 .*user name", "contains the name")
t.is_(c.cmd("newpass " + OLD), "500 The new password must differ from the "
      "old one.", "same as the old one")
t.like(c.cmd("newpass aaaaaaaaaa"), r"^500 ", "one character repeated")
t.is_(c.cmd("newpass " + NEW), "200 Password changed, thank-you.",
      "then a good one")
c.close()

# ---- bad input ----
c = pp()
t.is_(c.cmd("pass x"), "500 Username first.", "pass before user")
t.is_(c.cmd("newpass x"), "500 Username and old password first.",
      "newpass first")
t.is_(c.cmd("hello"), "500 Unknown command.", "unknown command")
c.send(b"us\0er x\r\n")
t.is_(c.line(), "500 NUL byte in command.", "NUL")
c.sendline("user " + "x" * 3000)
t.is_(c.line(), "500 Line too long.", "long line")
t.ok(c.eof(), "...closes")
c.close()

# ---- plaintext policy ----
c = pp(env={"TCPREMOTEIP": "192.0.2.9"})
t.like(c.cmd("user jdoe"), r"^500 Passwords are not accepted on this "
       r"connection", "PLAINTEXT_LOGIN=local: refused from afar")
c.close()

# ---- a new secret with APOP_CRAM_MD5 ----
st2 = pt.store(t, "LOGIN_FAIL_DELAY=0\nAPOP_CRAM_MD5=1\n", name="apop")
pt.add(st2, "jdoe", OLD, "secret=1")
old_secret = pt.show(st2, "jdoe")["secret"]
c = pt.spawn(st2, "poppassd/poppassd")
c.cmd("user jdoe")
c.cmd("pass " + OLD)
t.is_(c.cmd("newpass " + NEW), "200 Password changed, thank-you.",
      "change with APOP_CRAM_MD5")
c.close()
new_secret = pt.show(st2, "jdoe")["secret"]
t.ok(new_secret.startswith("$aes-256-gcm$") and new_secret != old_secret,
     "a new encrypted secret")
c = pt.pipe(st2)
t.like(c.cmd("APOP jdoe " + pt.apop_digest(c.greeting, NEW)),
       r"^\+OK Logged in", "APOP with the new password")
c.close()
c = pt.pipe(st2)
t.like(c.cmd("APOP jdoe " + pt.apop_digest(c.greeting, OLD)), r"^-ERR",
       "...not with the old one")
c.close()

# ---- implicit TLS ----
if shutil.which("tcpserver"):
    cert, key = pt.make_cert(st.tmp)
    pt.set_option(st, "TLS_CERT_FILE", cert)
    pt.set_option(st, "TLS_KEY_FILE", key)
    srv = pt.TcpServer([pstest.program("poppassd/poppassd"), "-s", "-C",
                        st.conf], env=st.env)
    try:
        c = srv.connect(tls=pt.client_context(cert))
        t.like(c.greeting, r"^200 ", "-s: greeting over TLS")
        c.cmd("user jdoe")
        c.cmd("pass " + OLD)
        t.is_(c.cmd("newpass " + NEW), "200 Password changed, thank-you.",
              "-s: change over TLS")
        c.cmd("quit")
        c.close()
    finally:
        srv.stop()
    t.like("\n".join(st.log_lines()), r"event=password_changed user=jdoe "
           r"ip=127\.0\.0\.1 tls=TLSv1\.[23]", "logged with TLS")
else:
    for _ in range(3):
        t.ok(True, "# SKIP tcpserver not installed")
for s in (st, st2):
    t.is_(s.log_errors(), [], "no errors logged")
pt.check_sanitizers(t)
t.done()
