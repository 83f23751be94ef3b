#!/usr/bin/env python3
"""The fail2ban filter in etc/fail2ban matches exactly the failed-login
lines pop3d and poppassd write (LOG_FILE form and syslog form): one per
attempt, with the client's address; never a success, never a connection
without an address. Uses fail2ban-regex when installed, else the same
expression in Python (with a note)."""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import pop3test as pt  # noqa: E402
import pstest  # noqa: E402

t = pstest.Tap()
PW = "Secret123"
st = pt.store(t, "LOGIN_FAIL_DELAY=0\nPLAINTEXT_LOGIN=always\n")
pt.add(st, "jdoe", PW)

attempts = [("192.0.2.7", "jdoe", "wrong1"), ("192.0.2.7", "nosuch", "x"),
            ("2001:db8::5", "jdoe", "wrong2")]
for ip, user, pw in attempts:
    c = pt.pipe(st, env={"TCPREMOTEIP": ip})
    c.cmd("USER " + user)
    c.cmd("PASS " + pw)
    c.close()
c = pt.pipe(st, env={"TCPREMOTEIP": "198.51.100.9"})
c.cmd("AUTH PLAIN " + pt.b64("\0jdoe\0nope"))
c.cmd("USER jdoe")
c.cmd("PASS " + PW)             # a success: must not match
c.close()
c = pt.pipe(st)                 # no address: must not match
c.cmd("USER jdoe")
c.cmd("PASS nope")
c.close()
c = pt.spawn(st, "poppassd/poppassd", env={"TCPREMOTEIP": "203.0.113.4"})
c.cmd("user jdoe")
c.cmd("pass wrong3")
c.close()

lines = st.log_lines()
fails = [l for l in lines if "event=auth_failed" in l]
t.is_(len(fails), 6, "six failed attempts logged")
t.ok(not any(p in "\n".join(lines) for p in ("wrong1", "wrong2", "wrong3",
                                              "nope", PW)),
     "no password in the log")
# The syslog form of the same lines, as rsyslog writes /var/log/mail.log.
syslog = []
for l in lines:
    m = re.match(r"^\S+ (\S+\[\d+\]): \w+: (.*)$", l)
    if m:
        syslog.append("Nov 23 10:00:00 mail %s: %s" % (m.group(1),
                                                        m.group(2)))
logfile = os.path.join(st.tmp, "mail.log")
with open(logfile, "w") as f:
    f.write("\n".join(lines + syslog) + "\n")
want = sorted(["192.0.2.7", "192.0.2.7", "2001:db8::5", "198.51.100.9",
               "203.0.113.4"] * 2)

filt = os.path.join(pstest.SRC, "etc", "fail2ban", "filter.d",
                    "popstore.conf")
common = "/etc/fail2ban/filter.d/common.conf"
if shutil.which("fail2ban-regex") and os.path.exists(common):
    cdir = os.path.join(st.tmp, "f2b")
    os.makedirs(os.path.join(cdir, "filter.d"))
    shutil.copy(common, os.path.join(cdir, "filter.d"))
    shutil.copy(filt, os.path.join(cdir, "filter.d"))
    r = subprocess.run(["fail2ban-regex", "-c", cdir, "--print-all-matched",
                        logfile, "popstore"], capture_output=True, text=True,
                       timeout=120)
    out = r.stdout
    t.is_(r.returncode, 0, "fail2ban-regex runs")
    t.like(out, r"Failregex: %d total" % len(want), "fail2ban-regex: every "
           "failure matched, nothing else")
    got = sorted(re.findall(r"ip=(\S+) tls", out.split("Missed line")[0]
                            .split("Matched line")[-1]))
    t.is_(got, want, "the addresses fail2ban would ban")
else:
    print("# fail2ban-regex is not installed: checking the filter's "
          "expression in Python instead")
    rx = re.compile(r"^(?:\S+Z |\w{3} +\d+ [\d:]+ \S+ )(?:pop3d|imapd|"
                    r"poppassd)\[\d+\]: (?:(?:notice|info|warning): )?"
                    r"event=auth_failed user=\S+ ip=([0-9A-Fa-f:.]+)(?: |$)")
    got = sorted(m.group(1) for m in map(rx.match, lines + syslog) if m)
    t.ok(True, "fail2ban-regex not installed")
    t.ok(True, "python equivalent used")
    t.is_(got, want, "the addresses fail2ban would ban")
t.is_(st.log_errors(), [], "no errors logged")
pt.check_sanitizers(t)
t.done()
