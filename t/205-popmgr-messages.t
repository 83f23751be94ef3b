#!/usr/bin/env python3
"""popmgr and messages: show -messages, modify -message_count (the
oldest go), delete -messages, and -return through a fake SENDMAIL that
captures the RFC 3464 DSNs."""
import glob
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import pstest  # noqa: E402

t = pstest.Tap()
tool = pstest.program("t/unit/039-popmgr-msgtool.t")
if not os.path.exists(tool):
    t.skip_all("t/unit/039-popmgr-msgtool.t not built")
st = pstest.Store(t, init=False)
spool = os.path.join(st.tmp, "dsn")
os.mkdir(spool)
sendmail = os.path.join(st.tmp, "sendmail")
with open(sendmail, "w") as f:
    f.write('#!/bin/sh\nf=$(mktemp %s/dsn.XXXXXX)\n'
            'printf "[%%s]" "$@" > "$f.args"\ncat > "$f"\n'
            'exit ${FAKE_SENDMAIL_EXIT:-0}\n' % spool)
os.chmod(sendmail, 0o755)
with open(st.conf, "a") as f:
    f.write("SENDMAIL=%s\n" % sendmail)
t.is_(st.popmgr("init").returncode, 0, "init")


def pm(*args, **kw):
    return st.popmgr(*args, **kw)


def deliver(account, sender, subject, flags="-", folder="INBOX", body="hi"):
    msg = ("Return-Path: <%s>\nFrom: Someone <%s>\nSubject: %s\n"
           "Message-ID: <%s@example.org>\n\n%s\n"
           % (sender, sender or "nobody@example.org", subject,
              subject.replace(" ", "."), body))
    r = subprocess.run([tool, "deliver", st.conf, account, sender, flags,
                        folder], input=msg.encode(), capture_output=True)
    return r.returncode == 0


def dsns():
    """The captured DSNs: list of (args, message), oldest first."""
    out = []
    for p in sorted(glob.glob(os.path.join(spool, "dsn.*.args")),
                    key=os.path.getmtime):
        out.append((open(p).read(), open(p[:-5]).read()))
    return out


def clear():
    for p in glob.glob(os.path.join(spool, "*")):
        os.unlink(p)


# ---- show -messages and -message_count ----
pm("add", "trim")
ok = all([deliver("trim", "a@example.org", "one", "seen"),
          deliver("trim", "b@example.org", "=?utf-8?q?caf=C3=A9?= two"),
          deliver("trim", "c@example.org", "three"),
          deliver("trim", "d@example.org", "sent one", "-", "Sent"),
          deliver("trim", "e@example.org", "four", "flagged,deleted")])
t.ok(ok, "five messages delivered")
r = pm("show", "-messages", "trim")
t.is_(r.returncode, 0, "show -messages")
lines = r.stdout.splitlines()
t.like(lines[0], r"^Folder\s+UID\s+Size\s+Date\s+Flags\s+From\s+Subject",
       "header line")
t.is_(len(lines), 6, "a line per message")
t.like(r.stdout, r"(?m)^INBOX\s+1\s+\d+ \S+ \S+ seen\s+Someone "
       r"<a@example.org>\s+one$", "seen message")
t.like(r.stdout, r"(?m)^INBOX\s+2 .* caf\u00e9 two$", "RFC 2047 subject")
t.like(r.stdout, r"(?m)^INBOX\s+4 .*flagged,deleted .* four$", "flags")
t.like(r.stdout, r"(?m)^Sent\s+1 .* sent one$", "other folders too")
r = pm("show", "-messages", "trim", "-folder=Sent")
t.is_(len(r.stdout.splitlines()), 2, "-folder")
t.is_(pm("show", "-messages", "trim", "-folder=Nope").returncode, 65,
      "unknown folder")
t.is_(pm("show", "-messages", "nosuch").returncode, 67, "unknown account")
t.is_(pm("show", "-messages").returncode, 64, "show -messages needs a name")
tpl = os.path.join(st.tmp, "m.tpl")
with open(tpl, "w") as f:
    f.write("%none{empty}\n%msgr_folder/%msgr_uid %msgr_sender "
            "%msgr_size{%d}>0\n")
r = pm("show", "-messages", "trim", "-folder=INBOX", "-format=" + tpl)
t.like(r.stdout, r"^INBOX/1 a@example.org \d+>0\nINBOX/2 b@example.org",
       "message template")
t.like(pm("show", "trim").stdout, r"Message count:\s+5 \(5 total",
       "five messages counted")

t.is_(pm("modify", "trim", "-message_count=9").returncode, 65,
      "-message_count cannot raise")
r = pm("modify", "trim", "-message_count=3")
t.is_(r.returncode, 0, "-message_count=3: " + r.stderr)
r = pm("show", "-messages", "trim")
t.ok(not re.search(r"(?m)^INBOX .* (one|two)$", r.stdout),
     "the two oldest went", r.stdout)
