#!/usr/bin/env python3
"""The user interface through lighttpd: usage, password change (the
site's rules, LOCKPWD, other sessions closed), the messages of a POP
account (list, read, attachments as downloads, HTML never active,
delete), the vacation notice with a date range and the filter rules,
stored as Sieve and applied by a real deliver afterwards."""
import datetime
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import deliverlib as dl  # noqa: E402
import pstest  # noqa: E402
import webtest  # noqa: E402
from sievetest import msg  # noqa: E402

t = pstest.Tap()
web = webtest.Web(t)
st = web.st
sentdir = web.fake_sendmail()
web.account("pat", "-store=pop", "-quota=1M")
web.account("ivy", "-store=imap")
web.account("lock", "-flags=lockpwd")
count = web.count


# ---- usage ----
for i in range(3):
    r = web.deliver("pat", msg("hello %d" % i, to="pat@mail.example.com"))
    t.is_(r.returncode, 0, "deliver to pat %d" % i)
MIXED = (
    "From: Mal <mal@example.org>\nTo: pat@mail.example.com\n"
    "Subject: <script>alert('subj')</script> report\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"XX\"\n\n"
    "--XX\nContent-Type: text/plain; charset=utf-8\n\n"
    "Plain words <b>not bold</b> caf\u00e9.\n"
    "--XX\nContent-Type: text/html\n\n"
    "<html><body><script>alert(1)</script><img src=x onerror=alert(2)>"
    "<p>html part</p></body></html>\n"
    "--XX\nContent-Type: application/pdf; name=\"re\\\"port.pdf\"\n"
    "Content-Disposition: attachment; filename=\"../../etc/re\\\"port.pdf\"\n"
    "Content-Transfer-Encoding: base64\n\n"
    "JVBERi0xLjQKJeLjz9MK\n"
    "--XX--\n")
r = web.deliver("pat", MIXED.encode())
t.is_(r.returncode, 0, "deliver the multipart message")
c = web.client("user")
c.login("pat")
r = c.get()
t.like(r.text, r'id="messages">4<', "usage: 4 messages")
t.like(r.text, r'id="quota">1(\.0)? MB<', "usage: quota 1 MB")
t.ok(re.search(r'id="used">[1-9]', r.text) is not None, "usage: bytes used")

# ---- messages ----
r = c.get(p="messages")
t.is_(r.status, 200, "message list")
links = re.findall(r'p=message&amp;u=(\d+)&amp;v=(\d+)', r.text)
t.is_(len(links), 4, "four messages listed")
t.ok("<script>alert" not in r.text and "&lt;script&gt;" in r.text,
     "a hostile subject is escaped in the list")
uid, uv = links[0]          # newest first: the multipart one
r = c.get(p="message", u=uid, v=uv)
t.is_(r.status, 200, "read a message")
t.like(r.text, "Plain words &lt;b&gt;not bold&lt;/b&gt; caf\u00e9",
       "text part shown, escaped, decoded")
t.ok("<script>" not in r.text and "onerror=alert" not in r.text.replace(
    "onerror=alert(2)&gt;", ""), "no active HTML in the message page")
t.ok("<img" not in r.text, "no image tag from the message")
parts = re.findall(r'p=part&amp;u=\d+&amp;v=\d+&amp;s=([0-9.]+)(&amp;'
                   r'view=html)?"', r.text)
t.ok(len(parts) >= 2, "parts offered as links", parts)
att = [s for s, v in parts if not v]
html = [s for s, v in parts if v]
r = c.get(p="part", u=uid, v=uv, s=att[-1])
t.is_(r.status, 200, "download the attachment")
t.is_(r.header("content-type"), "application/octet-stream",
      "attachment as application/octet-stream")
cd = r.header("content-disposition") or ""
t.like(cd, r"^attachment; filename=", "Content-Disposition: attachment")
t.ok("/" not in cd.split("filename=")[1].split(";")[0] and
     '\\"' not in cd, "file name without path or quote", cd)
t.is_(r.body[:8], b"%PDF-1.4", "attachment decoded from base64")
if html:
    r = c.get(p="part", u=uid, v=uv, s=html[0], view="html")
    csp = r.header("content-security-policy") or ""
    t.ok(csp.startswith("sandbox") and "script" not in csp,
         "HTML part only in a sandbox without script", csp)
    r = c.get(p="part", u=uid, v=uv, s=html[0])
    t.like(r.header("content-disposition") or "", "^attachment",
           "HTML part otherwise a download")
else:
    t.ok(False, "an HTML part link")
r = c.get(p="part", u=uid, v=uv, s="9.9")
t.is_(r.status, 404, "a missing part: 404")
r = c.get(p="message", u="99999", v=uv)
t.is_(r.status, 404, "a missing message: 404")
r = c.get(p="message", u=uid, v="1")
t.ok(r.status in (404, 409), "a stale UIDVALIDITY: not shown")
r = c.post(do="delete", v=uv, fields=[("uid", uid), ("uid", links[1][0])])
t.is_(r.status, 303, "delete two messages")
t.is_(count("pat"), 2, "two messages left in the store")
r = c.get(p="messages")
t.is_(len(re.findall(r'p=message&amp;u=', r.text)), 2, "two listed")

