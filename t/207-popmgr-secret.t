#!/usr/bin/env python3
"""popmgr with APOP_CRAM_MD5=1: init creates the secret key, setting a
password needs it, and nothing depends on it otherwise."""
import os
import stat
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import pstest  # noqa: E402

t = pstest.Tap()
st = pstest.Store(t, conf="APOP_CRAM_MD5=1\n")
key = os.path.join(st.dir, "etc", "secret.key")
t.ok(os.path.exists(key), "init created STORE_DIR/etc/secret.key")
s = os.lstat(key)
t.is_((stat.S_IMODE(s.st_mode), s.st_size), (0o600, 32), "mode 0600, 32 bytes")
before = open(key, "rb").read()
t.is_(st.popmgr("init").returncode, 0, "init again")
t.is_(open(key, "rb").read(), before, "an existing key is kept")

t.is_(st.popmgr("add", "jdoe", "-password=Secret123").returncode, 0,
      "password with a secret")
t.is_(st.popmgr("rename", "jdoe", "jane").returncode, 0, "rename")
t.is_(st.popmgr("copy", "jane", "jcopy").returncode, 0, "copy")
t.like(st.popmgr("show", "jcopy").stdout, r"Password:\s+set", "copied")

os.rename(key, key + ".away")
r = st.popmgr("modify", "jane", "-password=Other.Pass1")
t.is_(r.returncode, 78, "no key: setting a password fails (78)")
t.like(r.stderr, r"secret key", "says why")
t.is_(st.popmgr("add", "nopw").returncode, 0, "no key: add without password")

other = os.path.join(st.tmp, "elsewhere.key")
st2 = pstest.Store(t, conf="APOP_CRAM_MD5=1\nSECRET_KEY_FILE=%s\n" % other,
                   name="store2")
t.ok(os.path.exists(other), "init creates SECRET_KEY_FILE")
t.ok(not os.path.exists(os.path.join(st2.dir, "etc", "secret.key")),
     "and not the default")
t.ok(not any("Secret123" in l for l in st.log_lines()), "no password logged")
t.is_(st.log_errors(), [], "no errors logged")
t.done()
