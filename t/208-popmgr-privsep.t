#!/usr/bin/env python3
"""popmgr started as root with STORE_USER set becomes that user: the
store's files belong to it."""
import os
import pwd
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import pstest  # noqa: E402

t = pstest.Tap()
if os.geteuid() != 0:
    t.skip_all("needs root")
try:
    nobody = pwd.getpwnam("nobody")
except KeyError:
    t.skip_all("no user nobody")
st = pstest.Store(t, conf="STORE_USER=nobody\n", init=False)
os.chmod(st.tmp, 0o755)
r = st.popmgr("init")
t.is_(r.returncode, 0, "init as root: " + r.stderr)
t.is_(os.stat(st.dir).st_uid, nobody.pw_uid, "STORE_DIR belongs to nobody")
r = st.popmgr("add", "jdoe", "-password=Secret123")
t.is_(r.returncode, 0, "add: " + r.stderr)
owners = set()
for top, dirs, files in os.walk(st.dir):
    for n in dirs + files:
        owners.add(os.lstat(os.path.join(top, n)).st_uid)
t.is_(owners, {nobody.pw_uid}, "every file belongs to nobody")
t.like(st.popmgr("show", "jdoe").stdout, r"Password:\s+set", "works")
t.done()
