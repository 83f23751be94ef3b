#!/usr/bin/env python3
"""deliver -c (check addresses, exit 0/67/75 with one line each) and
deliver -p (the Postfix policy delegation protocol: DUNNO, REJECT,
DEFER_IF_PERMIT), neither storing anything."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import deliverlib as dl  # noqa: E402
import pstest  # noqa: E402

t = pstest.Tap()
st = dl.new_store(t, accounts=["jdoe", "dm", "q1"], switches=["-store=pop"])
st.popmgr("modify", "dm", "-flags=dismail")
st.popmgr("modify", "q1", "-quota=1", "-overdraft=1")
st.popmgr("forward", "alias", "far@elsewhere.example")
r = dl.deliver(st, "q1", input=dl.message(1, 1500))
t.is_(r.returncode, 0, "q1 filled past its quota, into its overdraft")

r = dl.deliver(st, "-c", "jdoe", "<jdoe+box@example.com>", "alias")
t.is_((r.returncode, r.stderr), (0, ""), "-c: deliverable addresses exit 0")
t.is_(len(r.stdout.splitlines()), 3, "-c: one line per address")
t.like(r.stdout, r"2\.1\.5 <alias>: deliverable \(forwarded\)", "forwarding")
r = dl.deliver(st, "-c", "nosuch")
t.is_((r.returncode, r.stderr), (67, "5.1.1 <nosuch>: no such user\n"),
      "-c unknown: 67 and one line")
r = dl.deliver(st, "-c", "dm")
t.is_((r.returncode, r.stderr[:6]), (69, "5.2.1 "), "-c DISMAIL: 69 5.2.1")
r = dl.deliver(st, "-c", "q1")
t.is_((r.returncode, r.stderr[:6]), (75, "4.2.2 "),
      "-c over quota, REJECT_OVER_QUOTA=0: 75 4.2.2")
rq = os.path.join(st.tmp, "rq.conf")
with open(st.conf) as f, open(rq, "w") as g:
    g.write(f.read() + "REJECT_OVER_QUOTA=1\n")
r = dl.deliver(st, "-c", "q1", conf=rq)
t.is_((r.returncode, r.stderr[:6]), (69, "5.2.2 "),
      "-c over quota, REJECT_OVER_QUOTA=1: 69 5.2.2")
r = dl.deliver(st, "-c", "jdoe", "nosuch", "q1")
t.is_(r.returncode, 75, "-c: a temporary failure wins over a permanent one")
t.is_(len(dl.stored(st, "jdoe")), 0, "-c stores nothing")


def req(rcpt, state="RCPT", extra=""):
    return ("request=smtpd_access_policy\nprotocol_state=%s\n"
            "protocol_name=ESMTP\nclient_address=127.0.0.1\n"
            "sender=s@example.org\nrecipient=%s\n%s\n" % (state, rcpt, extra))


script = (req("jdoe@example.com") + req("nosuch@example.com") + req("dm") +
          req("q1") + req("anything", state="DATA") +
          req("q1", extra="size=100\n"))
r = dl.deliver(st, "-p", input=script)
answers = r.stdout.split("\n\n")
t.is_(r.returncode, 0, "-p exits 0 at end of input")
t.is_(answers[0], "action=DUNNO", "policy: known user: DUNNO")
t.is_(answers[1], "action=REJECT 5.1.1 <nosuch@example.com>: no such user",
      "policy: unknown: REJECT 5.1.1")
t.like(answers[2], r"^action=REJECT 5\.2\.1 ", "policy: DISMAIL: REJECT 5.2.1")
t.like(answers[3], r"^action=DEFER_IF_PERMIT 4\.2\.2 ",
       "policy: over quota: DEFER_IF_PERMIT 4.2.2")
t.is_(answers[4], "action=DUNNO", "policy: other protocol states: DUNNO")
t.is_(len([a for a in answers if a]), 6, "one answer per request")
r = dl.deliver(st, "-p", input="recipient=" + "x" * 9000 + "\n\n")
t.is_(r.stdout, "", "policy: an overlong attribute line ends the session")
t.ok(not st.log_errors(), "no errors logged", "\n".join(st.log_errors()))
t.done()
