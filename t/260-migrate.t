#!/usr/bin/env python3
"""migrate: Berkeley mailboxes (mboxo >From quoting, a "From " line inside
a body, Content-Length, CRLF, empty, mboxrd) and a Maildir with flags go
into the store with their flags, dates and UIDLs (X-UIDL served by pop3d);
-n changes nothing; a second run adds nothing; the account is created
MIGRATED with PWD_ELSEWHERE; the report names the alias to add; the store
is consistent afterwards."""
import calendar
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import expiretest as et  # noqa: E402
import pop3test  # noqa: E402
import pstest  # noqa: E402
import storecheck  # noqa: E402

t = pstest.Tap()
for prog in ("migrate", "popmgr", "pop3d", "reconstruct"):
    if not os.path.exists(pstest.program(prog)):
        t.skip_all("%s is not built" % prog)

st = pop3test.store(t, "LOGIN_FAIL_DELAY=0\n")
mail = os.path.join(st.tmp, "mail")
mdirs = os.path.join(st.tmp, "maildirs")
os.makedirs(mail)
JAN5 = calendar.timegm((2015, 1, 5, 10, 0, 0))
CLBODY = b"line one\n\nFrom not a separator either\n"

# jdoe: mboxo as Postfix writes it, with Status/X-Status and X-UIDL
with open(os.path.join(mail, "jdoe"), "wb") as f:
    f.write(b"From alice@example.org Mon Jan  5 10:00:00 2015\n"
            b"From: alice@example.org\nSubject: read and answered\n"
            b"Message-ID: <j1@test>\nStatus: RO\nX-Status: AF\n"
            b"X-UIDL: popper-uidl-1\n\n"
            b">From the start of a line\nFrom inside a body, not a separator\n"
            b"\n"
            b"From bob@example.org Tue Jan  6 11:30:00 2015\n"
            b"From: bob@example.org\nSubject: new\nMessage-ID: <j2@test>\n"
            b"Content-Length: %d\n\n%s" % (len(CLBODY), CLBODY) +
            b"\n"
            b"From MAILER-DAEMON Wed Jan  7 12:00:00 2015\n"
            b"From: MAILER-DAEMON@example.org\nSubject: bounce\n"
            b"Message-ID: <j3@test>\nStatus: O\nX-Status: D\n\nbounced\n")
# crlf: a mailbox with CRLF line ends
with open(os.path.join(mail, "crlf"), "wb") as f:
    f.write(b"From c@example.org Mon Jan  5 10:00:00 2015\r\n"
            b"Subject: crlf one\r\nMessage-ID: <c1@test>\r\n\r\nbody\r\n\r\n"
            b"From c@example.org Mon Jan  5 10:00:00 2015\r\n"
            b"Subject: crlf two\r\nMessage-ID: <c2@test>\r\n\r\nbody\r\n")
# empty: an empty mailbox; rd: mboxrd quoting
open(os.path.join(mail, "empty"), "wb").close()
with open(os.path.join(mail, "rd"), "wb") as f:
    f.write(b"From r@example.org Mon Jan  5 10:00:00 2015\n"
            b"Subject: rd\nMessage-ID: <r1@test>\n\n"
            b">From one\n>>From two\n")
# jdoe's Maildir
md = os.path.join(mdirs, "jdoe")
for sub in ("new", "cur", "tmp"):
    os.makedirs(os.path.join(md, sub))
for sub, name, text, when in (
        ("cur", "1420452000.M1P1.host:2,FS",
         b"Return-Path: <m1@example.org>\nSubject: md flagged\n"
         b"Message-ID: <m1@test>\n\nx\n", JAN5 + 100),
        ("cur", "1420452001.M2P2.host:2,DT",
         b"Subject: md draft deleted\nMessage-ID: <m2@test>\n\nx\n",
         JAN5 + 200),
        ("new", "1420452002.M3P3.host",
         b"Subject: md new\nMessage-ID: <m3@test>\n\nx\n", JAN5 + 300)):
    p = os.path.join(md, sub, name)
    with open(p, "wb") as f:
        f.write(text)
    os.utime(p, (when, when))
before = {n: open(os.path.join(mail, n), "rb").read()
          for n in os.listdir(mail)}


def migrate(*args):
    return st.run("migrate/migrate", "-m", mail, "-M", mdirs, *args)


