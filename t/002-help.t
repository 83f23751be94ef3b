#!/usr/bin/env python3
"""Every program has a man page in man/ and --help; the options named in
the man page's SYNOPSIS and in the --help usage lines are the same."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import pstest  # noqa: E402

t = pstest.Tap()
mk = open(os.path.join(pstest.SRC, "Makefile")).read()
programs = []
for frag in sorted(os.listdir(pstest.SRC)):
    path = os.path.join(pstest.SRC, frag, "build.mk")
    if os.path.isfile(path):
        for m in re.finditer(r"PROGRAMS\s*\+=\s*(.+)", open(path).read()):
            programs += m.group(1).split()


def synopsis_flags(page):
    text = open(page).read()
    m = re.search(r"^\.Sh SYNOPSIS\n(.*?)^\.Sh ", text, re.S | re.M)
    flags = set()
    for line in (m.group(1) if m else "").splitlines():
        for f in re.findall(r"\bFl (\S+)", line):
            flags.add("-" + f.strip("\"'"))
    return flags


def help_flags(out):
    usage = "\n".join(l for l in out.splitlines()
                      if l.lstrip().lower().startswith(("usage", "   ", "\t"))
                      or l.startswith(" "))
    return set(re.findall(r"(?:^|[\s\[])(-{1,2}[A-Za-z][\w-]*)", usage,
                          re.M))


for prog in programs:
    name = os.path.basename(prog)
    section = "8"
    # The web programs share one page, popstore-cgi(8).
    base = "popstore-cgi" if name.endswith(".cgi") else name
    page = os.path.join(pstest.SRC, "man", "%s.%s" % (base, section))
    if not t.ok(os.path.exists(page), "%s has a man page" % name):
        continue
    binary = os.path.join(pstest.BUILD, prog)
    r = subprocess.run([binary, "--help"], capture_output=True, text=True,
                       timeout=20)
    out = r.stdout + r.stderr
    t.is_(r.returncode, 0, "%s --help exits 0" % name)
    want = synopsis_flags(page)
    got = help_flags(out)
    t.ok(want <= got | {"--help"},
         "%s: every SYNOPSIS option is in --help" % name,
         "missing from --help: %s" % sorted(want - got))
    t.ok(got <= want | {"--help", "-h"},
         "%s: every --help option is in SYNOPSIS" % name,
         "missing from SYNOPSIS: %s" % sorted(got - want))
t.ok(True, "%d programs checked" % len(programs))
t.done()