t.ok("three" in r.stdout and "sent one" in r.stdout and "four" in r.stdout,
     "the rest stayed", r.stdout)
t.like(pm("show", "trim").stdout, r"Message count:\s+3 \(5 total",
       "counters follow")
t.is_(pm("modify", "trim", "-message_count=0").returncode, 0,
      "-message_count=0")
t.like(pm("show", "-messages", "trim").stdout, r"^No messages\n$",
       "all gone")
t.is_(dsns(), [], "trimming returns nothing")

# ---- delete -messages -return ----
pm("add", "ret")
ok = all([deliver("ret", "s1@example.org", "unread one"),
          deliver("ret", "s2@example.org", "read", "seen"),
          deliver("ret", "s3@example.org", "deleted", "deleted"),
          deliver("ret", "", "null sender"),
          deliver("ret", "MAILER-DAEMON@example.org", "a bounce"),
          deliver("ret", "s4@example.org", "draft", "-", "Drafts"),
          deliver("ret", "s5@example.org", "spam", "-", "Junk"),
          deliver("ret", "s6@example.org", "unread two", "-", "INBOX",
                  "SECRET BODY TEXT")])
t.ok(ok, "eight messages delivered")
r = pm("delete", "ret", "-messages", "-return", "-log")
t.is_(r.returncode, 0, "delete -messages -return: " + r.stderr)
t.is_(r.stdout, "ret: 8 messages deleted, 2 returned\n", "what was done")
t.is_(pm("show", "ret").returncode, 0, "the account stays")
t.like(pm("show", "-messages", "ret").stdout, r"^No messages\n$",
       "no messages left")
got = dsns()
t.is_(len(got), 2, "two DSNs: unread, in no special folder, with a sender")
t.is_(sorted(a for a, _ in got),
      ["[-i][-f][][--][s1@example.org]", "[-i][-f][][--][s6@example.org]"],
      "SENDMAIL -i -f '' -- SENDER")
msg = dict((a, m) for a, m in got).get("[-i][-f][][--][s6@example.org]", "")
t.like(msg, r"(?m)^From: Mail Delivery System <MAILER-DAEMON@mail.example.com>$",
       "from MAILER-DAEMON")
t.like(msg, r"(?m)^To: <s6@example.org>$", "to the sender")
t.like(msg, r"Content-Type: multipart/report; report-type=delivery-status;",
       "multipart/report")
t.like(msg, r"(?m)^Final-Recipient: rfc822; ret@mail.example.com$",
       "Final-Recipient")
t.like(msg, r"(?m)^Action: failed\nStatus: 5\.2\.0$", "Status 5.2.0")
t.like(msg, r"Content-Type: text/rfc822-headers\n\n(.*\n)*Subject: unread "
       r"two\n", "the original header")
t.ok("SECRET BODY TEXT" not in msg, "not the body")
t.ok("\r" not in msg, "LF line ends for sendmail")

# ---- delete an account, returning its unread mail ----
clear()
pm("add", "gone")
deliver("gone", "s7@example.org", "never read")
r = pm("delete", "gone", "-return")
t.is_(r.returncode, 0, "delete -return")
t.is_(pm("show", "gone").returncode, 67, "account deleted")
got = dsns()
t.is_(len(got), 1, "one DSN")
t.like(got[0][1] if got else "", r"Status: 5\.2\.1\n", "Status 5.2.1")
t.like(got[0][1] if got else "", r"has been closed", "reason")

# ---- when the MTA fails, messages and account stay ----
clear()
pm("add", "stuck")
deliver("stuck", "s8@example.org", "keep me")
deliver("stuck", "s9@example.org", "seen", "seen")
env = dict(FAKE_SENDMAIL_EXIT="75")
r = st.run("popmgr", "delete", "stuck", "-return", env=env)
t.is_(r.returncode, 75, "MTA temporary failure: 75")
t.like(r.stderr, r"stuck: message 1 in INBOX: cannot return it: .*\(kept\)",
       "says which message")
t.like(r.stderr, r"stuck: not deleted", "says the account stays")
r = pm("show", "-messages", "stuck")
t.like(r.stdout, r"keep me", "message kept")
r = st.run("popmgr", "delete", "stuck", "-messages", "-return", env=env)
t.is_(r.returncode, 75, "delete -messages -return fails too")
r = pm("show", "-messages", "stuck")
t.ok("keep me" in r.stdout and "seen" not in r.stdout,
     "the returnable message kept, the read one deleted", r.stdout)
clear()
t.is_(pm("delete", "stuck").returncode, 0, "plain delete")
t.is_(dsns(), [], "deleting without -return sends nothing")

lines = st.log_lines()
t.ok(any(re.search(r"event=messages_delete account=ret deleted=8 "
                   r"returned=2", l) for l in lines), "logged")
t.ok(any("event=account_delete account=gone returned=1" in l
         for l in lines), "account deletion logged with returns")
t.is_(st.log_errors(), [], "no errors logged")
t.done()
