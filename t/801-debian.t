#!/usr/bin/env python3
"""The Debian package: dpkg-buildpackage -us -uc -b in a copy of the tree
builds popstore_*.deb; its contents (programs in /usr/sbin, CGIs in
/usr/libexec/popstore, man pages, templates, popstore.conf as a conffile,
systemd units naming /usr/sbin), its maintainer scripts (system user,
popmgr init, socket units), and lintian's verdict when lintian is there.
The package is built, never installed. Takes a minute or more."""
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
SRC = pstest.SRC
for tool in ("dpkg-buildpackage", "dh", "dpkg-deb"):
    if shutil.which(tool) is None:
        t.skip_all("%s is not installed (dpkg-dev, debhelper)" % tool)
if not os.path.isdir(os.path.join(SRC, "debian")):
    t.skip_all("no debian/ directory")
if os.environ.get("POPSTORE_SANITIZED"):
    # The package is built the same way whatever the suite's build.
    t.skip_all("the .deb is built by the plain run of the suite")

tmp = tempfile.mkdtemp(prefix="popstore-deb-")
tree = os.path.join(tmp, "popstore")


def copy_tree():
    """The sources as git sees them (tracked and new, not ignored)."""
    r = subprocess.run(["git", "-C", SRC, "ls-files", "-z", "-c", "-o",
                        "--exclude-standard"], capture_output=True)
    if r.returncode == 0:
        names = [n.decode() for n in r.stdout.split(b"\0") if n]
    else:
        names = []
        for root, dirs, files in os.walk(SRC):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            names += [os.path.relpath(os.path.join(root, f), SRC)
                      for f in files if not f.endswith((".o", ".d", ".a"))]
    for n in names:
        src = os.path.join(SRC, n)
        if not os.path.isfile(src) or n.startswith("t/"):
            continue
        dst = os.path.join(tree, n)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(src, dst)
    # t/build.mk is included by the Makefile; the tests are not needed.
    os.makedirs(os.path.join(tree, "t"), exist_ok=True)
    shutil.copy2(os.path.join(SRC, "t", "build.mk"),
                 os.path.join(tree, "t", "build.mk"))


try:
    copy_tree()
    env = dict(os.environ)
    for k in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "CFLAGS", "LDFLAGS"):
        env.pop(k, None)
    env["DEB_BUILD_OPTIONS"] = "nocheck parallel=2"
    r = subprocess.run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=tree,
                       capture_output=True, text=True, env=env, timeout=1200)
    t.is_(r.returncode, 0, "dpkg-buildpackage -us -uc -b")
    if r.returncode:
        t.diag((r.stdout + r.stderr)[-3000:])
    debs = glob.glob(os.path.join(tmp, "popstore_*.deb"))
    t.is_(len(debs), 1, "one .deb built")
    if not debs:
        t.done()
    deb = debs[0]

    out = subprocess.run(["dpkg-deb", "-c", deb], capture_output=True,
                         text=True).stdout
    files = {ln.split()[-1].lstrip(".") for ln in out.splitlines()
             if ln and ln.split()[-1] != "./"}
    files = {f.rstrip("/") for f in files}
    programs = []
    for mk in sorted(glob.glob(os.path.join(SRC, "*", "build.mk"))):
        programs += re.findall(r"^PROGRAMS\s*\+=\s*(\S+)",
                               open(mk).read(), re.M)
    for p in programs:
        n = os.path.basename(p)
        path = ("/usr/libexec/popstore/" if n.endswith(".cgi")
                else "/usr/sbin/") + n
        t.ok(path in files, "deb holds " + path)
    for m in sorted(glob.glob(os.path.join(SRC, "man", "*.[358]"))):
        path = "/usr/share/man/man%s/%s.gz" % (m[-1], os.path.basename(m))
        t.ok(path in files, "deb holds " + path)
    for tp in sorted(glob.glob(os.path.join(SRC, "cgi", "templates", "*"))):
        path = "/usr/share/popstore/templates/" + os.path.basename(tp)
        t.ok(path in files, "deb holds " + path)
    for u in sorted(glob.glob(os.path.join(SRC, "etc", "systemd", "*"))):
        path = "/lib/systemd/system/" + os.path.basename(u)
        t.ok(path in files, "deb holds " + path)
    t.ok("/etc/popstore/popstore.conf" in files, "deb holds popstore.conf")
    t.ok("/usr/share/popstore/MANIFEST" not in files, "no install manifest")
    t.is_(sorted(f for f in files if f.startswith("/usr/local")), [],
          "nothing under /usr/local")
    t.is_(sorted(f for f in files if f.startswith("/var")), [],
          "no store in the package (postinst makes it)")

    ctl = os.path.join(tmp, "ctl")
    data = os.path.join(tmp, "data")
    subprocess.run(["dpkg-deb", "-e", deb, ctl], check=True)
    subprocess.run(["dpkg-deb", "-x", deb, data], check=True)
    conffiles = open(os.path.join(ctl, "conffiles")).read() \
        if os.path.exists(os.path.join(ctl, "conffiles")) else ""
    t.like(conffiles, r"(?m)^/etc/popstore/popstore\.conf$",
           "popstore.conf is a conffile")
    post = open(os.path.join(ctl, "postinst")).read()
    t.like(post, r"adduser --system [^;]*popstore\b", "postinst: system user")
    t.like(post, r"popmgr -C \"\$CONF\" init", "postinst: popmgr init")
    t.like(post, r"deb-systemd-helper .*enable.*pop3d\.socket|"
           r"pop3d\.socket.*deb-systemd-helper", "postinst: pop3d.socket")
    t.like(post, r"imapd\.socket", "postinst: imapd.socket")
    t.ok(os.path.exists(os.path.join(ctl, "prerm")) and
         os.path.exists(os.path.join(ctl, "postrm")), "prerm and postrm")
    r = subprocess.run(["sh", "-n", os.path.join(ctl, "postinst"),
                        os.path.join(ctl, "prerm"),
                        os.path.join(ctl, "postrm")], capture_output=True)
    t.is_(r.returncode, 0, "maintainer scripts parse (sh -n)")
    unit = open(os.path.join(data, "lib/systemd/system/pop3d@.service")) \
        .read()
    t.like(unit, r"ExecStart=/usr/sbin/pop3d ", "units run /usr/sbin")
    r = subprocess.run([os.path.join(data, "usr/sbin/popmgr"), "--help"],
                       capture_output=True, text=True)
    t.like(r.stdout + r.stderr, "usage: popmgr", "packaged popmgr runs")
    info = subprocess.run(["dpkg-deb", "-f", deb, "Depends"],
                          capture_output=True, text=True).stdout
    t.like(info, r"libssl3|libssl", "shlibs Depends filled in")
    t.like(info, "adduser", "Depends adduser")

    if shutil.which("lintian"):
        r = subprocess.run(["lintian", "--no-tag-display-limit", deb],
                           capture_output=True, text=True, timeout=600)
        errors = [ln for ln in r.stdout.splitlines() if ln.startswith("E:")]
        t.is_(errors, [], "lintian: no errors")
        for ln in r.stdout.splitlines():
            if ln.startswith("W:"):
                t.diag("lintian " + ln)
    else:
        t.diag("lintian not installed: not run")
finally:
    shutil.rmtree(tmp, ignore_errors=True)
t.done()
