#!/usr/bin/env python3
# api-doc - man/popstore.3 documents the whole public API of libstore.a:
# every public header lib/*.h has its SYNOPSIS entry (.In NAME.h), every
# function declared in a public header is in the SYNOPSIS (.Fn NAME) under
# its header, the SYNOPSIS names no function that no longer exists, every
# header has its paragraph in DESCRIPTION (Sy NAME.h), and the page renders
# without warnings.
#
# Private headers (lib/ only, not part of the API) are listed in PRIVATE.
import os
import re
import shutil
import subprocess
import sys

PRIVATE = {
    "folderfmt.h",  # binary encoders shared by folder.c and recon.c
    "sieve_ast.h",  # the Sieve interpreter's internal tree
}

src = os.environ.get("POPSTORE_SRC") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..")
page_path = os.path.join(src, "man", "popstore.3")
n = 0
failed = 0


def ok(cond, name, diag=None):
    global n, failed
    n += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", n, name))
    if not cond:
        failed += 1
        if diag:
            for line in diag.splitlines():
                print("# " + line)


def functions(path):
    """Names of the functions a header declares (inline ones included)."""
    with open(path, encoding="utf-8", errors="replace") as f:
        t = f.read()
    t = re.sub(r"/\*.*?\*/", " ", t, flags=re.S)
    t = re.sub(r"^\s*#(?:[^\n]*\\\n)*[^\n]*", "", t, flags=re.M)
    t = re.sub(r"__attribute__\s*\(\((?:[^()]|\([^()]*\))*\)\)", "", t)
    top, depth = [], 0
    for ch in t:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                top.append(";")
        elif depth == 0:
            top.append(ch)
    names = []
    for d in "".join(top).split(";"):
        d = " ".join(d.split())
        if not d or d.startswith("typedef") or "(" not in d:
            continue
        m = re.match(r"^(?:static\s+inline\s+|extern\s+)?[A-Za-z_][\w\s*]*?"
                     r"[\s*]([A-Za-z_]\w*)\s*\(", d)
        if m:
            names.append(m.group(1))
    return names


if not os.path.exists(page_path):
    print("1..1")
    print("not ok 1 - man/popstore.3 exists")
    sys.exit(1)
with open(page_path, encoding="utf-8") as f:
    page = f.read()

m = re.search(r"^\.Sh SYNOPSIS\n(.*?)^\.Sh ", page, flags=re.S | re.M)
synopsis = m.group(1) if m else ""
desc = page[m.end():] if m else page
ok(m is not None, "the page has a SYNOPSIS")

# The SYNOPSIS, header by header: {header: [functions]}.
documented, current = {}, None
for line in synopsis.splitlines():
    mi = re.match(r"^\.In (\S+)", line)
    if mi:
        current = mi.group(1)
        documented.setdefault(current, [])
        continue
    mf = re.match(r"^\.(?:Fn|Fo) (\w+)", line)
    if mf and current:
        documented[current].append(mf.group(1))

libdir = os.path.join(src, "lib")
headers = sorted(h for h in os.listdir(libdir) if h.endswith(".h"))
declared = {}
for h in headers:
    if h in PRIVATE:
        continue
    declared[h] = functions(os.path.join(libdir, h))
    ok(h in documented, "%s is in the SYNOPSIS" % h)
    missing = [f for f in declared[h] if f not in documented.get(h, [])]
    ok(not missing, "every function of %s is in the SYNOPSIS" % h,
       "missing: " + " ".join(missing))
    ok(re.search(r"^\.It Sy %s No " % re.escape(h), desc, flags=re.M),
       "%s has its paragraph in DESCRIPTION" % h)

gone = sorted(h for h in documented if h not in declared)
ok(not gone, "the SYNOPSIS names only public headers that exist",
   "not public or gone: " + " ".join(gone))
stale = sorted("%s: %s" % (h, f) for h, fs in documented.items()
               if h in declared for f in fs if f not in declared[h])
ok(not stale, "the SYNOPSIS names only functions that exist",
   "\n".join(stale))
ok(sum(len(v) for v in declared.values()) > 100,
   "the header parser found the API (%d functions)"
   % sum(len(v) for v in declared.values()))

for ref in ("popstore 5", "popstore.conf 5"):
    ok(re.search(r"^\.Xr %s\b" % re.escape(ref), page, flags=re.M),
       "SEE ALSO %s" % ref)

if shutil.which("groff"):
    for macros in ("-mdoc", "-man"):
        r = subprocess.run(["groff", "-ww", "-z", macros, page_path],
                           capture_output=True, text=True)
        ok(r.returncode == 0 and r.stdout == "" and r.stderr == "",
           "groff -ww %s renders without warnings" % macros,
           r.stdout + r.stderr)
else:
    print("# groff not installed: rendering not checked")

print("1..%d" % n)
sys.exit(1 if failed else 0)
