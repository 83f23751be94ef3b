#!/usr/bin/env python3
"""Every man page (man/*.[358]) renders without a warning: groff -ww
-mandoc -z, and man --warnings -l as a reader would see it. A broken page
in a temporary directory checks that warnings are caught."""
import glob
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import pstest  # noqa: E402

t = pstest.Tap()
if shutil.which("groff") is None:
    t.skip_all("groff is not installed (groff-base)")
pages = sorted(glob.glob(os.path.join(pstest.SRC, "man", "*.[358]")))
ENV = dict(os.environ, LC_ALL="C.UTF-8", MANWIDTH="80")


def groff(path):
    r = subprocess.run(["groff", "-ww", "-mandoc", "-t", "-z", "-Tutf8",
                        path], capture_output=True, text=True, env=ENV,
                       timeout=60)
    return r.returncode, r.stderr.strip()


def man(path):
    r = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", path],
                       capture_output=True, text=True, env=ENV, timeout=60)
    return r.returncode, r.stderr.strip(), r.stdout


tmp = tempfile.mkdtemp(prefix="popstore-man-")
try:
    bad = os.path.join(tmp, "bad.8")
    with open(bad, "w") as f:
        f.write(".Dd November 23, 2026\n.Dt BAD 8\n.Os\n.Sh NAME\n"
                ".Nm bad\n.Nd a page with faults\n.Sh DESCRIPTION\n"
                ".Xx unknown macro\n\\f[QQ]font\n")
    rc, err = groff(bad)
    t.ok(err != "", "groff -ww reports a broken page", err)
finally:
    shutil.rmtree(tmp, ignore_errors=True)

t.ok(len(pages) >= 8, "man pages found", pages)
have_man = shutil.which("man") is not None
for p in pages:
    name = os.path.relpath(p, pstest.SRC)
    rc, err = groff(p)
    t.is_((rc, err), (0, ""), "groff -ww -mandoc: %s" % name)
    if have_man:
        rc, err, out = man(p)
        t.ok(rc == 0 and err == "" and len(out) > 200,
             "man --warnings -l: %s" % name, err)
    else:
        t.ok(True, "# SKIP man is not installed")
t.done()
