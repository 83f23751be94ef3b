#!/usr/bin/env python3
"""pop3d's failed-login penalty (penalty.h, LOGIN_FAIL_DELAY_MAX,
LOGIN_FAIL_DECAY): the pause after a failure grows across connections
from one address and for one account, up to the cap; another account
from another address is not slowed down; the right password is answered
at once while its address is penalised, and clears the address; AUTH
PLAIN failures count like USER/PASS ones; counts decay; LOGIN_FAIL_DELAY=0
turns it all off. The counts live in STORE_DIR/db/login-penalty, which
the server (not its sandboxed pre-auth child) makes, mode 0600."""
import os
import pwd
import stat
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import pop3test as pt  # noqa: E402
import pstest  # noqa: E402

t = pstest.Tap()
PW = "Secret123"
st = pt.store(t, "LOGIN_FAIL_DELAY=1\nLOGIN_FAIL_DELAY_MAX=2\n"
              "LOGIN_MAX_FAILURES=3\nPLAINTEXT_LOGIN=always\n")
for u in ("alice", "bob", "carol", "dave"):
    pt.add(st, u, PW)
pfile = os.path.join(st.dir, "db", "login-penalty")


def attempt(ip, user, password, mech="USER"):
    """One connection from ip, one login attempt: (reply, seconds)."""
    c = pt.pipe(st, env={"TCPREMOTEIP": ip})
    if mech == "USER":
        c.cmd("USER " + user)
        start = time.monotonic()
        r = c.cmd("PASS " + password, timeout=60)
    else:
        start = time.monotonic()
        r = c.cmd("AUTH PLAIN " + pt.b64("\0%s\0%s" % (user, password)),
                  timeout=60)
    took = time.monotonic() - start
    c.cmd("QUIT")
    c.close()
    return r, took


def failed(ip, user, lo, hi, what, mech="USER"):
    r, took = attempt(ip, user, "wrong-" + user, mech)
    t.ok(r.startswith("-ERR [AUTH]") and lo <= took < hi,
         "%s: failed after %.1f-%.1f s" % (what, lo, hi),
         "reply %r after %.2f s" % (r, took))


t.ok(not os.path.exists(pfile), "no penalty file before a failure")
failed("192.0.2.1", "alice", 0.9, 1.8, "first failure: LOGIN_FAIL_DELAY")
t.ok(os.path.exists(pfile), "penalty file made by the first failure")
if os.path.exists(pfile):
    s = os.stat(pfile)
    want_uid = pwd.getpwnam(pt.STORE_USER).pw_uid if os.geteuid() == 0 \
        else os.geteuid()
    t.ok(stat.S_IMODE(s.st_mode) == 0o600 and s.st_uid == want_uid and
         s.st_size == 98368, "penalty file: mode 0600, the store user's, "
         "fixed size", (oct(s.st_mode), s.st_uid, s.st_size))
else:
    t.ok(False, "penalty file: mode 0600, the store user's, fixed size")
failed("192.0.2.1", "alice", 1.9, 2.8, "second connection: doubled")
failed("192.0.2.1", "alice", 1.9, 2.8, "third connection: capped at 2 s, "
       "not 4")

# The right password while the address and the account are penalised.
r, took = attempt("192.0.2.1", "alice", PW)
t.ok(r.startswith("+OK Logged in") and took < 0.8,
     "right password answered at once while penalised",
     "reply %r after %.2f s" % (r, took))

# Another account from another address: only the base delay.
failed("192.0.2.2", "bob", 0.9, 1.8, "another account, another address")

# The success cleared the address: a new account from it starts afresh,
# and AUTH PLAIN failures count with USER/PASS ones.
failed("192.0.2.1", "carol", 0.9, 1.8, "address cleared by the login "
       "(AUTH PLAIN)", mech="PLAIN")
failed("192.0.2.1", "carol", 1.9, 2.8, "AUTH PLAIN failure counted")

# The account's count follows it to a fresh address.
failed("192.0.2.3", "alice", 1.9, 2.8, "account count from a new address")

# An unknown name is counted like a known one (nothing to tell apart).
failed("192.0.2.4", "nosuchuser", 0.9, 1.8, "unknown name, first")
failed("192.0.2.5", "nosuchuser", 1.9, 2.8, "unknown name, its count")

# Decay: with LOGIN_FAIL_DECAY=1 the second failure a second later finds
# its count halved to nothing.
pt.set_option(st, "LOGIN_FAIL_DECAY", "1")
failed("192.0.2.6", "dave", 0.9, 1.8, "decay: first failure")
failed("192.0.2.6", "dave", 0.9, 1.8, "decay: count halved after 1 s")

# Off.
pt.set_option(st, "LOGIN_FAIL_DECAY", "5m")
pt.set_option(st, "LOGIN_FAIL_DELAY", "0")
failed("192.0.2.1", "carol", 0.0, 0.7, "LOGIN_FAIL_DELAY=0: no delay")
failed("192.0.2.3", "alice", 0.0, 0.7, "LOGIN_FAIL_DELAY=0: no delay for "
       "a penalised account")

t.is_(st.log_errors(), [], "no errors logged")
t.ok(not any("penalty_unavailable" in l for l in st.log_lines()),
     "the penalty file was usable throughout")
pt.check_sanitizers(t)
t.done()
