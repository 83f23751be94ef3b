#!/usr/bin/env python3
"""popstore-auth.cgi through lighttpd, asked the way nginx's mail proxy
asks (auth_http request headers): the backend of an account (its
profile's, or MAIL_PROXY_BACKEND) with the protocol's port, refusals
with Auth-Wait, no password in the log, hostile headers."""
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import pstest  # noqa: E402
import webtest  # noqa: E402

t = pstest.Tap()
web = webtest.Web(t, conf="MAIL_PROXY_BACKEND=127.0.0.9\n"
                  "MAIL_PROXY_POP3_PORT=1110\nMAIL_PROXY_IMAP_PORT=1143\n"
                  "LOGIN_FAIL_DELAY=2\n")
web.account("ann")
web.account("far", "-backend=10.1.2.3")
web.account("off", "-flags=disuser")
a = web.client("auth")


def ask(user, password, proto="imap", method="plain", **extra):
    h = {"Auth-Method": method, "Auth-User": urllib.parse.quote(user),
         "Auth-Pass": urllib.parse.quote(password), "Auth-Protocol": proto,
         "Auth-Login-Attempt": "1", "Client-IP": "192.0.2.7",
         "Client-Host": "[UNAVAILABLE]", "Auth-SSL": "on"}
    h.update(extra)
    return a.request("GET", headers=h)


r = ask("ann", webtest.PASSWORD)
t.is_((r.status, r.header("auth-status"), r.header("auth-server"),
       r.header("auth-port")), (200, "OK", "127.0.0.9", "1143"),
      "ann over IMAP: the default backend and IMAP port")
r = ask("ann", webtest.PASSWORD, proto="pop3")
t.is_((r.header("auth-status"), r.header("auth-port")), ("OK", "1110"),
      "ann over POP3: the POP3 port")
r = ask("far", webtest.PASSWORD)
t.is_((r.header("auth-status"), r.header("auth-server")),
      ("OK", "10.1.2.3"), "an account's own backend")
mark = web.log_mark()
r = ask("ann", "WrongPW-FROTZ")
t.ok(r.header("auth-status") not in (None, "OK") and
     r.header("auth-server") is None, "wrong password refused",
     r.headers)
t.is_(r.header("auth-wait"), "2", "Auth-Wait is LOGIN_FAIL_DELAY")
r = ask("nobody-here", "WrongPW-XYZZY")
t.ok(r.header("auth-status") not in (None, "OK"), "unknown account refused")
r = ask("off", webtest.PASSWORD)
t.ok(r.header("auth-status") not in (None, "OK"), "DISUSER refused")
lines = web.log_since(mark)
t.ok(any("event=auth_failed" in l and "user=ann" in l for l in lines),
     "failure logged with the user", "\n".join(lines))
every = "\n".join(web.st.log_lines()) + web.errors()
t.ok("WrongPW" not in every and webtest.PASSWORD not in every,
     "no password in the log")
r = ask("ann", webtest.PASSWORD, **{"Auth-SSL": "off"})
t.ok(r.header("auth-status") != "OK", "plaintext without TLS from afar "
     "refused (PLAINTEXT_LOGIN)")
r = ask("ann", webtest.PASSWORD, proto="smtp")
t.ok(r.header("auth-status") != "OK", "SMTP is not ours")
r = ask("ann", webtest.PASSWORD, method="kerberos")
t.ok(r.header("auth-status") != "OK", "an unknown method refused")
r = ask("a" * 3000, "x")
t.ok(r.header("auth-status") not in (None, "OK"), "an overlong user refused")
r = ask("ann%00x", webtest.PASSWORD)
t.ok(r.header("auth-status") != "OK", "an escaped NUL refused")
r = a.request("GET")
t.ok(r.header("auth-status") not in (None, "OK"), "no headers: refused")
web.check_clean()
t.done()