def listing(name):
    """[(subject, flags, idate)] of the INBOX, in UID order."""
    sv = storecheck.StoreView(st.conf)
    subj = []
    for uid, path, size in sv.messages(name):
        with open(path, "rb") as f:
            m = re.search(rb"^Subject: (.*?)\r\n", f.read(), re.M)
        subj.append(m.group(1).decode() if m else None)
    recs = et.records(st, name)
    return [(s, r["flags"] & 0x1f, r["idate"]) for s, r in zip(subj, recs)]


# ---- usage ----
r = st.run("migrate/migrate", "--help")
t.ok(r.returncode == 0 and r.stdout.startswith("usage: migrate [-C file]"),
     "--help", r.stdout)
r = st.run("migrate/migrate")
t.is_(r.returncode, 64, "no user: EX_USAGE")

# ---- dry run ----
r = migrate("-n", "jdoe")
t.is_(r.returncode, 0, "-n exits 0")
t.like(r.stdout, r"^jdoe -> jdoe: account would be created; mbox \S+/jdoe: "
       r"3 found, 3 to migrate, 0 already there; maildir \S+/jdoe: 3 found, "
       r"3 to migrate", "-n: report")
t.is_(st.popmgr("show", "jdoe").returncode != 0, True, "-n: no account")

# ---- the run ----
r = migrate("jdoe", "crlf", "empty", "nosuchuser")
t.is_(r.returncode, 0, "migrate exits 0 (a user without mail is no error)")
t.like(r.stdout, r"jdoe -> jdoe: account created; mbox \S+: 3 found, 3 "
       r"migrated, 0 already there; maildir \S+: 3 found, 3 migrated, 0 "
       r"already there; alias: jdoe: \"\|/usr/sbin/deliver jdoe\"; ok",
       "report line for jdoe")
t.like(r.stdout, r"crlf -> crlf: account created; mbox \S+: 2 found, 2 "
       r"migrated", "report line for crlf")
t.like(r.stdout, r"empty -> empty: account created; mbox \S+: 0 found",
       "report line for the empty mailbox")
L = listing("jdoe")
SEEN, ANS, FLAG, DEL, DRAFT = 1, 2, 4, 8, 16
t.is_([(s, f) for s, f, _ in L],
      [("read and answered", SEEN | ANS | FLAG), ("new", 0),
       ("bounce", DEL), ("md flagged", SEEN | FLAG),
       ("md draft deleted", DRAFT | DEL), ("md new", 0)],
      "messages and flags (Status/X-Status, Maildir info)")
t.is_([d for _, _, d in L],
      [JAN5, calendar.timegm((2015, 1, 6, 11, 30, 0)),
       calendar.timegm((2015, 1, 7, 12, 0, 0)), JAN5 + 100, JAN5 + 200,
       JAN5 + 300], "internal dates from From_ lines and file times")
msgs = et.deliverlib.stored(st, "jdoe")
t.ok(msgs and msgs[0].endswith(b"\r\n\r\nFrom the start of a line\r\n"
                               b"From inside a body, not a separator\r\n"),
     "mboxo unquoted, CRLF stored, body 'From ' kept", msgs[:1])
t.ok(len(msgs) > 1 and msgs[1].endswith(
    b"line one\r\n\r\nFrom not a separator either\r\n"),
    "Content-Length body kept whole", msgs[1:2])
show = st.popmgr("show", "jdoe").stdout
t.like(show, r"Usage flags:\s+migrated,pwd_elsewhere", "MIGRATED, "
       "PWD_ELSEWHERE")
t.is_([s for s, _, _ in listing("crlf")], ["crlf one", "crlf two"],
      "CRLF mailbox")
t.is_(listing("empty"), [], "empty mailbox: account, no mail")
t.like(r.stdout, r"nosuchuser -> nosuchuser: account created; mbox \S+: 0 "
       r"found", "a user without mail gets an empty account")
for n, data in before.items():
    t.ok(open(os.path.join(mail, n), "rb").read() == data,
         "source %s untouched" % n)

# ---- UIDLs through pop3d ----
st.popmgr("modify", "jdoe", "-password=Secret123",
          "-flags=(nopwd_elsewhere)")
c = pop3test.login(st, "jdoe", "Secret123")
c.cmd("UIDL")
uidls = [l.split()[1].decode() for l in c.multi()]
c.cmd("QUIT")
c.close()
t.is_(uidls[0] if uidls else None, "popper-uidl-1", "X-UIDL kept as UIDL")
t.like(uidls[1] if len(uidls) > 1 else "", r"^[0-9a-f]{17,}$",
       "mailbox message: the legacy pop3d UIDL")
