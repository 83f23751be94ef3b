#!/usr/bin/env python3
"""The web programs' security through a real lighttpd: the login form and
its session cookie (HttpOnly, SameSite=Strict, HMAC-signed, expiring,
forgotten at logout), the security headers of every answer, the CSRF
token on every POST, changes by POST only, the failed-login delay and
its log line without the password, HTTP Basic credentials, managers
only in the management interface, --help from a shell."""
import base64
import hashlib
import hmac
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import pstest  # noqa: E402
import webtest  # noqa: E402

t = pstest.Tap()
web = webtest.Web(t, conf="LOGIN_FAIL_DELAY=1\n")
web.account("boss", "-flags=manage")
web.account("jdoe")
web.account("locked", "-flags=disuser")

# ---- --help outside a web server ----
for prog in webtest.PROGS.values():
    r = subprocess.run([pstest.program("cgi/" + prog), "--help"],
                       capture_output=True, text=True,
                       env={"PATH": "/usr/bin:/bin"})
    t.ok(r.returncode == 0 and r.stdout.startswith("usage: " + prog),
         "%s --help from a shell" % prog, r)

# ---- the sample configuration is one lighttpd accepts ----
wrap = os.path.join(web.tmp, "sample-check.conf")
with open(wrap, "w") as f:
    f.write('server.document-root = "%s"\nserver.port = %d\ninclude "%s"\n'
            % (web.tmp, pstest.free_port(),
               os.path.join(pstest.SRC, "etc", "lighttpd-popstore.conf")))
r = subprocess.run([webtest.lighttpd_path(), "-tt", "-f", wrap],
                   capture_output=True, text=True)
t.is_((r.returncode, r.stderr.strip()), (0, ""),
      "etc/lighttpd-popstore.conf passes lighttpd -tt")

# ---- the login page and the headers of every answer ----
c = web.client("user")
r = c.get()
t.is_(r.status, 200, "login page")
t.like(r.text, r'name="password"', "login form has a password field")
csp = r.header("content-security-policy") or ""
t.ok("default-src 'none'" in csp and "frame-ancestors 'none'" in csp and
     "script-src" not in csp, "Content-Security-Policy: no script", csp)
t.is_(r.header("x-frame-options"), "DENY", "X-Frame-Options: DENY")
t.is_(r.header("x-content-type-options"), "nosniff", "nosniff")
t.is_(r.header("cache-control"), "no-store", "Cache-Control: no-store")

# ---- logging in ----
r = c.login("jdoe")
t.is_(r.status, 303, "login answers a redirect")
cookie = r.header("set-cookie") or ""
t.like(cookie, r"^popstore_session=1\.[A-Za-z0-9_-]+\.[0-9a-f]{32}\.\d+\.",
       "session cookie: version, name, ID, expiry, MAC")
for flag in ("HttpOnly", "SameSite=Strict", "Max-Age=3600",
             "Path=/cgi-bin/popstore-user.cgi"):
    t.ok(flag in cookie, "session cookie has " + flag, cookie)
t.ok("Secure" not in cookie, "no Secure flag over plain http", cookie)
t.ok("password" not in (r.header("location") or ""), "no password in URL")
home = c.get()
t.is_(home.status, 200, "home page after login")
t.like(home.text, r"Your account jdoe", "home page names the account")
token = c.cookies["popstore_session"]

# Secure when the web server says https
web2 = webtest.Web(t, env={"HTTPS": "on"})
web2.account("jdoe")
c2 = web2.client("user")
r = c2.login("jdoe")
t.ok("; Secure" in (r.header("set-cookie") or ""), "Secure flag with HTTPS=on",
     r.header("set-cookie"))
web2.stop()

# ---- forged, tampered, expired cookies ----
parts = token.split(".")


def try_cookie(value, name):
    x = web.client("user")
    x.cookies["popstore_session"] = value
    r = x.get()
    return r.status == 200 and 'name="password"' in r.text and \
        "Your account" not in r.text


t.ok(try_cookie(".".join(parts[:4] + ["A" * len(parts[4])]), "bad MAC"),
     "a cookie with a wrong MAC shows the login form")
t.ok(try_cookie(".".join(parts[:3] + [str(int(parts[3]) + 3600), parts[4]]),
                "longer"), "a cookie with a changed expiry is refused")
other = base64.urlsafe_b64encode(b"boss").decode().rstrip("=")
t.ok(try_cookie(".".join([parts[0], other] + parts[2:]), "other name"),
     "a cookie with another account's name is refused")
t.ok(try_cookie("garbage", "garbage"), "a garbage cookie is refused")
t.ok(try_cookie("1." + "A" * 5000, "long"), "an overlong cookie is refused")

keyfile = os.path.join(web.st.dir, "etc", "web.key")
if os.access(keyfile, os.R_OK):
    with open(keyfile, "rb") as f:
        key = f.read()

    def make(name, sid, expiry):
        msg = b"popstore-web-session-1\0" + name.encode() + b"\0" + \
            sid.encode() + b"\0" + str(expiry).encode()
        mac = base64.urlsafe_b64encode(
            hmac.new(key, msg, hashlib.sha256).digest()).decode().rstrip("=")
        return "1.%s.%s.%d.%s" % (base64.urlsafe_b64encode(
            name.encode()).decode().rstrip("="), sid, expiry, mac)
    sid = parts[2]
    x = web.client("user")
    x.cookies["popstore_session"] = make("jdoe", sid, int(parts[3]))
    t.like(x.get().text, "Your account jdoe",
           "a cookie made with the site's key is good (the format is known)")
    t.ok(try_cookie(make("jdoe", sid, int(time.time()) - 1), "expired"),
         "an expired cookie (right MAC) is refused")
    t.ok(try_cookie(make("jdoe", "0" * 32, int(time.time()) + 600),
                    "unrecorded"), "a session ID never opened is refused")
