#!/usr/bin/env python3
"""pop3d authentication on pipes: AUTH (RFC 5034) with each mechanism
(PLAIN, LOGIN, SCRAM-SHA-256, CRAM-MD5), initial responses ("=" too),
cancel, bad base64; APOP on and off; PLAINTEXT_LOGIN policies; failure
delay, cap and log lines; the password rehash at login."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import pop3test as pt  # noqa: E402
import pstest  # noqa: E402

t = pstest.Tap()
PW = "Secret123"
st = pt.store(t, "LOGIN_FAIL_DELAY=0\nLOGIN_MAX_FAILURES=3\n")
pt.add(st, "jdoe", PW)
pt.deliver(st, "jdoe", "Subject: x\n\nbody\n")


def auth_ok(c, what):
    r = c.line()
    t.like(r, r"^\+OK Logged in", what)
    c.cmd("QUIT")
    c.close()


# ---- PLAIN ----
c = pt.pipe(st)
c.sendline("AUTH PLAIN " + pt.b64("\0jdoe\0" + PW))
auth_ok(c, "AUTH PLAIN with initial response")
c = pt.pipe(st)
t.is_(c.cmd("AUTH PLAIN"), "+ ", "AUTH PLAIN: empty challenge")
c.sendline(pt.b64("jdoe\0jdoe\0" + PW))
auth_ok(c, "AUTH PLAIN in a continuation, authzid = authcid")
c = pt.pipe(st)
t.is_(c.cmd("AUTH PLAIN ="), "-ERR [AUTH] Authentication failed",
      "AUTH PLAIN =: an empty initial response fails")
t.like(c.cmd("AUTH PLAIN " + pt.b64("other\0jdoe\0" + PW)),
       r"^-ERR \[AUTH\] Authentication failed", "proxy authorization refused")
c.close()

# ---- LOGIN ----
c = pt.pipe(st)
r = c.cmd("AUTH LOGIN")
t.like(r, r"^\+ ", "AUTH LOGIN: username challenge")
r = c.cmd(pt.b64("jdoe"))
t.like(r, r"^\+ ", "AUTH LOGIN: password challenge")
c.sendline(pt.b64(PW))
auth_ok(c, "AUTH LOGIN")

# ---- SCRAM-SHA-256 ----
c = pt.pipe(st)
t.like(pt.scram_sha256(c, "jdoe", PW), r"^\+OK Logged in",
       "SCRAM-SHA-256 with initial response, server signature checked")
c.close()
c = pt.pipe(st)
t.like(pt.scram_sha256(c, "jdoe", PW, initial=False), r"^\+OK Logged in",
       "SCRAM-SHA-256 without initial response")
c.close()
c = pt.pipe(st)
t.like(pt.scram_sha256(c, "jdoe", "wrong"), r"^-ERR \[AUTH\]",
       "SCRAM-SHA-256 wrong password")
t.like(pt.scram_sha256(c, "nobody-here", PW), r"^-ERR \[AUTH\]",
       "SCRAM-SHA-256 unknown user fails the same way")
c.close()

# ---- cancel, bad base64, unknown mechanisms, the list ----
c = pt.pipe(st)
t.is_(c.cmd("AUTH PLAIN"), "+ ", "challenge")
t.is_(c.cmd("*"), "-ERR AUTH cancelled", "* cancels")
t.is_(c.cmd("AUTH PLAIN"), "+ ", "challenge again")
t.is_(c.cmd("not base64!"), "-ERR Invalid base64 response",
      "bad base64 in a response")
t.is_(c.cmd("AUTH PLAIN dGVzdA"), "-ERR Invalid base64 in the initial "
      "response", "unpadded base64 refused (strict)")
t.like(c.cmd("AUTH GSSAPI"), r"^-ERR \[AUTH\] Mechanism not available",
       "unknown mechanism")
t.like(c.cmd("AUTH CRAM-MD5"), r"^-ERR \[AUTH\] Mechanism not available",
       "CRAM-MD5 off by default")
t.is_(c.cmd("AUTH"), "+OK Supported mechanisms follow", "AUTH lists")
t.is_(c.multi(), [b"SCRAM-SHA-256", b"PLAIN", b"LOGIN"], "mechanisms")
t.like(c.cmd("APOP jdoe " + "0" * 32), r"^-ERR APOP is not available",
       "APOP off by default")
t.ok("<" not in c.greeting, "no timestamp in the greeting")
long_ir = pt.b64("\0jdoe\0" + PW + "x" * 600)
t.ok(len("AUTH PLAIN " + long_ir) > 255, "an AUTH line over 255 octets")
t.like(c.cmd("AUTH PLAIN " + long_ir), r"^-ERR \[AUTH\] Authentication "
       r"failed$", "...is accepted as a command (and fails)")
c.close()

# ---- failures: cap, delay, log ----
c = pt.pipe(st)
for i in range(2):
    c.cmd("USER jdoe")
    t.is_(c.cmd("PASS bad%d" % i), "-ERR [AUTH] Authentication failed",
          "failure %d" % (i + 1))
c.cmd("USER jdoe")
t.is_(c.cmd("PASS bad2"), "-ERR [AUTH] Authentication failed; too many "
      "failures, closing", "third failure closes")
t.ok(c.eof(), "closed after LOGIN_MAX_FAILURES")
c.close()
log = "\n".join(st.log_lines())
t.is_(len(re.findall(r"event=auth_failed user=jdoe ip=pipe tls=no "
                     r"mech=USER reason=badpass", log)), 3,
      "one log line per failed attempt")
t.like(log, r"event=auth_failed user=unknown ip=pipe tls=no "
       r"mech=SCRAM-SHA-256 reason=nouser", "unknown SCRAM user logged as "
       "unknown")
t.like(log, r"event=auth_failed user=jdoe .*mech=SCRAM-SHA-256 "
       r"reason=badpass", "wrong SCRAM proof logged")
t.ok("bad0" not in log and PW not in log, "no password in the log")

st_delay = pt.store(t, "LOGIN_FAIL_DELAY=1\n", name="delay")
pt.add(st_delay, "jdoe", PW)
c = pt.pipe(st_delay)
c.cmd("USER jdoe")
t0 = time.monotonic()
c.cmd("PASS wrong")
t.ok(time.monotonic() - t0 >= 0.9, "LOGIN_FAIL_DELAY waits before the "
     "answer")
c.close()

# ---- PLAINTEXT_LOGIN ----
remote = {"TCPREMOTEIP": "192.0.2.7"}
c = pt.pipe(st, env=remote)
c.cmd("CAPA")
capa = c.multi()
t.ok(b"USER" not in capa, "remote address: no USER in CAPA", capa)
t.ok(b"SASL SCRAM-SHA-256" in capa, "remote: only SCRAM offered", capa)
t.like(c.cmd("USER jdoe"), r"^-ERR \[AUTH\] Plaintext login is not allowed",
       "remote: USER refused")
t.like(c.cmd("AUTH PLAIN " + pt.b64("\0jdoe\0" + PW)),
       r"^-ERR \[AUTH\] Mechanism not available \(plaintext mechanisms "
       r"need STLS\)", "remote: AUTH PLAIN refused")
t.like(pt.scram_sha256(c, "jdoe", PW), r"^\+OK Logged in",
       "remote: SCRAM works")
c.close()
c = pt.pipe(st, env={"TCPREMOTEIP": "127.0.0.5"})
c.cmd("USER jdoe")
t.like(c.cmd("PASS " + PW), r"^\+OK", "TCPREMOTEIP on loopback is local")
c.close()
c = pt.pipe(st, env={"TCPREMOTEIP": "not-an-address"})
t.like(c.cmd("USER jdoe"), r"^-ERR \[AUTH\] Plaintext", "a bad TCPREMOTEIP "
       "is not local")
c.close()
t.like("\n".join(st.log_lines()), r"event=connect ip=192\.0\.2\.7 ",
       "TCPREMOTEIP logged")

st_never = pt.store(t, "LOGIN_FAIL_DELAY=0\nPLAINTEXT_LOGIN=never\n",
                    name="never")
pt.add(st_never, "jdoe", PW)
c = pt.pipe(st_never)
t.like(c.cmd("USER jdoe"), r"^-ERR \[AUTH\] Plaintext", "never: refused on a "
       "local pipe")
c.close()
st_always = pt.store(t, "LOGIN_FAIL_DELAY=0\nPLAINTEXT_LOGIN=always\n",
                     name="always")
pt.add(st_always, "jdoe", PW)
c = pt.pipe(st_always, env=remote)
c.cmd("USER jdoe")
t.like(c.cmd("PASS " + PW), r"^\+OK", "always: allowed from afar")
c.close()

# ---- APOP and CRAM-MD5 (APOP_CRAM_MD5=1) ----
st_apop = pt.store(t, "LOGIN_FAIL_DELAY=0\nAPOP_CRAM_MD5=1\n"
                   "SASL_MECHANISMS=SCRAM-SHA-256 PLAIN LOGIN CRAM-MD5\n",
                   name="apop")
pt.add(st_apop, "jdoe", PW, "secret=1")
pt.add(st_apop, "nosecret", PW)
c = pt.pipe(st_apop)
t.like(c.greeting, r" <\d+\.[0-9a-f]+\.\d+@mail\.example\.com>$",
       "APOP on: timestamp in the greeting")
t.like(c.cmd("APOP jdoe " + "0" * 32), r"^-ERR \[AUTH\]", "APOP wrong")
t.like(c.cmd("APOP jdoe"), r"^-ERR Usage", "APOP without digest")
t.like(c.cmd("APOP jdoe " + pt.apop_digest(c.greeting, PW)),
       r"^\+OK Logged in", "APOP right")
c.close()
c = pt.pipe(st_apop)
c.cmd("AUTH")
t.ok(b"CRAM-MD5" in c.multi(), "CRAM-MD5 offered")
t.like(pt.cram_md5(c, "jdoe", PW), r"^\+OK Logged in", "CRAM-MD5")
c.close()
c = pt.pipe(st_apop)
t.like(pt.cram_md5(c, "nosecret", PW), r"^-ERR \[AUTH\]",
       "CRAM-MD5 without a stored secret")
c.cmd("USER nosecret")
t.like(c.cmd("PASS " + PW), r"^\+OK", "plaintext login...")
c.close()
t.ok(pt.show(st_apop, "nosecret")["secret"].startswith("$aes-256-gcm$"),
     "...captures the secret, encrypted")
c = pt.pipe(st_apop)
t.like(c.cmd("APOP nosecret " + pt.apop_digest(c.greeting, PW)),
       r"^\+OK Logged in", "APOP with the captured secret")
c.close()

# ---- rehash at login ----
before = pt.show(st, "jdoe")["password"]
pt.set_option(st, "PASSWORD_ITERATIONS", "5000")
c = pt.login(st, "jdoe", PW)
c.close()
after = pt.show(st, "jdoe")["password"]
t.ok("$i=4096$" in before and "$i=5000$" in after,
     "password rehashed with the new iteration count", (before, after))
t.like("\n".join(st.log_lines()), r"event=password_upgraded user=jdoe "
       r"hash=new", "rehash logged")
c = pt.pipe(st)
t.like(pt.scram_sha256(c, "jdoe", PW), r"^\+OK", "SCRAM with the new hash")
c.close()
for s in (st, st_apop, st_never, st_always, st_delay):
    t.is_(s.log_errors(), [], "no errors logged (%s)" % os.path.basename(
        s.dir))
pt.check_sanitizers(t)
t.done()