t.is_(uidls[3:], ["1420452000.M1P1.host", "1420452001.M2P2.host",
                  "1420452002.M3P3.host"], "Maildir: unique names as UIDLs")

# ---- again: nothing more ----
r = migrate("jdoe", "crlf")
t.like(r.stdout, r"jdoe -> jdoe: account exists; mbox \S+: 3 found, 0 "
       r"migrated, 3 already there; maildir \S+: 3 found, 0 migrated, 3 "
       r"already there", "second run: all there already")
t.is_(len(listing("jdoe")), 6, "no duplicates")
# new mail in the source since: only it is added
with open(os.path.join(mail, "jdoe"), "ab") as f:
    f.write(b"\nFrom late@example.org Thu Jan  8 09:00:00 2015\n"
            b"Subject: late\nMessage-ID: <j4@test>\n\nlate\n")
r = migrate("jdoe")
t.like(r.stdout, r"mbox \S+: 4 found, 1 migrated, 3 already there",
       "third run: only the new message")
t.is_([s for s, _, _ in listing("jdoe")][-1], "late", "appended last")

# ---- mboxrd ----
r = migrate("-r", "rd")
t.ok(et.deliverlib.stored(st, "rd")[0].endswith(
    b"\r\n\r\nFrom one\r\n>From two\r\n"), "-r: mboxrd unquoting")

# ---- an unusable name: error, the others go on ----
r = migrate("-n", "Bad/Name", "rd")
t.is_(r.returncode, 75, "a bad user name: EX_TEMPFAIL")
t.like(r.stderr, r"migrate: Bad/Name: ", "  and says so")
t.like(r.stdout, r"rd -> rd: account exists", "  the next user still runs")

# ---- forwarding: -f writes ~USER/.forward (here -H HOMES/USER) ----
homes = os.path.join(st.tmp, "homes")
for u in ("crlf", "jdoe"):
    os.makedirs(os.path.join(homes, u))
os.chmod(homes, 0o755)
OTHER = "jdoe@elsewhere.example\n"
with open(os.path.join(homes, "jdoe", ".forward"), "w") as f:
    f.write(OTHER)
r = migrate("-f", "-H", homes, "crlf", "jdoe")
t.is_(r.returncode, 0, "-f: exits 0")
fwd = os.path.join(homes, "crlf", ".forward")
t.is_(open(fwd).read() if os.path.exists(fwd) else None,
      '"|/usr/sbin/deliver crlf"\n', "-f: .forward holds the alias's pipe")
t.is_(os.stat(fwd).st_mode & 0o777 if os.path.exists(fwd) else None, 0o644,
      "  mode 0644")
t.is_(sorted(os.listdir(os.path.join(homes, "crlf"))), [".forward"],
      "  no temporary file left")
t.like(r.stdout, r"crlf -> crlf: .*alias: crlf: \"\|/usr/sbin/deliver "
       r"crlf\"; forward: \S+/crlf/\.forward written; ok", "  reported")
t.is_(open(os.path.join(homes, "jdoe", ".forward")).read(), OTHER,
      "a .forward with other contents is kept")
t.like(r.stderr, r"migrate: jdoe: \S+/jdoe/\.forward has other contents: "
       r"not changed; forward by hand: \"\|/usr/sbin/deliver jdoe\"",
       "  and said so")
t.like(r.stdout, r"jdoe -> jdoe: .*forward: \S+ kept \(other contents\); ok",
       "  in the report too")
r = migrate("-f", "-H", homes, "crlf")
t.like(r.stdout, r"forward: \S+/crlf/\.forward already set; ok",
       "second -f run: already set")
if os.geteuid() == 0:
    import pwd
    nb = pwd.getpwnam("nobody")
    os.makedirs(os.path.join(homes, "nobody"))
    os.chown(os.path.join(homes, "nobody"), nb.pw_uid, nb.pw_gid)
    r = migrate("-f", "-H", homes, "nobody")
    p = os.path.join(homes, "nobody", ".forward")
    s_ = os.stat(p) if os.path.exists(p) else None
    t.is_((s_.st_uid, s_.st_gid, s_.st_mode & 0o777) if s_ else r.stderr,
          (nb.pw_uid, nb.pw_gid, 0o644),
          "a login user's .forward is the user's (as root)")
else:
    t.ok(True, "# SKIP not root: ownership of a login user's .forward")

