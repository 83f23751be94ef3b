#!/usr/bin/env python3
"""Hostile requests to the web programs through lighttpd: huge and
lying bodies, too many fields, bad %-escapes, NUL bytes, invalid UTF-8,
overlong query strings and cookies, header injection, template
injection and XSS payloads in every field a manager or a user can set:
each is refused or comes back escaped, and nothing crashes."""
import os
import re
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import pstest  # noqa: E402
import webtest  # noqa: E402

t = pstest.Tap()
web = webtest.Web(t)
st = web.st
web.account("boss", "-flags=manage")
web.account("jdoe", "-store=pop")

m = web.client("manage")
m.login("boss")
u = web.client("user")
u.login("jdoe")
tok = m.get().csrf()

# ---- sizes ----
r = m.post(raw=b"do=forward&name=a&to=" + b"x" * 70000)
t.is_(r.status, 413, "a body over 64 KB: 413")
r = m.post(raw="&".join("f%d=1" % i for i in range(600)).encode())
t.is_(r.status, 400, "more than 512 fields: 400")
r = m.request("GET", "p=accounts&q=" + "a" * 9000)
t.ok(r.status in (414, 431, 400), "an overlong query string refused (%d)"
     % r.status)
x = web.client("manage")
r = x.request("GET", "p=accounts", headers={
    "Cookie": "popstore_session=" + "A" * 7000})
t.ok(r.status == 200 and 'name="password"' in r.text,
     "an overlong cookie is ignored: login form")
r = x.request("GET", "p=accounts", headers={
    "Cookie": "popstore_session=" + "A" * 7000 + "; " + "; ".join(
        "c%d=1" % i for i in range(300))})
t.ok(r.status in (200, 431) and 'id="accounts"' not in r.text,
     "a cookie header with many cookies: no session")


def raw_request(data):
    s = socket.create_connection(("127.0.0.1", web.port), 10)
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
    s.close()
    return out


out = raw_request(b"POST /cgi-bin/popstore-manage.cgi HTTP/1.0\r\n"
                  b"Content-Type: application/x-www-form-urlencoded\r\n"
                  b"Content-Length: 5000\r\n\r\ndo=x")
t.ok(out == b"" or not out.startswith(b"HTTP/1.0 200"),
     "a body shorter than its Content-Length is not served",
     out[:200])

# ---- encodings ----
for name, body in [("bad escape", b"do=forward&name=a%zz"),
                   ("truncated escape", b"do=forward&name=a%4"),
                   ("NUL by escape", b"do=forward&name=a%00b"),
                   ("raw NUL", b"do=forward&name=a\0b"),
                   ("bad field name", b"do=forward&n%3Came=x"),
                   ("empty name", b"=x&do=forward")]:
    r = m.post(raw=body + b"&csrf=" + tok.encode())
    t.is_(r.status, 400, "%s refused" % name)
r = m.post(raw=b"do=forward&name=a%FF%FEb&to=c%C0%AF@x.org&csrf=" +
           tok.encode())
t.ok(r.status in (400, 403, 404), "invalid UTF-8 in a name refused (%d)"
     % r.status)
r = m.get(p="accounts", q="\udcff".encode("utf-8", "surrogateescape")
          .decode("latin-1"))
t.is_(r.status, 200, "invalid UTF-8 in a search: still a page")
r = m.request("GET", "p=accounts&q=%C3%28%FF")
t.ok(r.status in (200, 400) and b"\xff" not in r.body,
     "invalid UTF-8 never echoed raw (%d)" % r.status)

# ---- pages by name, paths ----
for p in ("../../etc/passwd", "style/../login", "%2e%2e%2fetc",
          "header", "login"):
    r = m.request("GET", "p=" + p)
    t.ok(r.status == 404 or (p == "login" and r.status == 404) or
         (r.status == 200 and "root:" not in r.text),
         "page name %r is only a name (%d)" % (p, r.status))
r = m.request("GET", "p=style")
t.is_(r.header("content-type"), "text/css; charset=utf-8", "stylesheet")

