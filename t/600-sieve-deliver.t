#!/usr/bin/env python3
"""Sieve through deliver: every command, test and extension decides where
a real delivery goes (pipe mode and LMTP). fileinto into existing and
missing folders, :create, :copy, redirect (with loop protection, a
failing MTA and the limit), reject and ereject (refusal captured from the
fake SENDMAIL; 550 5.7.1 in LMTP), imap4flags seen in the folder records,
envelope and subaddress, body, relational, regex with captures, a hostile
regex bounded in time, broken and oversized scripts that lose no mail."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import deliverlib as dl  # noqa: E402
import pstest  # noqa: E402
import sievetest  # noqa: E402
from sievetest import msg  # noqa: E402

t = pstest.Tap()
start = time.time()
since = time.time() - 1
sv = sievetest.Sieve(t, ["jdoe", "ann", "bob", "pop1"])
sv.st.popmgr("modify", "pop1", "-store=pop")
st = sv.st


def case(name, script, message, want, rcpt="jdoe", sender=None):
    """Install script, deliver message, check where it went:
    want = {folder: count added}."""
    r = sv.script("jdoe", script)
    if not t.is_(r.returncode, 0, "%s: script accepted" % name):
        t.diag(r.stderr)
    before = {f: sv.count("jdoe", f) for f in want}
    kw = {"sender": sender} if sender is not None else {}
    r = sv.deliver(rcpt, message, **kw)
    t.is_((r.returncode, r.stderr), (0, ""), "%s: delivered" % name)
    got = {f: sv.count("jdoe", f) - before[f] for f in want}
    t.is_(got, want, "%s: %s" % (name, ", ".join(
        "%s +%d" % kv for kv in sorted(want.items()))))


REQ = 'require ["fileinto", "mailbox", "copy"];\n'
st.popmgr("sieve", "jdoe", "-remove")
r = sv.deliver("jdoe", msg())
t.is_(sv.count("jdoe"), 1, "no script: INBOX")
# an IMAP account gets Drafts, Sent, Trash, Junk at first use
case("keep", "keep;", msg(), {"INBOX": 1})
case("discard", "discard;", msg(), {"INBOX": 0})
case("stop", "stop; discard;", msg(), {"INBOX": 1})
case("fileinto existing", REQ + 'fileinto "Junk";', msg(),
     {"Junk": 1, "INBOX": 0})
mark = sv.log_mark()
case("fileinto missing", REQ + 'fileinto "Nope";', msg(), {"INBOX": 1})
t.ok(any("event=sieve_fileinto" in l and "folder=Nope" in l and
         "action=INBOX" in l for l in sv.log_since(mark)),
     "fileinto missing: logged, kept in INBOX")
t.is_(sv.folder_id("jdoe", "Nope"), None, "fileinto missing: not created")
case("fileinto :create", REQ + 'fileinto :create "Lists/new";', msg(),
     {"Lists/new": 1, "INBOX": 0})
case("fileinto :copy", REQ + 'fileinto :copy "Junk";', msg(),
     {"Junk": 1, "INBOX": 1})
case("fileinto twice stores once", REQ + 'fileinto "Junk"; fileinto "Junk";',
     msg(), {"Junk": 1, "INBOX": 0})

# ---- tests ----
case("header :contains", REQ + 'if header :contains "subject" "MONEY" '
     '{ fileinto "Junk"; }', msg("free money"), {"Junk": 1, "INBOX": 0})
case("header no match", REQ + 'if header :contains "subject" "money" '
     '{ fileinto "Junk"; }', msg("lunch"), {"Junk": 0, "INBOX": 1})
case("header RFC 2047", REQ + 'if header :is "subject" "caf\u00e9" '
     '{ fileinto "Junk"; }', msg("=?iso-8859-1?Q?caf=E9?="),
     {"Junk": 1})
case("address :domain", REQ + 'if address :domain :is "from" "example.org" '
     '{ fileinto "Junk"; }', msg(), {"Junk": 1})
case("address :localpart", REQ + 'if address :localpart "from" "ann" '
     '{ fileinto "Junk"; }', msg(), {"Junk": 1})
case("exists", REQ + 'if exists "X-Spam-Flag" { fileinto "Junk"; }',
     msg(extra="X-Spam-Flag: YES\n"), {"Junk": 1})
case("size :over", REQ + 'if size :over 10K { fileinto "Junk"; }',
     msg(body="x" * 20000 + "\n"), {"Junk": 1})
case("size :under", REQ + 'if size :under 10K { fileinto "Junk"; }',
     msg(), {"Junk": 1})
case("allof/anyof/not", REQ + 'if allof (not false, anyof (false, true)) '
     '{ fileinto "Junk"; }', msg(), {"Junk": 1})
case("elsif/else", REQ + 'if false { discard; } elsif header :is "subject" '
     '"x" { discard; } else { fileinto "Junk"; }', msg(), {"Junk": 1})
case("envelope from", REQ + 'require "envelope"; if envelope :is "from" '
     '"boss@example.org" { fileinto "Junk"; }', msg(),
     {"Junk": 1}, sender="boss@example.org")
case("envelope :detail (subaddress)", REQ + 'require ["envelope", '
     '"subaddress"]; if envelope :detail "to" "lists" '
     '{ fileinto "Junk"; }', msg(), {"Junk": 1}, rcpt="jdoe+lists")
case("envelope :user (subaddress)", REQ + 'require ["envelope", '
     '"subaddress"]; if envelope :user "to" "jdoe" { fileinto "Junk"; }',
     msg(), {"Junk": 1}, rcpt="jdoe+x")
case("address :detail", REQ + 'require "subaddress"; '
     'if address :detail "to" "tag" { fileinto "Junk"; }',
     msg(to="jdoe+tag@mail.example.com"), {"Junk": 1})
st.popmgr("sieve", "jdoe", "-remove")
before = sv.count("jdoe")
sv.deliver("jdoe+Junk", msg())
plain = sv.count("jdoe") - before
case("keep goes where delivery without a script goes", "keep;", msg(),
     {"INBOX": plain}, rcpt="jdoe+Junk")
case("body :contains", REQ + 'require "body"; if body :contains "viagra" '
     '{ fileinto "Junk"; }', msg(body="buy VIAGRA now\n"), {"Junk": 1})
b64 = ("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n")
case("body decodes base64 parts", REQ + 'require "body"; '
     'if body :text :contains "secret word" { fileinto "Junk"; }',
     msg(extra=b64, body="--b\nContent-Type: text/plain\n"
         "Content-Transfer-Encoding: base64\n\nYSBzZWNyZXQgd29yZA==\n--b--\n"),
     {"Junk": 1})
case("relational :count", REQ + 'require "relational"; '
     'if header :count "ge" "received" "3" { fileinto "Junk"; }',
     msg(extra="Received: a\nReceived: b\n"), {"Junk": 1})
case("relational :value numeric", REQ + 'require ["relational", '
     '"comparator-i;ascii-numeric"]; if header :value "ge" :comparator '
     '"i;ascii-numeric" "x-spam-score" "10" { fileinto "Junk"; }',
     msg(extra="X-Spam-Score: 12\n"), {"Junk": 1})
case("regex captures into variables", REQ + 'require ["regex", '
     '"variables"]; if header :regex "list-id" "<([a-z]+)\\\\.lists\\\\." '
     '{ fileinto :create "lists/${1}"; }',
     msg(extra="List-Id: Users <users.lists.example.org>\n"),
     {"lists/users": 1, "INBOX": 0})
case("matches captures", REQ + 'require "variables"; '
     'if header :matches "subject" "[*] *" { fileinto :create "m/${1}"; }',
     msg("[acme] [fwd] news"), {"m/acme": 1})
case("variables set :lower", REQ + 'require "variables"; '
     'set :lower "f" "JUNK"; if string :is "${f}" "junk" '
     '{ fileinto "Junk"; }', msg(), {"Junk": 1})
case("mailboxexists", REQ + 'if mailboxexists "Junk" { fileinto "Junk"; }',
     msg(), {"Junk": 1})
# currentdate (RFC 5260): the day of delivery against fixed dates, and
# the year in UTC (a delivery over midnight of New Year's Eve is unlikely).
case("currentdate :value ge", REQ + 'require ["date", "relational"]; '
     'if currentdate :value "ge" "date" "2000-01-01" { fileinto "Junk"; }',
     msg(), {"Junk": 1})
case("currentdate :value le in the past", REQ + 'require ["date", '
     '"relational"]; if currentdate :value "le" "date" "2000-01-01" '
     '{ fileinto "Junk"; }', msg(), {"INBOX": 1, "Junk": 0})
case("currentdate :zone year", REQ + 'require "date"; if currentdate '
     ':zone "+0000" "year" "%s" { fileinto "Junk"; }'
     % time.strftime("%Y", time.gmtime()), msg(), {"Junk": 1})

# ---- hostile regex: bounded, mail kept, error logged with line:col ----
mark = sv.log_mark()
t0 = time.time()
case("hostile regex", 'require "regex";\nif header :regex "subject" '
     '"^(a|aa)+$" { discard; }', msg("a" * 5000 + "!"), {"INBOX": 1})
t.ok(time.time() - t0 < 5, "hostile regex: delivery bounded in time (%.2fs)"
     % (time.time() - t0))
errs = [l for l in sv.log_since(mark) if "event=sieve_error" in l]
t.ok(len(errs) == 1 and "account=jdoe" in errs[0] and
     re.search(r'error="?2:4: regular expression', errs[0]),
     "hostile regex: one sieve_error with account and 2:4", errs)

# ---- imap4flags: flags and keywords in the records ----
case("imap4flags", REQ + 'require "imap4flags"; addflag "\\\\Flagged";'
     'addflag ["$Important", "\\\\Seen"]; fileinto "Junk";', msg(),
     {"Junk": 1})
rec = sv.records("jdoe", "Junk")[-1]
t.is_((rec[1], rec[2]), (0x1 | 0x4, ["$Important"]),
      "imap4flags: \\Seen \\Flagged and $Important on the record")
case("removeflag and hasflag", REQ + 'require "imap4flags"; '
     'addflag ["a", "b"]; removeflag "A"; if allof (hasflag "b", '
     'not hasflag :is "a") { fileinto "Junk"; }', msg(), {"Junk": 1})
t.is_(sv.records("jdoe", "Junk")[-1][1:], (0, ["b"]),
      "removeflag: only b stays on the record")
case("keep :flags", 'require "imap4flags"; keep :flags "\\\\Answered";',
     msg(), {"INBOX": 1})
t.is_(sv.records("jdoe")[-1][1:], (0x2, []), "keep :flags: \\Answered")
case("implicit keep takes the flags", 'require "imap4flags"; '
     'setflag "seen-by-filter";', msg(), {"INBOX": 1})
t.is_(sv.records("jdoe")[-1][1:], (0, ["seen-by-filter"]),
      "implicit keep: keyword")

kws = " ".join("k%d" % i for i in range(70))
case("more flags than a folder holds", REQ + 'require "imap4flags"; '
     'addflag "%s"; fileinto :create "KW";' % kws, msg(), {"KW": 1})
t.is_(len(sv.records("jdoe", "KW")[-1][2]), 64,
      "SIEVE_FLAGS_MAX: 64 keywords kept, the rest ignored")

# LMTP: two addresses of one account, one copy per folder, two replies
sv.script("jdoe", REQ + 'require ["envelope", "subaddress"];'
          'if envelope :detail "to" "x" { fileinto "Junk"; }')
before = (sv.count("jdoe"), sv.count("jdoe", "Junk"))
r = dl.lmtp(st, b"LHLO x\r\nMAIL FROM:<s@example.org>\r\nRCPT TO:<jdoe>\r\n"
            b"RCPT TO:<jdoe+x>\r\nDATA\r\nSubject: two\r\n\r\nb\r\n.\r\n"
            b"QUIT\r\n")
rep = dl.replies(r.stdout)
i = next(k for k, l in enumerate(rep) if l.startswith("354"))
t.is_(rep[i + 1:i + 3], ["250 2.0.0 <jdoe>: delivered",
                         "250 2.0.0 <jdoe+x>: delivered"],
      "LMTP, one account twice: two replies")
t.is_((sv.count("jdoe") - before[0], sv.count("jdoe", "Junk") - before[1]),
      (1, 1), "LMTP, one account twice: INBOX and Junk once each")

# ---- redirect ----
sv.sent()
case("redirect", 'redirect "elsewhere@example.net";', msg("fw"),
     {"INBOX": 0}, sender="s@example.org")
out = sv.sent()
t.is_(len(out), 1, "redirect: one message to SENDMAIL")
if out:
    args, data = out[0]
    t.is_(args[-2:], ["--", "elsewhere@example.net"], "redirect: recipient")
    t.ok("-f" in args and args[args.index("-f") + 1] == "s@example.org",
         "redirect: original envelope sender", args)
    t.ok(data.startswith(b"Delivered-To: jdoe@mail.example.com\r\n") and
         b"Return-Path:" not in data and b"Subject: fw" in data,
         "redirect: Delivered-To added, the stored copy follows",
         data[:200])
case("redirect :copy", 'require "copy"; redirect :copy "x@example.net";',
     msg(), {"INBOX": 1})
t.is_(len(sv.sent()), 1, "redirect :copy: sent and kept")
mark = sv.log_mark()
case("redirect loop", 'redirect "x@example.net";',
     msg(extra="Delivered-To: jdoe@mail.example.com\n"), {"INBOX": 1})
t.is_(len(sv.sent()), 0, "redirect loop: not sent again, kept instead")
t.ok(any("mail loop" in l for l in sv.log_since(mark)), "loop logged")
sv.script("jdoe", 'redirect "x@example.net";')
before = sv.count("jdoe")
r = sv.deliver("jdoe", msg(), env={"FAKE_SENDMAIL_EXIT": "1"})
t.is_((r.returncode, sv.count("jdoe") - before), (0, 1),
      "redirect refused by the MTA: kept in INBOX")
sv.sent()
case("redirect limit", "".join('redirect "r%d@example.net";\n' % i
                               for i in range(5)), msg(), {"INBOX": 1})
t.is_(len(sv.sent()), 0, "more than 4 redirects: none sent, kept")

# ---- reject / ereject ----
case("reject", 'require "reject"; reject "I do not want this.";',
     msg("unwanted"), {"INBOX": 0}, sender="s@example.org")
out = sv.sent()
t.is_(len(out), 1, "reject: one refusal")
if out:
    args, data = out[0]
    t.ok(args[:3] == ["-i", "-f", ""] and args[-1] == "s@example.org",
         "reject: from <> to the sender", args)
    t.ok(b"report-type=disposition-notification" in data and
         b"I do not want this." in data and
         b"Disposition: automatic-action/MDN-sent-automatically; deleted"
         in data and b"Subject: Rejected: unwanted" in data and
         b"Auto-Submitted: auto-replied" in data,
         "reject: an MDN with the reason", data[:600])
case("ereject", 'require "ereject"; ereject "Go away.";', msg(),
     {"INBOX": 0}, sender="s@example.org")
out = sv.sent()
t.ok(len(out) == 1 and b"report-type=delivery-status" in out[0][1] and
     b"Status: 5.7.1" in out[0][1] and b"Go away." in out[0][1],
     "ereject: a DSN with 5.7.1 and the reason",
     out[0][1][:600] if out else out)
case("reject from <>", 'require "reject"; reject "no";', msg(),
     {"INBOX": 0}, sender="")
t.is_(len(sv.sent()), 0, "reject of a null-sender message: no refusal")
sv.script("jdoe", 'require "reject"; reject "no";')
before = sv.count("jdoe")
r = sv.deliver("jdoe", msg(), env={"FAKE_SENDMAIL_EXIT": "75"})
t.is_((r.returncode, sv.count("jdoe") - before), (0, 1),
      "refusal refused by the MTA: kept in INBOX")
sv.sent()
case("reject with keep is an error: kept", 'require "reject"; keep; '
     'reject "no";', msg(), {"INBOX": 1})
t.is_(len(sv.sent()), 0, "no refusal after a run-time error")

# LMTP: 550 5.7.1 for the rejecting recipient, 250 for the other
sv.script("jdoe", 'require "reject"; reject "Not today.";')
st.popmgr("sieve", "ann", "-remove")
before = (sv.count("jdoe"), sv.count("ann"))
r = dl.lmtp(st, b"LHLO x\r\nMAIL FROM:<s@example.org>\r\nRCPT TO:<jdoe>\r\n"
            b"RCPT TO:<ann>\r\nDATA\r\nSubject: l\r\n\r\nb\r\n.\r\nQUIT\r\n")
rep = dl.replies(r.stdout)
i = next(k for k, l in enumerate(rep) if l.startswith("354"))
t.is_(rep[i + 1:i + 3], ["550 5.7.1 <jdoe>: rejected: Not today.",
                         "250 2.0.0 <ann>: delivered"],
      "LMTP: 550 5.7.1 for the rejecting recipient only")
t.is_((sv.count("jdoe") - before[0], sv.count("ann") - before[1]), (0, 1),
      "LMTP: nothing stored for the rejecting recipient")
t.is_(len(sv.sent()), 0, "LMTP reject: the MTA bounces, no refusal sent")

# ---- scripts that fail never lose mail ----
mark = sv.log_mark()
sv.script_raw("jdoe", b'require "fileinto";\nif header :is "a" "b" {\n'
              b'  fileinot "x";\n}\n')
before = sv.count("jdoe")
r = sv.deliver("jdoe", msg())
t.is_((r.returncode, sv.count("jdoe") - before), (0, 1),
      "syntax error: kept in INBOX")
errs = [l for l in sv.log_since(mark) if "event=sieve_error" in l]
t.ok(len(errs) == 1 and "stage=parse" in errs[0] and
     "3:3: unknown command" in errs[0], "syntax error logged once with 3:3",
     errs)
big = b'# ' + b'x' * (1024 * 1024) + b'\nkeep;\n'
sv.n += 1
path = os.path.join(st.tmp, "big.sieve")
with open(path, "wb") as f:
    f.write(big)
r = st.popmgr("sieve", "jdoe", "-set=" + path)
t.ok(r.returncode == 65 and "1:1: script larger than SIEVE_SCRIPT_MAX" in
     r.stderr, "1 MB script refused by popmgr", r.stderr)
sv.script_raw("jdoe", big)
mark = sv.log_mark()
before = sv.count("jdoe")
r = sv.deliver("jdoe", msg())
t.is_((r.returncode, sv.count("jdoe") - before), (0, 1),
      "1 MB script in place: message kept in INBOX")
t.ok(any("event=sieve_error" in l and "account=jdoe" in l
         for l in sv.log_since(mark)), "1 MB script: error logged")

# several recipients: one broken script, one discard, one plain
sv.script_raw("jdoe", b"this is not sieve")
sv.script("ann", "discard;")
st.popmgr("sieve", "bob", "-remove")
before = [sv.count(a) for a in ("jdoe", "ann", "bob")]
r = sv.deliver(["jdoe", "ann", "bob"], msg())
t.is_((r.returncode, r.stderr), (0, ""), "three recipients: exit 0")
t.is_([sv.count(a) - b for a, b in zip(("jdoe", "ann", "bob"), before)],
      [1, 0, 1], "broken script kept, discard dropped, plain stored; "
      "nothing twice")

# POP accounts have only INBOX: fileinto goes there
sv.script("pop1", REQ + 'fileinto "Junk";')
r = sv.deliver("pop1", msg())
t.is_((r.returncode, len(dl.stored(st, "pop1"))), (0, 1),
      "POP account: fileinto lands in INBOX")

dl.check_clean(t, st, since=since)
t.is_(st.log_errors(), [], "no error lines in the log")
t.diag("elapsed " + dl.elapsed(start))
t.done()
