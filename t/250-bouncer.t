#!/usr/bin/env python3
"""bouncer: unread expired messages go back to their senders as RFC 3464
DSNs, read ones are deleted silently, the null sender gets nothing, young
messages stay; -n changes nothing; RETURN_IMAP, DELETE_READ_AGE, never
expire (RETURN_AGE=0); an MTA failure keeps the message; block-days are
accounted; a second run does nothing more."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import expiretest as et  # noqa: E402
import pop3test  # noqa: E402
import pstest  # noqa: E402

t = pstest.Tap()
for prog in ("bouncer", "deliver", "popmgr", "pop3d"):
    if not os.path.exists(pstest.program(prog)):
        t.skip_all("%s is not built" % prog)

st, sent = et.store(t, "RETURN_AGE=30\n")
et.add(st, "pop1")
et.add(st, "imap1", "imap")
et.deliver(st, "alice@example.org", "pop1", et.message(1, "unread old"))
et.deliver(st, "bob@example.org", "pop1", et.message(2, "read old"))
et.deliver(st, "", "pop1", et.message(3, "bounce of a bounce"))
et.deliver(st, "carol@example.org", "pop1", et.message(4, "unread young"))
et.deliver(st, "dave@example.org", "pop1", et.message(5, "unread new"))
et.deliver(st, "erin@example.org", "imap1", et.message(6, "imap unread old"))
et.read(st, "pop1", [2])
et.age(st, "pop1", 40, uids={1, 2, 3})
et.age(st, "pop1", 10, uids={4})
et.age(st, "imap1", 40)
t.is_([r["flags"] & 1 for r in et.records(st, "pop1")], [0, 1, 0, 0, 0],
      "message 2 read through pop3d, the others unread")
et.clean(t, st, "aged store is consistent")

# ---- usage ----
r = et.bouncer(st, "--help")
t.ok(r.returncode == 0 and r.stdout.startswith(
    "usage: bouncer [-C file] [-d] [-n] [-v]"), "--help", r.stdout)
r = et.bouncer(st, "-x")
t.is_(r.returncode, 64, "unknown option: EX_USAGE")

# ---- dry run ----
index_before = open(et.index_path(st, "pop1"), "rb").read()
r = et.bouncer(st, "-n")
t.is_(r.returncode, 0, "-n exits 0")
t.like(r.stdout, r"would be returned pop1/INBOX uid 1 size \d+ "
       r"sender <alice@example\.org>", "-n: uid 1 would be returned")
t.like(r.stdout, r"would be deleted pop1/INBOX uid 2 ", "-n: uid 2 deleted")
t.like(r.stdout, r"would be no-sender pop1/INBOX uid 3 .*sender <>",
       "-n: uid 3 deleted without a DSN")
t.ok("uid 4" not in r.stdout and "imap1" not in r.stdout,
     "-n: young message and IMAP account not listed", r.stdout)
t.like(r.stdout, r"dry run: accounts 1, folders 1, returned 1, deleted 3",
       "-n: summary")
t.is_(et.sent(sent), [], "-n: nothing sent")
t.ok(open(et.index_path(st, "pop1"), "rb").read() == index_before,
     "-n: index unchanged")

# ---- the run ----
r = et.bouncer(st, "-v")
t.is_(r.returncode, 0, "bouncer exits 0")
t.like(r.stdout, r"returned pop1/INBOX uid 1 .*sender <alice@example\.org>",
       "-v: uid 1 returned")
t.is_(et.uids(st, "pop1"), [4, 5], "pop1 keeps only the young messages")
t.is_(et.uids(st, "imap1"), [1], "IMAP account untouched (RETURN_IMAP=0)")
out = et.sent(sent)
t.is_(len(out), 1, "one DSN sent")
argv, m = out[0] if out else ([], None)
t.is_(argv, ["-i", "-f", "", "--", "alice@example.org"],
      "sendmail argv: null envelope sender, to the original sender")
if m is not None:
    t.is_(m.get_content_type(), "multipart/report", "multipart/report")
    t.is_(m.get_param("report-type"), "delivery-status", "report-type")
    t.like(m["From"], r"MAILER-DAEMON@mail\.example\.com", "From MAILER-DAEMON")
    t.like(m["To"], r"^<?alice@example\.org>?$", "To the sender")
    t.like(m["Auto-Submitted"] or "", r"^auto-replied", "Auto-Submitted")
    parts = m.get_payload()
    t.is_([p.get_content_type() for p in parts],
          ["text/plain", "message/delivery-status", "text/rfc822-headers"],
          "three parts")
    t.like(parts[0].get_payload(), r"not read within 40 days",
           "human-readable part says why")
    ds = parts[1].get_payload()
    fields = "\n".join(str(p) for p in ds) if isinstance(ds, list) else ds
    t.like(fields, r"Reporting-MTA: dns; ?mail\.example\.com", "Reporting-MTA")
    t.like(fields, r"Final-Recipient: rfc822; ?pop1(@\S+)?", "Final-Recipient")
    t.like(fields, r"Action: failed", "Action: failed")
    t.like(fields, r"Status: 5\.2\.0", "Status: 5.2.0")
    t.like(fields, r"Diagnostic-Code: X-popstore; .*expired unread",
           "Diagnostic-Code")
    hdrs = parts[2].get_payload()
    t.like(hdrs, r"Subject: unread old", "original headers: Subject")
    t.like(hdrs, r"Message-ID: <msg1@test\.example>",
           "original headers: Message-ID")
    t.ok("Body of message 1" not in m.as_string(), "no body returned")
t.is_(et.returned_ids(sent), ["<msg1@test.example>"],
      "only the unread message from a real sender came back")
show = st.popmgr("show", "pop1").stdout
bd = re.search(r"Past block days:\s+(\d+)", show)
t.ok(bd and int(bd.group(1)) > 0, "past_block_days grew", show)
t.like(show, r"Message count:\s+2 ", "message count 2")
logs = "\n".join(st.log_lines())
t.like(logs, r"bouncer\[\d+\]: notice: event=bouncer accounts=1 folders=1 "
       r"returned=1 deleted=3 kept=0 bytes=\d+ errors=0 dry_run=0",
       "summary line logged")
t.like(logs, r"event=expired account=pop1 folder=INBOX uid=1 "
       r"action=returned sender=alice@example\.org", "return logged")
et.clean(t, st, "store consistent after the run")

# ---- again: nothing more ----
et.clear(sent)
r = et.bouncer(st, "-v")
t.ok(r.returncode == 0 and "returned 0, deleted 0" in r.stdout,
     "second run: nothing to do", r.stdout)
t.is_(et.sent(sent), [], "second run sends nothing")

# ---- IMAP accounts with RETURN_IMAP ----
pop3test.set_option(st, "RETURN_IMAP", "1")
r = et.bouncer(st)
t.is_(et.uids(st, "imap1"), [], "RETURN_IMAP=1: IMAP message expired")
t.is_(et.returned_ids(sent), ["<msg6@test.example>"], "and returned")

# ---- never expire ----
et.clear(sent)
pop3test.set_option(st, "RETURN_AGE", "0")
et.age(st, "pop1", 4000)
r = et.bouncer(st, "-v")
t.is_(r.returncode, 0, "RETURN_AGE=0: exit 0")
t.is_(et.uids(st, "pop1"), [4, 5], "RETURN_AGE=0: nothing expires")
t.is_(et.sent(sent), [], "RETURN_AGE=0: nothing sent")

# ---- DELETE_READ_AGE ----
pop3test.set_option(st, "RETURN_AGE", "30")
pop3test.set_option(st, "DELETE_READ_AGE", "5")
et.read(st, "pop1", [2])        # uid 5 read, uid 4 unread
et.age(st, "pop1", 7)
r = et.bouncer(st, "-v")
t.is_(et.uids(st, "pop1"), [4], "DELETE_READ_AGE=5: read 7-day message "
      "deleted, unread one kept")
t.is_(et.sent(sent), [], "nothing returned")

# ---- the MTA refuses: kept, returned later ----
et.age(st, "pop1", 31)
r = et.bouncer(st, "-v", env={"FAKE_SENDMAIL_EXIT": "75"})
t.is_(r.returncode, 0, "MTA failure: exit 0 (message kept)")
t.like(r.stdout, r"kept pop1/INBOX uid 4 ", "-v reports it kept")
t.is_(et.uids(st, "pop1"), [4], "message kept")
t.like("\n".join(st.log_lines()), r"warning: event=expired account=pop1 "
       r"folder=INBOX uid=4 action=kept", "kept logged as a warning")
et.clear(sent)
r = et.bouncer(st)
t.is_(et.uids(st, "pop1"), [], "next run returns it")
t.is_(et.returned_ids(sent), ["<msg4@test.example>"], "DSN sent then")

# ---- a bad option file ----
r = et.bouncer(st, "-C", "/nonexistent")
t.ok(r.returncode != 0, "bad option file: failure exit")

t.is_(st.log_errors(), [], "no errors logged")
pop3test.check_sanitizers(t)
t.done()