# ---- header injection ----
r = m.post(do="forward", name="a\r\nSet-Cookie: x=1", to="b@x.org")
t.ok(r.status in (400, 404) and r.header("set-cookie") is None,
     "CR LF in a name injects no header")
r = m.post(do="delete", name="jdoe\r\nLocation: http://evil/")
t.ok(r.header("location") is None or "evil" not in r.header("location"),
     "no Location injection")

# ---- XSS and template injection in every field ----
XSS = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>"
TPL = "{{csrf}}{{>header}}{{#authed}}yes{{/authed}}{{{user}}}"
m.get(p="add")
OWN = "<script>alert(1)</script>\"'><b>"
r = m.post(do="add", name="xss1", owner=OWN, private=TPL, backend="b.example",
           type="pop", group="")
t.is_(r.status, 303, "account with hostile owner and site data saved")
r = m.get(p="account", name="xss1")
t.ok(OWN not in r.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text,
     "owner comes back escaped")
t.ok(TPL in r.text.replace("&#123;", "{").replace("&#125;", "}")
     or "{{csrf}}" in r.text, "template syntax in a value stays text")
t.ok(r.text.count('name="csrf"') == len(re.findall(r"<form[^>]*post",
                                                    r.text)),
     "no extra CSRF token leaked by template injection")
r = m.get(p="modify", name="xss1")
t.ok(OWN not in r.text and "&lt;script&gt;" in r.text,
     "modify form: value attribute escaped")
for field in ("q", "group"):
    r = m.get(p="accounts", **{field: XSS})
    t.ok(XSS not in r.text and "<script>alert" not in r.text,
         "search field %s echoed escaped" % field)
r = m.post(do="forward", name="fw1", to='"<script>"@x.org')
r = m.get(p="forwardings")
t.ok("<script>" not in r.text, "forwardings page escaped")
r = m.post(do="add", name=XSS)
t.ok(r.status in (200, 400) and "<script>alert" not in r.text,
     "a hostile account name is refused, escaped")
r = m.post(do="group_add", name="g1", subgroups="", description=XSS)
r = m.get(p="groups")
t.ok("<script>alert" not in r.text, "group description escaped")

u.get(p="filters")
r = u.post(do="rule_add", field="subject", value=XSS, action="fileinto",
           arg="Junk")
r = u.get(p="filters")
t.ok(r.status == 200 and "<script>alert" not in r.text,
     "filter rule value escaped")
t.like(st.popmgr("sieve", "jdoe", "-show").stdout,
       r'"<script>alert\(1\)</script>\\"',
       "a rule value is a quoted Sieve string")
r = u.post(do="rule_add", field="subject", value='a" { discard; } if "',
           action="fileinto", arg='x"; discard; "')
script = st.popmgr("sieve", "jdoe", "-show").stdout
t.ok(not re.search(r"^\s*discard;", script, re.M),
     "Sieve injection through a rule is quoted", script)
r = u.post(do="vacation", on="1", start="", end="", days="1", subject=XSS,
           text=XSS + "\r\n.\r\n" + TPL)
r = u.get(p="vacation")
t.ok("<script>alert" not in r.text and "&lt;script&gt;" in r.text,
     "vacation subject and text escaped")
r = web.deliver("jdoe", ("From: x@y\nSubject: " + XSS + "\n\n" + XSS +
                         "\n").encode())
r = u.get(p="messages")
t.ok("<script>alert" not in r.text, "message list escaped")
uid, uv = re.findall(r'p=message&amp;u=(\d+)&amp;v=(\d+)', r.text)[0]
r = u.get(p="message", u=uid, v=uv)
t.ok("<script>alert" not in r.text and "onerror=alert(2)>" not in r.text,
     "message page escaped")
r = u.get(p="message", u="1x", v=uv)
t.is_(r.status, 400, "a bad UID is refused")
r = u.get(p="message", u="-1", v=uv)
t.is_(r.status, 400, "a negative UID is refused")

# ---- no crash, no errors ----
web.check_clean()
t.done()
