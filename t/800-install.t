#!/usr/bin/env python3
"""make install / make uninstall into a DESTDIR: FHS paths, every program
of */build.mk, the man pages, the CGI templates, popstore.conf only when
absent; uninstall removes exactly what install put there (the manifest),
keeps a changed popstore.conf and files it did not install; make
install-store creates the store with popmgr init."""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import pstest  # noqa: E402

t = pstest.Tap()
SRC, BUILD = pstest.SRC, pstest.BUILD
if shutil.which("make") is None:
    t.skip_all("no make")
tmp = tempfile.mkdtemp(prefix="popstore-install-")
os.chmod(tmp, 0o755)  # the store's user reaches the store inside
dest = os.path.join(tmp, "dest")


def make(*args):
    cmd = ["make", "-s", "-C", SRC, "B=" + BUILD, "DESTDIR=" + dest,
           "prefix=/usr"]
    if os.environ.get("POPSTORE_SANITIZED"):
        cmd.append("SAN=1")
    env = dict(os.environ)
    env.pop("MAKEFLAGS", None)
    env.pop("MAKELEVEL", None)
    return subprocess.run(cmd + list(args), capture_output=True, text=True,
                          env=env, timeout=600)


def tree():
    out = []
    for root, dirs, files in os.walk(dest):
        for n in dirs + files:
            out.append(os.path.relpath(os.path.join(root, n), dest))
    return sorted(out)


programs = []
for mk in sorted(glob.glob(os.path.join(SRC, "*", "build.mk"))):
    programs += re.findall(r"^PROGRAMS\s*\+=\s*(\S+)", open(mk).read(), re.M)
t.ok(len(programs) >= 6, "programs found in */build.mk", programs)

try:
    r = make("install")
    t.is_(r.returncode, 0, "make install")
    if r.returncode:
        t.diag(r.stdout + r.stderr)
    files = tree()
    for p in programs:
        name = os.path.basename(p)
        path = ("usr/libexec/popstore/" if name.endswith(".cgi")
                else "usr/sbin/") + name
        full = os.path.join(dest, path)
        t.ok(os.path.isfile(full) and os.access(full, os.X_OK),
             "installed %s" % path)
    for m in sorted(glob.glob(os.path.join(SRC, "man", "*.[358]"))):
        sec = m[-1]
        path = "usr/share/man/man%s/%s" % (sec, os.path.basename(m))
        t.ok(path in files, "installed %s" % path)
    for tp in sorted(glob.glob(os.path.join(SRC, "cgi", "templates", "*"))):
        path = "usr/share/popstore/templates/" + os.path.basename(tp)
        t.ok(path in files, "installed %s" % path)
    conf = os.path.join(dest, "etc/popstore/popstore.conf")
    text = open(conf).read() if os.path.exists(conf) else ""
    t.like(text, r"(?m)^STORE_DIR=/var/lib/popstore$", "popstore.conf")
    t.like(text, r"(?m)^STORE_USER=popstore$", "popstore.conf: STORE_USER")
    t.ok("usr/share/doc/popstore/examples/popstore.conf" in files,
         "samples in docdir")
    t.ok(not any(f.startswith("var") for f in files),
         "install creates no store", [f for f in files if f.startswith("var")])
    man = os.path.join(dest, "usr/share/popstore/MANIFEST")
    lines = open(man).read().splitlines() if os.path.exists(man) else []
    t.is_(len(lines), len(set(lines)), "manifest has no duplicates")
    listed = {ln.split()[1].lstrip("/") for ln in lines}
    t.is_(sorted(set(files) - listed - {"usr/share/popstore/MANIFEST"}), [],
          "everything installed is in the manifest")

    # A second install keeps the administrator's popstore.conf.
    with open(conf, "a") as f:
        f.write("LOG_FILE=/var/log/popstore.log\n")
    r = make("install")
    t.is_(r.returncode, 0, "make install again")
    t.like(open(conf).read(), "LOG_FILE=", "popstore.conf kept on reinstall")
    t.is_(len(open(man).read().splitlines()), len(lines),
          "manifest unchanged by reinstall")

    # A file install did not put there survives uninstall, with its dir.
    other = os.path.join(dest, "usr/sbin/other-tool")
    open(other, "w").close()
    r = make("uninstall")
    t.is_(r.returncode, 0, "make uninstall")
    t.like(r.stderr, "popstore.conf was changed", "changed conf reported")
    t.is_(tree(), ["etc", "etc/popstore", "etc/popstore/popstore.conf",
                   "usr", "usr/sbin", "usr/sbin/other-tool"],
          "uninstall left only the changed conf and the foreign file")
    os.unlink(other)
    os.unlink(conf)
    for d in ("etc/popstore", "etc", "usr/sbin", "usr"):
        os.rmdir(os.path.join(dest, d))

    # install-store: popmgr init of the installed popmgr and conf.
    r = make("install")
    t.is_(r.returncode, 0, "make install into an empty DESTDIR")
    store = os.path.join(tmp, "store")
    text = open(conf).read()
    text = re.sub(r"(?m)^STORE_DIR=.*$", "STORE_DIR=" + store, text)
    user = ""
    if os.geteuid() == 0:
        user = "nobody"
    text = re.sub(r"(?m)^STORE_USER=.*$", "STORE_USER=" + user, text)
    open(conf, "w").write(text)
    r = make("install-store", "STORE_USER=" + user)
    t.is_(r.returncode, 0, "make install-store", )
    if r.returncode:
        t.diag(r.stdout + r.stderr)
    t.ok(os.path.isdir(store) and os.listdir(store), "store created")
    if user:
        import pwd
        t.is_(os.stat(store).st_uid, pwd.getpwnam(user).pw_uid,
              "store owned by STORE_USER")
    r = make("install-store", "STORE_USER=" + user)
    t.is_(r.returncode, 0, "make install-store again (safe to repeat)")

    # Back to nothing: the conf was changed (STORE_DIR), so it stays.
    r = make("uninstall")
    t.is_(r.returncode, 0, "make uninstall after install-store")
    t.is_(tree(), ["etc", "etc/popstore", "etc/popstore/popstore.conf"],
          "only the changed popstore.conf is left")
    t.ok(os.path.isdir(store), "uninstall leaves the store")
    os.unlink(conf)
    os.rmdir(os.path.dirname(conf))
    os.rmdir(os.path.join(dest, "etc"))
    r = make("install")
    r2 = make("uninstall")
    t.is_((r.returncode, r2.returncode), (0, 0), "install + uninstall")
    t.is_(tree(), [], "nothing left after install + uninstall")
finally:
    shutil.rmtree(tmp, ignore_errors=True)
t.done()
