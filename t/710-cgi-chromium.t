#!/usr/bin/env python3
"""The web interfaces in a real headless Chromium (chromedriver over the
WebDriver protocol) behind lighttpd: a manager logs in through the form,
creates an account with a quota, sets a forwarding and finds it in the
list; the user logs in, sees a delivered message in the list, reads it,
changes the password, sets a filter rule and a vacation notice; deliver
then forwards and answers as set; a message is deleted by the form.
The browser console reports no script error and no
Content-Security-Policy violation. Screenshots of the main pages go to
$POPSTORE_SCREENSHOTS (default: t/screenshots/ of the build, kept
after the run)."""
import datetime
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import deliverlib as dl  # noqa: E402
import pstest  # noqa: E402
import webdriver  # noqa: E402
import webtest  # noqa: E402
from sievetest import msg  # noqa: E402

t = pstest.Tap()
if webdriver.available() is None:
    t.skip_all("chromium or chromedriver is not installed")
web = webtest.Web(t)
st = web.st
sentdir = web.fake_sendmail()
web.account("boss", "-flags=manage")
shots = os.environ.get("POPSTORE_SCREENSHOTS") or \
    os.path.join(pstest.BUILD, "t", "screenshots")
os.makedirs(shots, exist_ok=True)

try:
    b = webdriver.Browser(st.tmp)
except webdriver.Error as e:
    t.skip_all("headless Chromium does not start here: %s" % e)
problems = []


def shot(name):
    b.screenshot(os.path.join(shots, name + ".png"))
    problems.extend(m for lvl, m in b.console()
                    if lvl in ("SEVERE", "WARNING") and
                    "favicon.ico" not in m)


def see(pattern, name):
    """Check the page once it has loaded (a click may return before)."""
    t.like(b.wait_source(pattern), pattern, name)


def submit(form_css):
    b.click(form_css + " button[type=submit]")


try:
    # ---- the manager ----
    b.go(web.url("manage"))
    t.like(b.title(), "Account management", "management login page")
    shot("manage-login")
    b.type("input[name=username]", "boss")
    b.type("input[name=password]", webtest.PASSWORD)
    submit("form.box")
    see(r'id="accounts"', "manager logged in: account list")
    shot("manage-accounts")
    b.go(web.url("manage") + "?p=add")
    b.type("input[name=name]", "web1")
    b.type("input[name=owner]", "Web User")
    b.select("select[name=type]", "pop")
    b.type("input[name=quota]", "3M")
    b.type("input[name=password]", "Start2468x")
    b.type("input[name=password2]", "Start2468x")
    shot("manage-add")
    b.click("form.edit button[type=submit]")
    see(r"Account web1", "account added")
    t.like(st.popmgr("show", "web1").stdout, r"Primary quota:\s+3072",
           "the quota set in the browser is stored")
    b.go(web.url("manage") + "?p=account&name=web1")
    b.type("input[name=to]", "web1, web1@elsewhere.example")
    b.click('button[value="forward"]')
    see("web1@elsewhere.example", "forwarding shown")
    shot("manage-account")
    b.go(web.url("manage") + "?p=accounts&q=web*")
    see(r'name=web1"', "the new account is in the list")

    # ---- the user ----
    r = web.deliver("web1", msg("Welcome aboard", to="web1@mail.example.com",
                                body="First line of the body.\n"))
    t.is_(r.returncode, 0, "a message delivered to web1")
    b.go(web.url("user"))
    b.type("input[name=username]", "web1")
    b.type("input[name=password]", "Start2468x")
    submit("form.box")
    see("Your account web1", "user logged in: usage page")
    shot("user-home")
    b.go(web.url("user") + "?p=messages")
    see("Welcome aboard", "the message is in the list")
    shot("user-messages")
    b.click("table a[href*='p=message&']")
    see("First line of the body.", "the message is read")
    shot("user-message")

    b.go(web.url("user") + "?p=password")
    b.type("input[name=old]", "Start2468x")
    b.type("input[name=new]", "Changed1357y")
    b.type("input[name=new2]", "Changed1357y")
    submit("form.box")
    see("password was changed", "password changed")
    x = web.client("user")
    t.is_(x.login("web1", "Changed1357y").status, 303,
          "the new password works outside the browser")

    b.go(web.url("user") + "?p=filters")
    b.select("select[name=field]", "subject")
    b.type("input[name=value]", "[team]")
    b.select("select[name=action]", "forward")
    b.type("input[name=arg]", "team-inbox@example.net")
    b.click("form.edit button[type=submit]")
    see(r"\[team\]", "filter rule shown")
    shot("user-filters")

    today = datetime.date.today()
    b.go(web.url("user") + "?p=vacation")
    b.click("input[name=on]")
    # a date input takes what the keyboard would type, in its locale
    b.run_script("document.querySelector('input[name=start]').value="
                 "arguments[0];document.querySelector('input[name=end]')"
                 ".value=arguments[1];",
                 [str(today - datetime.timedelta(days=1)),
                  str(today + datetime.timedelta(days=5))])
    b.type("input[name=subject]", "Out of office")
    b.type("textarea[name=text]", "Back next week.")
    b.click("form.edit button[type=submit]")
    see("Back next week.", "vacation notice shown")
    shot("user-vacation")
    for fn in os.listdir(sentdir):
        os.unlink(os.path.join(sentdir, fn))
    web.deliver("web1", msg("[team] standup", to="web1@mail.example.com"),
                sender="colleague@example.org")
    sent = dl.sent(sentdir)
    t.ok(any("team-inbox@example.net" in a for a, _ in sent),
         "deliver forwarded the message by the browser's rule",
         [a for a, _ in sent])
    t.ok(any(b"Back next week." in m for _, m in sent),
         "deliver sent the vacation notice", sent)

    b.go(web.url("user") + "?p=messages")
    n = len(b.find_all("input[name=uid]"))
    b.click("input[name=uid]")
    b.click('form table#messages ~ button[type=submit]')
    see(r"<span id=\"total\">%d<" % (n - 1),
        "a message deleted through the form")
    b.click('form.logout button')
    see('name="password"', "logged out: the login form")
    problems.extend(m for lvl, m in b.console()
                    if lvl in ("SEVERE", "WARNING") and
                    "favicon.ico" not in m)
    t.is_(problems, [], "no script error or CSP violation in the console")
except webdriver.Error as e:
    t.ok(False, "WebDriver: %s" % e)
finally:
    b.quit()
t.diag("screenshots in %s" % shots)
web.check_clean()
t.done()