# ---- the store's POP accounts become IMAP accounts ----
def pop_uidls(name):
    c = pop3test.login(st, name, "Secret123")
    c.cmd("UIDL")
    u = [l.split()[1].decode() for l in c.multi()]
    c.cmd("QUIT")
    c.close()
    return u


with open(os.path.join(mail, "popuser"), "wb") as f:
    f.write(b"From p@example.org Mon Jan  5 10:00:00 2015\n"
            b"Subject: p1\nMessage-ID: <p1@test>\nStatus: RO\n\none\n\n"
            b"From p@example.org Mon Jan  5 10:00:00 2015\n"
            b"Subject: p2\nMessage-ID: <p2@test>\n\ntwo\n")
r = migrate("-t", "pop", "popuser")
t.like(r.stdout, r"popuser -> popuser: account created; mbox \S+: 2 found, 2 "
       r"migrated", "-t pop: a POP account")
st.popmgr("modify", "popuser", "-password=Secret123",
          "-flags=(nopwd_elsewhere)")
before_recs = et.records(st, "popuser")
before_uidls = pop_uidls("popuser")
sv = storecheck.StoreView(st.conf)
r = migrate("-n", "-I", "popuser")
t.like(r.stdout, r"^popuser: pop -> imap \(dry run\)", "-I -n: report")
t.like(st.popmgr("show", "popuser").stdout, r"(?m)^Store Type:\s+pop",
       "  no change")
r = st.run("migrate/migrate", "-I", "popuser", "nosuchaccount")
t.is_(r.returncode, 75, "-I: an unknown account is an error")
t.like(r.stderr, r"migrate: nosuchaccount: no such account", "  said so")
t.like(r.stdout, r"^popuser: pop -> imap; folders created: Drafts Sent Trash "
       r"Junk; INBOX unchanged; ok", "-I: report")
t.like(st.popmgr("show", "popuser").stdout, r"(?m)^Store Type:\s+imap",
       "  the account is IMAP now")
t.is_(sorted(sv.folders("popuser").values()),
      ["Drafts", "INBOX", "Junk", "Sent", "Trash"], "  with the IMAP folders")
t.is_(et.records(st, "popuser"), before_recs,
      "  INBOX records (UIDs) unchanged")
t.is_(pop_uidls("popuser"), before_uidls, "  POP3 UIDLs unchanged")
r = st.run("migrate/migrate", "-I", "popuser")
t.like(r.stdout, r"^popuser: imap -> imap; folders created: none; INBOX "
       r"unchanged; ok", "-I again: nothing to do")

# ---- a large mailbox: counts in == out, a rerun adds nothing ----
BIG = 2000 if os.environ.get("POPSTORE_SANITIZED") == "1" else 10000
with open(os.path.join(mail, "big"), "wb") as f:
    for i in range(BIG):
        f.write(b"From s%d@example.org Mon Jan  5 10:00:00 2015\n"
                b"From: s%d@example.org\nSubject: big %d\n"
                b"Message-ID: <b%d@test>\n\nbody %d\n\n" % (i, i, i, i, i))
r = st.run("migrate/migrate", "-m", mail, "-M", mdirs, "big", timeout=600)
t.like(r.stdout, r"big -> big: account created; mbox \S+: %d found, %d "
       r"migrated, 0 already there; .*; ok" % (BIG, BIG),
       "%d-message mailbox: all migrated" % BIG)
t.is_(len(et.records(st, "big")), BIG, "  %d index records" % BIG)
r = st.run("migrate/migrate", "-m", mail, "-M", mdirs, "big", timeout=600)
t.like(r.stdout, r"big -> big: account exists; mbox \S+: %d found, 0 "
       r"migrated, %d already there" % (BIG, BIG), "  rerun: nothing added")
t.is_(len(et.records(st, "big")), BIG, "  still %d records" % BIG)

t.is_(st.run("reconstruct/reconstruct", "-n").stdout, "",
      "reconstruct -n: store consistent")
et.clean(t, st)
logs = "\n".join(st.log_lines())
t.like(logs, r"migrate\[\d+\]: notice: event=migrate user=jdoe found=6 "
       r"migrated=6 present=0 dry_run=0 result=ok", "per-user log line")
t.is_(st.log_errors([r"migrate_failed user=Bad/Name",
                     r"pop_to_imap_failed account=nosuchaccount"]), [],
      "no other errors logged")
pop3test.check_sanitizers(t)
t.done()