else:
    t.ok(False, "web key readable for the expiry test")

# ---- CSRF and POST only ----
r = c.get(p="password")
good = r.csrf()
t.ok(good and len(good) == 32, "pages carry a 32-character CSRF token")
mark = web.log_mark()
r = c.post(do="password", old=webtest.PASSWORD, new="NewSecret456",
           new2="NewSecret456", csrf=False)
t.is_(r.status, 403, "a POST without the CSRF token is refused")
r = c.post(do="password", old=webtest.PASSWORD, new="NewSecret456",
           new2="NewSecret456", csrf="A" * 32)
t.is_(r.status, 403, "a POST with a wrong CSRF token is refused")
t.ok(any("event=csrf_refused" in l for l in web.log_since(mark)),
     "refused CSRF logged")
other = web.client("user")
other.login("jdoe")
tok_other = other.get().csrf()
t.ok(tok_other != good, "each session has its own CSRF token")
r = c.post(do="password", old=webtest.PASSWORD, new="NewSecret456",
           new2="NewSecret456", csrf=tok_other)
t.is_(r.status, 403, "another session's CSRF token is refused")
r = c.get(do="password", old=webtest.PASSWORD, new="NewSecret456",
          new2="NewSecret456", csrf=good)
t.is_(r.status, 200, "a GET with action fields is just a page")
x = web.client("user")
t.is_(x.login("jdoe").status, 303, "password unchanged by the GET and the "
      "refused POSTs")
r = c.request("PUT", body=b"x")
t.is_(r.status, 405, "PUT refused")
t.is_(r.header("allow"), "GET, HEAD, POST", "Allow header")
r = c.post(raw=b'{"do":"x"}', ctype="application/json")
t.is_(r.status, 415, "a POST that is not a form is refused")

# ---- the login form's own token ----
y = web.client("user")
r = y.post(do="login", username="jdoe", password=webtest.PASSWORD,
           csrf=False)
t.ok(r.status == 200 and "popstore_session" not in y.cookies,
     "a login POST without the form's token opens no session")

# ---- failed logins: delay, log line, no password ----
mark = web.log_mark()
y = web.client("user")
start = time.time()
r = y.login("jdoe", "WrongPass-XYZZY")
took = time.time() - start
t.ok(r.status == 200 and "Login failed" in r.text, "wrong password: form "
     "again with an error")
t.ok(took >= 0.9, "failed login delayed (LOGIN_FAIL_DELAY=1: %.2fs)" % took)
t.ok("popstore_session" not in y.cookies, "no cookie after a failed login")
r = y.login("nosuchuser", "Other-PLUGH")
lines = web.log_since(mark)
t.ok(any("event=auth_failed" in l and "user=jdoe" in l and "mech=form" in l
         and "ip=127.0.0.1" in l for l in lines),
     "failed login logged with user and ip", "\n".join(lines))
t.ok(any("event=auth_failed" in l and "user=unknown" in l for l in lines),
     "unknown account logged as user=unknown", "\n".join(lines))
t.ok(not any("nosuchuser" in l for l in lines),
     "an unknown name (maybe a password) is not logged")
every = "\n".join(web.st.log_lines()) + web.errors()
for secret in ("WrongPass-XYZZY", "Other-PLUGH", webtest.PASSWORD,
               "NewSecret456"):
    t.ok(secret not in every, "no password in any log: %s" % secret[:5])
t.ok(y.login("locked").status == 200 and "popstore_session" not in y.cookies,
     "a DISUSER account cannot log in")

# ---- the management interface: managers only ----
m = web.client("manage")
r = m.login("jdoe")
t.ok(r.status == 200 and "popstore_session" not in m.cookies,
     "an account without MANAGE cannot log in to management")
r = m.login("boss")
t.is_(r.status, 303, "a manager logs in")
t.like(m.get().text, r'id="accounts"', "manager sees the account list")
x = web.client("manage")
x.cookies = dict(c.cookies)
r = x.get()
t.ok('name="password"' in r.text and 'id="accounts"' not in r.text,
     "a user-interface cookie is no good for management")

# ---- HTTP Basic ----
b = web.client("manage")
b.basic("boss")
r = b.get(p="accounts")
t.ok(r.status == 200 and 'id="accounts"' in r.text, "Basic auth: page")
t.ok(r.header("set-cookie") is None, "Basic auth opens no session")
tok = r.csrf()
r = b.post(do="forward", name="alias1", to="jdoe@example.com", csrf=tok)
t.is_(r.status, 303, "Basic auth: POST with the page's token")
r = b.post(do="forward", name="alias2", to="jdoe@example.com", csrf=False)
t.is_(r.status, 403, "Basic auth: POST without a token refused")
b.basic("boss", "wrong")
start = time.time()
r = b.get()
t.is_(r.status, 401, "Basic auth: wrong password 401")
t.like(r.header("www-authenticate") or "", r'^Basic realm="popstore"',
       "WWW-Authenticate: Basic")
t.ok(time.time() - start >= 0.9, "Basic auth failure delayed")
b.auth = "Basic !!!notbase64"
t.is_(b.get().status, 401, "Basic auth: garbage credentials 401")

# ---- logout ----
r = c.post(do="logout")
t.is_(r.status, 303, "logout")
t.like(r.header("set-cookie") or "", r"popstore_session=;.*Max-Age=0",
       "logout clears the cookie")
x = web.client("user")
x.cookies["popstore_session"] = token
t.ok("Your account" not in x.get().text, "the old cookie is dead after "
     "logout (server-side record)")
t.like(other.get().text, "Your account jdoe", "the other session lives on")

web.check_clean()
t.done()
