#!/usr/bin/env python3
"""imapd QUOTA (RFC 9208): GETQUOTAROOT/GETQUOTA from the account's quota
and usage, APPEND over quota answered NO [OVERQUOTA], COPY within the
account never refused, SETQUOTA only for managers, expunged mail stops
counting at once."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import imapt  # noqa: E402

t, st = imapt.setup()
st.user("small", imapt.PASSWORD, "-quota=15", "-overdraft=0")
st.user("boss", imapt.PASSWORD, "-flags=manage")
c = st.imap()
c.login("small")
tag, un = c.cmd("GETQUOTAROOT INBOX")
t.is_(un[0], b'* QUOTAROOT "INBOX" ""', "QUOTAROOT")
m = re.match(rb'\* QUOTA "" \(STORAGE (\d+) (\d+)\)', un[1])
t.ok(m and int(m.group(2)) == 15, "QUOTA STORAGE limit in KB", un)
big = imapt.msg(subject="big", body="x" * 6000 + "\r\n")
for i in range(2):
    c.send(b"a APPEND INBOX {%d+}\r\n" % len(big) + big + b"\r\n")
    tag, _ = c.wait("a")
    if not tag.startswith(b"OK"):
        break
t.like(tag.decode(), r"^OK", "APPEND within quota")
c.send(b"b APPEND INBOX {%d}\r\n" % len(big))
tag, _ = c.wait("b")
t.like(tag.decode(), r"^NO \[OVERQUOTA\]", "APPEND over quota refused "
       "before the literal")
c.send(b"b2 APPEND INBOX {%d+}\r\n" % len(big) + big + b"\r\n")
tag, _ = c.wait("b2")
t.like(tag.decode(), r"^NO \[OVERQUOTA\]", "LITERAL+ APPEND over quota")
c.ok("SELECT INBOX")
tag, _ = c.cmd("COPY 1:2 Trash")
t.like(tag.decode(), r"^OK \[COPYUID", "COPY within the account is not "
       "blocked by quota")
tag, un = c.cmd("GETQUOTA \"\"")
used = int(re.search(rb"STORAGE (\d+)", un[0]).group(1))
t.ok(used >= 24, "copies count in the usage (%d KB)" % used)
c.ok("STORE 1:2 +FLAGS (\\Deleted)")
c.ok("EXPUNGE")
c.ok("SELECT Trash")
c.ok("STORE 1:2 +FLAGS (\\Deleted)")
c.ok("EXPUNGE")
tag, un = c.cmd("GETQUOTA \"\"")
t.like(un[0].decode(), r"STORAGE 0 15", "expunged mail stops counting")
c.send(b"d APPEND INBOX {%d+}\r\n" % len(big) + big + b"\r\n")
t.like(c.wait("d")[0].decode(), r"^OK", "APPEND fits again")
tag, _ = c.cmd('SETQUOTA "" (STORAGE 100000)')
t.like(tag.decode(), r"^NO \[NOPERM\]", "SETQUOTA refused for a user")
c.cmd("LOGOUT")
c.close()
b = st.imap()
b.login("boss")
tag, un = b.cmd('SETQUOTA "Other Users/small" (STORAGE 20)')
t.ok(tag.startswith(b"OK") and b"STORAGE" in un[0] and b" 20)" in un[0],
     "a manager sets another account's quota", un)
tag, un = b.cmd('GETQUOTA "Other Users/small"')
t.like(un[0].decode(), r'QUOTA "Other Users/small" \(STORAGE \d+ 20\)',
       "GETQUOTA of a managed account")
tag, _ = b.cmd('GETQUOTA "Other Users/nosuch"')
t.like(tag.decode(), r"^NO", "GETQUOTA of an unknown root")
b.cmd("LOGOUT")
b.close()
t.is_(st.log_errors(), [], "no errors logged")
t.is_(st.reconstruct_clean(), "", "reconstruct finds nothing to fix")
t.done()
