#!/usr/bin/env python3
"""Symbolic and hard links planted in the store are refused: a message
file replaced by a symlink (to /etc/shadow or a root-only file) or by a
hard link to a file of another owner is not served by pop3d or imapd,
and reconstruct run as root neither reads it into the cache nor adopts
it."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import pop3test as pt  # noqa: E402
import pstest  # noqa: E402

t = pstest.Tap()
if os.geteuid() != 0:
    t.skip_all("needs root: the store must belong to another user")
PW = "Secret123"
SECRET = "TOPSECRET-861"
st = pt.store(t, "LOGIN_FAIL_DELAY=0\n")
st.check_at_end = False     # the planted links stay, refused, to the end
pt.add(st, "jdoe", PW)
for i in (1, 2, 3):
    pt.deliver(st, "jdoe", "Subject: m%d\n\nbody-%d\n" % (i, i))

folder = None
for root, dirs, files in os.walk(st.dir):
    if "1.eml" in files and "3.eml" in files:
        folder = root
t.ok(folder is not None, "found the INBOX folder")
secret = os.path.join(os.path.dirname(st.dir), "secret.eml")
with open(secret, "w") as f:
    f.write("Subject: %s\r\n\r\n%s body\r\n" % (SECRET, SECRET))
os.chmod(secret, 0o600)
os.unlink(os.path.join(folder, "1.eml"))
os.symlink(secret, os.path.join(folder, "1.eml"))
os.unlink(os.path.join(folder, "2.eml"))
os.link(secret, os.path.join(folder, "2.eml"))
t.is_(os.stat(secret).st_nlink, 2, "hard link planted")

# ---- pop3d ----
c = pt.pipe(st)
c.cmd("USER jdoe")
t.like(c.cmd("PASS " + PW), r"^\+OK Logged in", "pop3d login")
t.like(c.cmd("RETR 1"), r"^-ERR", "pop3d: RETR of a symlink refused")
t.like(c.cmd("RETR 2"), r"^-ERR", "pop3d: RETR of a foreign hard link "
       "refused")
t.like(c.cmd("TOP 2 0"), r"^-ERR", "pop3d: TOP of it refused")
t.like(c.cmd("RETR 3"), r"^\+OK", "pop3d: a real message is still served")
lines = []
while True:
    ln = c.line()
    if ln == ".":
        break
    lines.append(ln)
t.ok("body-3" in lines, "pop3d: message 3 intact")
c.cmd("QUIT")
c.close()

# ---- imapd ----
out = []


def imap_fetch(what):
    """Log in, select, FETCH; the tagged reply, or None if imapd hung
    up (it does rather than send a literal it cannot fill)."""
    c = pt.spawn(st, "imapd/imapd", (), None, False)
    out.append(c.line())
    res = None
    try:
        for tag, text in (("a", "LOGIN jdoe " + PW), ("b", "SELECT INBOX"),
                          ("c", "FETCH " + what), ("z", "LOGOUT")):
            c.sendline("%s %s" % (tag, text))
            while True:
                ln = c.line()
                out.append(ln)
                if ln.startswith(tag + " "):
                    break
            if tag == "c":
                res = ln
    except EOFError:
        pass
    c.close()
    return res


r = imap_fetch("1 BODY.PEEK[]")
t.ok(r is None or not r.startswith("c OK"), "imapd: FETCH of a symlink "
     "fails", r)
r = imap_fetch("2 BODY.PEEK[TEXT]")
t.ok(r is None or not r.startswith("c OK"), "imapd: FETCH of a foreign "
     "hard link fails", r)
t.like(imap_fetch("3 BODY.PEEK[TEXT]") or "", r"^c OK",
       "imapd: a real message is still served")
t.ok(any("body-3" in x for x in out), "imapd: message 3 intact")
t.ok(not any(SECRET + " body" in x for x in out), "imapd: no secret sent")

# ---- reconstruct as root ----
r = st.run("reconstruct/reconstruct", "jdoe")
t.ok(r.returncode in (0, 1), "reconstruct ran (rc %d)" % r.returncode,
     r.stderr)
report = r.stdout + r.stderr
t.like(report, r"1\.eml is not a regular file", "reconstruct: symlink "
       "reported")
t.like(report, r"2\.eml is owned by uid 0", "reconstruct: foreign hard "
       "link reported")
leaked = []
for root, dirs, files in os.walk(st.dir):
    for f in files:
        p = os.path.join(root, f)
        if os.path.islink(p) or os.path.samefile(p, secret):
            continue
        with open(p, "rb") as fh:
            if SECRET.encode() in fh.read():
                leaked.append(p)
t.is_(leaked, [], "no store file holds the secret after reconstruct")
t.is_(os.readlink(os.path.join(folder, "1.eml")), secret,
      "the symlink is left alone")
c = pt.pipe(st)
c.cmd("USER jdoe")
c.cmd("PASS " + PW)
t.like(c.cmd("RETR 2"), r"^-ERR", "pop3d after reconstruct: still refused")
c.cmd("QUIT")
c.close()
t.is_(st.log_errors([r"event=(retr|fetch|message)\S*", r"\.eml"]), [],
      "no unexpected error lines in the log")
pt.check_sanitizers(t)
t.done()