# ---- password ----
other = web.client("user")
other.login("pat")
c.get(p="password")
r = c.post(do="password", old="wrong", new="NewPass789", new2="NewPass789")
t.like(r.text, "not right", "wrong old password refused")
r = c.post(do="password", old=webtest.PASSWORD, new="NewPass789",
           new2="NewPass788")
t.like(r.text, "differ", "two different new passwords refused")
r = c.post(do="password", old=webtest.PASSWORD, new="pat12345",
           new2="pat12345")
t.ok(r.status == 200 and 'class="error"' in r.text, "the site's rules "
     "apply (a password with the name)")
r = c.post(do="password", old=webtest.PASSWORD, new="NewPass789",
           new2="NewPass789")
t.is_(r.status, 303, "password changed")
x = web.client("user")
t.is_(x.login("pat", "NewPass789").status, 303, "new password works")
t.ok(x.login("pat").status == 200, "old password no longer works")
t.ok("Your account" not in other.get().text,
     "other sessions closed by the change")
t.like(c.get().text, "Your account pat", "this session lives on")
lk = web.client("user")
lk.login("lock")
r = lk.get(p="password")
t.like(r.text, "cannot be changed", "LOCKPWD: the page says so")
r = lk.post(do="password", old=webtest.PASSWORD, new="NewPass789",
            new2="NewPass789")
t.like(r.text, "cannot be changed", "LOCKPWD: change refused")
t.is_(web.client("user").login("lock").status, 303,
      "LOCKPWD: old password still good")

# ---- filter rules: Sieve that deliver applies ----
v = web.client("user")
v.login("ivy")
r = v.get(p="filters")
t.is_(r.status, 200, "filters page")
r = v.post(do="rule_add", field="subject", value="[list]",
           action="fileinto", arg="Lists")
t.ok(r.status in (200, 303), "rule added (%d)" % r.status)
r = v.post(do="rule_add", field="from", value="spammer@", action="discard")
t.ok(r.status in (200, 303), "second rule added")
r = v.get(p="filters")
t.ok("[list]" in r.text and "spammer@" in r.text, "rules listed")
script = st.popmgr("sieve", "ivy", "-show")
t.like(script.stdout, r'header :contains "subject" "\[list\]"',
       "rule stored as Sieve")
web.deliver("ivy", msg("[list] weekly", to="ivy@mail.example.com"))
web.deliver("ivy", msg("hi", frm="spammer@bad.example",
                       to="ivy@mail.example.com"))
web.deliver("ivy", msg("personal", to="ivy@mail.example.com"))
t.is_(count("ivy", "Lists"), 1, "deliver filed the list message")
t.is_(count("ivy", "INBOX"), 1, "discarded one, kept one in INBOX")
r = v.post(do="rule_add", field="subject", value="x", action="fileinto",
           arg="")
t.ok(r.status in (200, 400) and 'class="error"' in r.text or r.status == 400,
     "a rule without a folder is refused")
r = v.post(do="rule_add", field="body", value="x", action="discard")
t.is_(r.status, 400, "an unknown field is refused")
r = v.post(do="rule_delete", index="1")
t.ok(r.status in (200, 303) and "spammer@" not in v.get(p="filters").text,
     "rule removed")

# ---- vacation with a date range ----
today = datetime.date.today()
r = v.get(p="vacation")
t.is_(r.status, 200, "vacation page")
r = v.post(do="vacation", on="1",
           start=str(today - datetime.timedelta(days=1)),
           end=str(today + datetime.timedelta(days=7)), days="1",
           subject="Away", text="I am away.\r\nBack soon.")
t.ok(r.status in (200, 303), "vacation saved (%d)" % r.status)
t.like(st.popmgr("sieve", "ivy", "-show").stdout, r"vacation",
       "vacation stored in the Sieve script")
dl.sent(sentdir)
for fn in os.listdir(sentdir):
    os.unlink(os.path.join(sentdir, fn))
web.deliver("ivy", msg("are you there", frm="Friend <friend@example.org>",
                       to="ivy@mail.example.com"),
            sender="friend@example.org")
sent = dl.sent(sentdir)
t.ok(len(sent) == 1 and b"I am away." in sent[0][1] and
     any("friend@example.org" in a for a in sent[0][0]),
     "deliver sent the vacation notice", sent)
t.is_(count("ivy", "Lists"), 1, "the filter rule still applies")
r = v.post(do="vacation", on="1",
           start=str(today + datetime.timedelta(days=10)),
           end=str(today + datetime.timedelta(days=20)), days="1",
           subject="Later", text="Away later.")
for fn in os.listdir(sentdir):
    os.unlink(os.path.join(sentdir, fn))
web.deliver("ivy", msg("again", frm="Other <other@example.org>",
                       to="ivy@mail.example.com"),
            sender="other@example.org")
t.is_(dl.sent(sentdir), [], "no notice before the date range")
r = v.post(do="vacation", on="1", start="2026-13-45", end="x", days="1",
           subject="Bad", text="bad")
t.ok(r.status in (200, 400) and ('class="error"' in r.text or
                                 r.status == 400), "bad dates refused")
t.like(st.popmgr("sieve", "ivy", "-show").stdout, "Away%20later",
       "the refused form changed nothing")
r = v.post(do="vacation", on="", start="", end="", days="", subject="",
           text="")
t.ok(re.search(r"^\s*vacation\b", st.popmgr("sieve", "ivy", "-show").stdout,
               re.M) is None,
     "vacation switched off")

web.check_clean()
t.done()
