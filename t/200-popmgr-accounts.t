#!/usr/bin/env python3
"""popmgr: add, copy, modify, rename, delete, show on the command line,
and every kind of bad input with its exit code."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import pstest  # noqa: E402

EX_USAGE, EX_DATAERR, EX_NOUSER, EX_CANTCREAT, EX_CONFIG = 64, 65, 67, 73, 78

t = pstest.Tap()
st = pstest.Store(t)


def pm(*args, **kw):
    return st.popmgr(*args, **kw)


def field(out, name):
    m = re.search(r"^%s:[ \t]*(.*)$" % re.escape(name), out, re.M)
    return m.group(1).rstrip() if m else None


def fields(account, table):
    """Check the full display of account against (field, want, what)."""
    out = pm("show", account).stdout
    for name, want, what in table:
        t.is_(field(out, name), want, "%s: %s" % (account, what))


# --help and help
r = pstest.subprocess.run([pstest.program("popmgr"), "--help"],
                          capture_output=True, text=True)
t.is_(r.returncode, 0, "--help exits 0")
t.like(r.stdout, r"^usage: popmgr \[-d\] \[-C file\]", "--help usage line")
r = pm("help", "modify")
t.is_(r.returncode, 0, "help modify")
t.like(r.stdout, r"-message_count=V", "help lists the switches")
t.is_(pm("help", "frobnicate").returncode, EX_USAGE, "help of unknown")

# init is idempotent; default account exists and is disuser
t.is_(pm("init").returncode, 0, "init again is fine")
r = pm("show", "default")
t.is_(field(r.stdout, "Usage flags"), "disuser", "default is disuser")
t.is_(field(r.stdout, "Store Type"), "imap", "default is IMAP")

# add with switches
r = pm("add", "JDoe", "-password=Secret123", "-owner=Jane Doe",
       "-quota=2M", "-overdraft=20", "-private=site data",
       "-flags=(lockpwd,dismail)", "-store=pop", "-group_name=Sales")
t.is_(r.returncode, 0, "add jdoe with switches: " + r.stderr)
t.is_(pm("show", "jdoe").returncode, 0, "show jdoe")
fields("jdoe", [
    ("Username", "jdoe", "name folded to lower case"),
    ("Owner", "Jane Doe", "owner keeps its case"),
    ("Group", "sales", "group lower case"),
    ("Store Type", "pop", "store pop"),
    ("Usage flags", "dismail,lockpwd", "flags"),
    ("Site-defined", "site data", "private"),
    ("Password", "set", "password set"),
    ("Primary quota", "2048.00 Kbytes", "quota 2M"),
    ("Overdraft quota", "20.00 Kbytes", "overdraft in KB"),
    ("Message count", "0 (0 total messages received)", "message count"),
    ("Last connect", "No time recorded", "no connect"),
])
r = pm("group", "-list")
t.like(r.stdout, r"(?m)^sales: $", "group created by add")

# abbreviations, -no forms, comma lists across words
r = pm("add", "a1,", "a2", "-qu=1.5M", "-nooverd", "-pass=Secret123")
t.is_(r.returncode, 0, "add a list with abbreviated switches")
r = pm("show", "a2")
t.is_(field(r.stdout, "Primary quota"), "1536.00 Kbytes", "1.5M")

# copy: settings but zero usage, new names refused when taken
t.is_(pm("modify", "jdoe", "-received_messages=5").returncode, 0,
      "set a counter")
r = pm("copy", "jdoe", "jcopy,jcopy2", "-owner=Copy")
t.is_(r.returncode, 0, "copy: " + r.stderr)
fields("jcopy", [
    ("Group", "sales", "copy keeps the group"),
    ("Owner", "Copy", "copy applies switches"),
    ("Usage flags", "dismail,lockpwd", "copy keeps flags"),
    ("Password", "set", "copy keeps the password"),
    ("Message count", "0 (0 total messages received)", "copy zeroes usage"),
])
t.is_(pm("copy", "jdoe", "jcopy").returncode, EX_CANTCREAT,
      "copy onto an account")
t.is_(pm("copy", "nosuch", "x1").returncode, EX_NOUSER, "copy from nothing")

# modify every field
r = pm("modify", "jdoe", "-owner=J. Doe", "-noquota", "-store=imap",
       "-flags=(nodismail,manage)", "-group_name=support", "-private=",
       "-received_bytes=10K", "-total_connect=1 02:03:04",
       "-total_connections=7", "-past_block_days=3", "-pwdexpired")
t.is_(r.returncode, 0, "modify many fields: " + r.stderr)
fields("jdoe", [
    ("Owner", "J. Doe", "owner changed"),
    ("Primary quota", "unlimited", "-noquota"),
    ("Store Type", "imap", "store changed"),
    ("Usage flags", "lockpwd,manage,pwd_expired", "flags changed"),
    ("Group", "support", "moved group"),
    ("Site-defined", "", "private cleared"),
    ("Total connect time", "1 02:03:04", "connect time"),
    ("Total connections", "7", "connections"),
    ("Past block days", "3", "block days"),
    ("Password", "set, expired", "password expired"),
])
r = pm("modify", "jdoe", "-password=NewSecret9")
t.is_(field(pm("show", "jdoe").stdout, "Password"), "set",
      "new password clears the expiry")
pm("modify", "jdoe", "-nopassword")
t.is_(field(pm("show", "jdoe").stdout, "Password"),
      "none (no login possible)", "-nopassword")
t.is_(pm("modify", "jdoe", "-last_connect", "-last_disconnect").returncode,
      0, "clear connect times")

# storage units on the command line are kbytes; set changes them per session
r = pm(input="set storage_units mbytes\nmodify jdoe -quota=3\n"
             "show jdoe\n")
t.is_(field(r.stdout, "Primary quota"), "3.00 Mbytes", "mbytes")
t.is_(field(pm("show", "jdoe").stdout, "Primary quota"), "3072.00 Kbytes",
      "stored in bytes, shown in kbytes by default")

# rename keeps everything
t.is_(pm("rename", "jdoe", "jane").returncode, 0, "rename")
r = pm("show", "jane")
t.is_(field(r.stdout, "Owner"), "J. Doe", "renamed keeps fields")
t.is_(pm("show", "jdoe").returncode, EX_NOUSER, "old name gone")
t.is_(pm("rename", "jane", "a1").returncode, EX_CANTCREAT, "rename onto")
t.is_(pm("rename", "jane", "post").returncode, EX_DATAERR, "rename to post")
t.is_(pm("rename", "default", "x2").returncode, EX_DATAERR,
      "rename default")
t.is_(pm("rename", "jane").returncode, EX_USAGE, "rename usage")

# brief list and count
r = pm("show")
t.like(r.stdout, r"(?m)^Username\s+Store\s+Group", "brief header")
t.like(r.stdout, r"(?m)^jane\s+imap\s+support\s+0", "brief line")
r = pm("show", "-count_users")
t.is_(r.stdout, "5 accounts\n", "count_users excludes default")
r = pm("show", "-count_users", "-group=sales")
t.is_(r.stdout, "2 accounts\n", "count_users in a group")

# delete
t.is_(pm("delete", "jcopy2").returncode, 0, "delete")
t.is_(pm("show", "jcopy2").returncode, EX_NOUSER, "deleted")
t.is_(pm("delete", "jcopy2").returncode, EX_NOUSER, "delete twice")
t.is_(pm("delete", "default").returncode, EX_DATAERR, "delete default")
t.is_(pm("delete", "a*").returncode, EX_USAGE,
      "wildcard without -noconfirm and no terminal")
r = pm("delete", "a*", "-noconfirm")
t.is_(r.returncode, 0, "wildcard delete with -noconfirm")
t.is_(r.stdout, "a1: deleted\na2: deleted\n", "wildcards log by default")
t.is_(pm("show", "a1").returncode, EX_NOUSER, "a1 gone")

# bad input: names per style, switches, flags, sizes
cases = [
    (("add", "a" * 33), EX_DATAERR, "name too long"),
    (("add", "bad name"), EX_DATAERR, "space in name"),
    (("add", "_lead"), EX_DATAERR, "style 1: leading _"),
    (("add", "x!y"), EX_DATAERR, "style 1: !"),
    (("add", "caf\u00e9"), EX_DATAERR, "style 1: 8-bit"),
    (("add", "default"), EX_DATAERR, "reserved default"),
    (("add", "POST"), EX_DATAERR, "reserved post"),
    (("add", "jane"), EX_CANTCREAT, "exists"),
    (("add", "ok1", "-bogus"), EX_USAGE, "unknown switch"),
    (("add", "ok1", "-o=x"), EX_USAGE, "ambiguous switch"),
    (("add", "ok1", "-quota"), EX_USAGE, "switch without its value"),
    (("add", "ok1", "-prompt=1"), EX_USAGE, "value for a flag switch"),
    (("add", "ok1", "-quota=1", "-quota=2"), EX_USAGE, "switch twice"),
    (("add", "ok1", "-flags=(manage,frob)"), EX_DATAERR, "unknown flag"),
    (("add", "ok1", "-quota=12x"), EX_DATAERR, "quota syntax"),
    (("add", "ok1", "-quota=-1"), EX_DATAERR, "negative quota"),
    (("add", "ok1", "-quota=1.2345678"), EX_DATAERR, "too many decimals"),
    (("add", "ok1", "-store=mbox"), EX_DATAERR, "unknown store type"),
    (("add", "ok1", "-group_name=bad group"), EX_DATAERR, "bad group name"),
    (("add", "ok1", "-partition=nowhere"), EX_DATAERR, "unknown partition"),
    (("add", "ok1", "-owner=" + "x" * 41), EX_DATAERR, "owner too long"),
    (("add", "ok1", "-password=short"), EX_DATAERR, "password too short"),
    (("add", "ok1", "-password=ok1ok1ok1"), EX_DATAERR,
     "password holds the name"),
    (("add", "ok1", "-password=x", "-prompt"), EX_USAGE,
     "-password and -prompt"),
    (("add", "ok1", "-prompt"), EX_USAGE, "-prompt needs a terminal"),
    (("add",), EX_USAGE, "add without a name"),
    (("modify", "nosuch", "-owner=x"), EX_NOUSER, "modify unknown"),
    (("modify", "jane", "-total_connect=25:99"), EX_DATAERR, "bad duration"),
    (("modify", "jane", "-message_count=x"), EX_DATAERR, "bad count"),
    (("modify", "jane", "-partition=main"), EX_USAGE,
     "modify has no -partition"),
    (("show", "nosuch"), EX_NOUSER, "show unknown"),
    (("show", "-count", "-forw"), EX_USAGE, "two show modes"),
    (("frobnicate",), EX_USAGE, "unknown command"),
    (("re", "x"), EX_USAGE, "ambiguous command"),
    (("set", "storage_units", "tbytes"), EX_USAGE, "unknown units"),
    (("set", "domain", "example.com"), EX_USAGE, "domains are off"),
    (("add", "-domain", "example.com"), EX_USAGE, "add -domain: no domains"),
]
for args, code, name in cases:
    r = pm(*args)
    t.is_(r.returncode, code, "%s: exit %d" % (name, code))
    t.ok(r.stderr.startswith("popmgr: "), "%s: says why" % name, r.stderr)
t.is_(pm("show", "ok1").returncode, EX_NOUSER, "nothing half-created")

# abbreviated commands
t.is_(pm("sh", "jane").returncode, 0, "abbreviated command")

# the other styles
st2 = pstest.Store(t, conf="USERNAME_STYLE=2\n", name="style2")
r = st2.popmgr("add", "o'brien", "x+y")
t.is_(r.returncode, EX_DATAERR, "style 2: subaddress char refused")
t.is_(st2.popmgr("show", "o'brien").returncode, 0, "style 2: quote allowed")
t.is_(st2.popmgr("add", "a/b").returncode, EX_DATAERR, "style 2: slash")
t.is_(st2.popmgr("add", "caf\u00e9").returncode, EX_DATAERR,
      "style 2: 8-bit")
st3 = pstest.Store(t, conf="USERNAME_STYLE=3\nUSERNAME_CHARSET=UTF-8\n",
                   name="style3")
t.is_(st3.popmgr("add", "Caf\u00c9").returncode, 0, "style 3: UTF-8 name")
r = st3.popmgr("show", "caf\u00e9")
t.is_(field(r.stdout, "Username"), "caf\u00e9", "style 3: folded")
t.is_(st3.popmgr("add", "CAF\u00c9").returncode, EX_CANTCREAT,
      "style 3: case-insensitive for accented letters")
t.is_(st3.popmgr("add", "\u00e9" * 17).returncode, EX_DATAERR,
      "style 3: 34 bytes too long")

# logs: one line per change, never a password
lines = st.log_lines()
adds = [l for l in lines if "event=account_add account=jdoe " in l]
t.is_(len(adds), 1, "one log line for the add")
t.like(adds[0] if adds else "", r"by=\S+", "log says who")
t.ok(not any("Secret123" in l or "NewSecret9" in l for l in lines),
     "no password in the log")
t.ok(any("event=account_modify account=jdoe fields=" in l for l in lines),
     "modify logged with its fields")
t.ok(any("event=account_rename account=jane from=jdoe" in l for l in lines),
     "rename logged")
t.ok(any("event=account_delete account=jcopy2" in l for l in lines),
     "delete logged")
t.is_(st.log_errors(), [], "no errors logged")
t.done()
