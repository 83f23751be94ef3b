#!/usr/bin/env python3
"""Sieve vacation (RFC 5230) through deliver: one answer per sender per
:days (and again once the log entry expires), none to lists, bulk,
auto-submitted mail, the null sender, daemons, mail not addressed to the
account, or the account itself; :addresses, :handle, :subject, :from,
:mime; the answer's headers (RFC 3834) and its null envelope sender."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import deliverlib as dl  # noqa: E402
import pstest  # noqa: E402
import sievetest  # noqa: E402
import storecheck  # noqa: E402
from sievetest import msg  # noqa: E402

t = pstest.Tap()
start = time.time()
sv = sievetest.Sieve(t, ["jdoe"])
st = sv.st

VAC = 'require "vacation";\nvacation :days 3 "I am away until Monday.";\n'
sv.script("jdoe", VAC)


def answers(name, message, sender, want, env=None):
    sv.sent()
    r = sv.deliver("jdoe", message, sender=sender, env=env)
    out = sv.sent()
    t.is_((r.returncode, len(out)), (0, want), "%s: %d answer%s" % (
        name, want, "" if want == 1 else "s"))
    return out


out = answers("first message", msg("Lunch?", extra="References: <a@x>\n"),
              "ann@example.org", 1)
t.is_(sv.count("jdoe"), 1, "the message itself is kept")
if out:
    args, data = out[0]
    head = data.split(b"\n\n", 1)[0].decode()
    t.is_(args, ["-i", "-f", "", "--", "ann@example.org"],
          "from the null sender to the envelope sender")
    t.like(head, r"(?m)^From: jdoe@mail\.example\.com$", "From: recipient")
    t.like(head, r"(?m)^To: <ann@example\.org>$", "To: the sender")
    t.like(head, r"(?m)^Subject: Auto: Lunch\?$", "Subject: Auto: ...")
    t.like(head, r"(?m)^Auto-Submitted: auto-replied", "Auto-Submitted")
    t.like(head, r"(?m)^In-Reply-To: <\d+@example\.org>$", "In-Reply-To")
    t.like(head, r"(?m)^References: <a@x> <\d+@example\.org>$", "References")
    t.like(head, r"(?m)^Content-Type: text/plain; charset=utf-8$",
           "text/plain UTF-8")
    t.ok(data.endswith(b"\n\nI am away until Monday.\n"), "the reason")
answers("same sender again", msg("Again"), "ann@example.org", 0)
answers("same sender, other case", msg("Again"), "ANN@example.org", 0)
answers("another sender", msg("Hi"), "bob@example.org", 1)

# the log entry expires after :days
d = storecheck.fanout(os.path.join(st.dir, "users"), "jdoe")
logf = os.path.join(d, "vacation")
with open(logf) as f:
    lines = f.read().splitlines()
t.ok(lines[0] == "popstore-vacation 1" and len(lines) == 3 and all(
    re.match(r"^\d+ [0-9a-f]{32}$", l) for l in lines[1:]),
     "the log: header and one line per sender", lines)
exp = int(lines[1].split()[0])
t.ok(abs(exp - (time.time() + 3 * 86400)) < 120, ":days 3 sets the expiry")
with open(logf, "w") as f:
    f.write(lines[0] + "\n" + "\n".join(
        "%d %s" % (int(time.time()) - 1, l.split()[1]) for l in lines[1:]) +
        "\n")
answers("after :days", msg("Later"), "ann@example.org", 1)

# never to lists, bulk, automatic mail, null sender, daemons
for name, extra, sender in [
        ("List-Id", "List-Id: <l.example.org>\n", "l1@example.org"),
        ("List-Unsubscribe", "List-Unsubscribe: <mailto:u@x>\n",
         "l2@example.org"),
        ("Precedence: bulk", "Precedence: bulk\n", "l3@example.org"),
        ("Precedence: junk", "Precedence: junk\n", "l4@example.org"),
        ("Precedence: list", "Precedence: list\n", "l5@example.org"),
        ("Auto-Submitted: auto-generated",
         "Auto-Submitted: auto-generated\n", "l6@example.org"),
        ("Auto-Submitted: auto-replied", "Auto-Submitted: auto-replied\n",
         "l7@example.org"),
        ("null sender", "", ""),
        ("MAILER-DAEMON", "", "MAILER-DAEMON@example.org"),
        ("owner-", "", "owner-list@example.org"),
        ("-request", "", "list-request@example.org"),
        ("the account itself", "", "jdoe@mail.example.com")]:
    answers("not to " + name, msg(extra=extra), sender, 0)
answers("Auto-Submitted: no is answered", msg(extra="Auto-Submitted: no\n"),
        "l8@example.org", 1)
answers("not addressed to the account", msg(to="other@example.org"),
        "l9@example.org", 0)
answers("Cc counts", msg(to="other@example.org",
                         extra="Cc: Jdoe <jdoe@mail.example.com>\n"),
        "l10@example.org", 1)

# :addresses, :subject, :from, :handle, :mime
sv.script("jdoe", 'require "vacation";\nvacation :addresses '
          '["john.doe@example.com"] :subject "Out of office" '
          ':from "John Doe <john.doe@example.com>" :handle "h1" "Away.";\n')
out = answers(":addresses", msg(to="john.doe@example.com"),
              "c1@example.org", 1)
if out:
    head = out[0][1].split(b"\n\n", 1)[0].decode()
    t.like(head, r"(?m)^Subject: Out of office$", ":subject")
    t.like(head, r"(?m)^From: John Doe <john\.doe@example\.com>$", ":from")
answers(":handle remembers the sender", msg(to="john.doe@example.com"),
        "c1@example.org", 0)
sv.script("jdoe", 'require "vacation";\nvacation :addresses '
          '["john.doe@example.com"] :handle "h2" "Away again.";\n')
answers("another :handle answers again", msg(to="john.doe@example.com"),
        "c1@example.org", 1)
sv.script("jdoe", 'require "vacation";\nvacation :addresses '
          '["john.doe@example.com"] :handle "h2" "Changed text.";\n')
answers("same :handle, new text: not again", msg(to="john.doe@example.com"),
        "c1@example.org", 0)
sv.script("jdoe", 'require "vacation";\nvacation "New text.";\n')
sv.sent()
answers("no :handle: a new text is a new vacation", msg(),
        "ann@example.org", 1)
sv.script("jdoe", 'require "vacation";\nvacation :mime text:\n'
          'Content-Type: text/plain; charset=us-ascii\n\nMIME body.\n.\n;\n')
out = answers(":mime", msg(), "m1@example.org", 1)
if out:
    t.ok(b"MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\n"
         b"MIME body.\n" in out[0][1], ":mime: the entity as given",
         out[0][1])
sv.script("jdoe", 'require "vacation";\nvacation :subject "\u00c9t\u00e9" '
          '"x";\n')
out = answers("8-bit subject", msg(), "u1@example.org", 1)
if out:
    t.ok(b"Subject: =?utf-8?B?w4l0w6k=?=" in out[0][1],
         "8-bit subject RFC 2047 encoded")
sv.script("jdoe", 'require ["vacation", "variables"];\n'
          'if header :matches "subject" "*" { set "s" "${1}"; }\n'
          'vacation :subject "Re: ${s}" "x";\n')
out = answers("variables in :subject", msg("Plans"), "v1@example.org", 1)
if out:
    t.ok(b"Subject: Re: Plans\n" in out[0][1], "expanded :subject")
sv.sent()
sv.script("jdoe", VAC)
r = dl.lmtp(st, b"LHLO x\r\nMAIL FROM:<lmtp@example.org>\r\n"
            b"RCPT TO:<jdoe>\r\nDATA\r\nTo: jdoe@mail.example.com\r\n"
            b"Subject: over LMTP\r\n\r\nb\r\n.\r\nQUIT\r\n")
out = sv.sent()
t.ok("250 2.0.0 <jdoe>: delivered" in r.stdout and len(out) == 1 and
     out[0][0][-1] == "lmtp@example.org", "LMTP: delivered and answered",
     r.stdout)
r = sv.deliver("jdoe", msg(), sender="fail@example.org",
               env={"FAKE_SENDMAIL_EXIT": "75"})
t.is_(r.returncode, 0, "an answer the MTA refuses does not fail delivery")
t.is_(st.log_errors(), [], "no error lines in the log")
t.diag("elapsed %.1fs" % (time.time() - start))
t.done()
