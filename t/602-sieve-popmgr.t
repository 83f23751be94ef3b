#!/usr/bin/env python3
"""popmgr sieve: -check reports syntax errors as FILE:LINE:COLUMN, -set
installs only valid scripts (from a file or standard input), -show prints
the script byte for byte, -remove deletes it; usage errors, unknown
accounts, a missing script and a 1 MB script are refused cleanly."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import pstest  # noqa: E402

t = pstest.Tap()
st = pstest.Store(t)
st.popmgr("add", "jdoe", "-password=Secret123")


def write(name, data):
    path = os.path.join(st.tmp, name)
    with open(path, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)
    return path


BAD = [
    ("unknown command", 'require "fileinto";\nif true {\n  fileinot "x";\n}\n',
     '3:3: unknown command "fileinot"'),
    ("missing semicolon", 'discard;\nkeep', "2:5: ';' expected before the end"),
    ("missing require", 'if true {\n\tfileinto "x";\n}\n',
     '2:2: fileinto needs require "fileinto"'),
    ("unterminated string", 'if header :is "a" "b\n', "1:19: unterminated"),
    ("bad tag", 'if header :iss "a" "b" {}', "1:11: unknown tag :iss"),
    ("unknown extension", 'require ["fileinto", "nope"];',
     '1:1: unsupported extension "nope"'),
    ("bad regex", 'require "regex";\nif header :regex "s" "a(" {}',
     "2:22: regular expression"),
    ("unbalanced brace", 'if true { keep;\n', "2:1: '}' expected"),
]
for name, text, want in BAD:
    path = write("bad.sieve", text)
    r = st.popmgr("sieve", "jdoe", "-check=" + path)
    t.is_(r.returncode, 65, "-check %s: exit 65 (EX_DATAERR)" % name)
    t.ok(("%s:%s" % (path, want)) in r.stderr,
         "-check %s: %s" % (name, want), r.stderr)

good = ('require ["fileinto", "vacation"];\r\n# a comment\r\n'
        'if header :contains "subject" "[list]" { fileinto "Lists"; }\r\n'
        'vacation :days 7 text:\r\nAway.\r\n.\r\n;\r\n')
gpath = write("good.sieve", good)
r = st.popmgr("sieve", "jdoe", "-check=" + gpath)
t.is_((r.returncode, r.stdout), (0, gpath + ": ok\n"), "-check good: ok")
r = st.popmgr("sieve", "-check=" + gpath)
t.is_(r.returncode, 0, "-check without an account")
r = st.popmgr("sieve", "jdoe", "-show")
t.ok(r.returncode == 66 and "no Sieve script" in r.stderr,
     "-show before -set: no script (66)", r.stderr)
r = st.popmgr("sieve", "jdoe", "-set=" + write("bad2.sieve", "kep;"))
t.ok(r.returncode == 65 and "1:1: unknown command" in r.stderr,
     "-set of a bad script refused with LINE:COL", r.stderr)
r = st.popmgr("sieve", "jdoe", "-show")
t.is_(r.returncode, 66, "nothing was installed")
r = st.popmgr("sieve", "jdoe", "-set=" + gpath)
t.is_((r.returncode, r.stderr), (0, ""), "-set good")
r = st.popmgr("sieve", "jdoe", "-show")
t.is_((r.returncode, r.stdout), (0, good), "-show: byte for byte")
r = st.popmgr("sieve", "JDOE", "-set=-", input="discard;\n")
t.is_(r.returncode, 0, "-set=- reads standard input (any case of name)")
r = st.popmgr("sieve", "jdoe", "-show")
t.is_(r.stdout, "discard;\n", "replaced")
t.ok(any("event=sieve_set account=jdoe" in l for l in st.log_lines()),
     "logged")
big = write("big.sieve", "#" + "x" * (1024 * 1024) + "\nkeep;\n")
r = st.popmgr("sieve", "jdoe", "-set=" + big)
t.ok(r.returncode == 65 and (big + ":1:1: script larger than "
                             "SIEVE_SCRIPT_MAX") in r.stderr,
     "1 MB script refused cleanly", r.stderr)
r = st.popmgr("sieve", "jdoe", "-show")
t.is_(r.stdout, "discard;\n", "the old script stays")
r = st.popmgr("sieve", "jdoe", "-remove")
t.is_((r.returncode, r.stderr), (0, ""), "-remove")
r = st.popmgr("sieve", "jdoe", "-remove")
t.is_(r.returncode, 66, "-remove again: no script (66)")
r = st.popmgr("sieve", "nosuch", "-show")
t.ok(r.returncode == 67 and "no such account" in r.stderr,
     "unknown account: 67", r.stderr)
r = st.popmgr("sieve", "jdoe")
t.ok(r.returncode == 64 and "usage: sieve" in r.stderr, "no operation: 64")
r = st.popmgr("sieve", "jdoe", "-show", "-remove")
t.is_(r.returncode, 64, "two operations: 64")
r = st.popmgr("sieve", "jdoe", "-check=" + os.path.join(st.tmp, "none"))
t.is_(r.returncode, 66, "-check of a missing file: 66")
r = st.popmgr("help", "sieve")
t.ok(r.returncode == 0 and "sieve ACCOUNT -set=FILE" in r.stdout,
     "help sieve", r.stdout)
r = st.popmgr("sieve", "jdoe", "-set=" + gpath, input=None)
r2 = st.popmgr(input="sieve jdoe -show\n")
t.ok(r2.returncode == 0 and "vacation :days 7" in r2.stdout,
     "sieve from the command reader", r2.stdout + r2.stderr)
t.is_(st.log_errors(), [], "no error lines in the log")
t.done()
