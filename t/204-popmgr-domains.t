#!/usr/bin/env python3
"""popmgr with user domains (USE_DOMAINS=1): add -domain, set domain,
names and patterns in domains, managers confined to their domain."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import pstest  # noqa: E402

t = pstest.Tap()
st = pstest.Store(t, conf="USE_DOMAINS=1\nDEFAULT_DOMAIN=example.com\n"
                  "LOGIN_FAIL_DELAY=0\n")
PW = "-password=Manage.Me1"


def pm(*args, **kw):
    return st.popmgr(*args, **kw)


t.is_(pm("add", "-domain", "Acme.ORG").returncode, 0, "add -domain")
t.is_(pm("add", "-domain", "acme.org").returncode, 73, "domain exists")
t.is_(pm("add", "-domain", "example.com").returncode, 65,
      "the default domain is no user domain")
t.is_(pm("add", "-domain", "bad_domain!").returncode, 65, "bad domain")
t.is_(pm("add", "-domain", "a.org", "-quota=1").returncode, 64,
      "add -domain takes no other switch")
r = pm("show", "default@acme.org")
t.like(r.stdout, r"Usage flags:\s+disuser", "domain default is disuser")

t.is_(pm("add", "joe@acme.org", "joe", "joe@example.com").returncode, 73,
      "joe and joe@example.com are one account")
t.is_(pm("show", "joe@ACME.org").returncode, 0, "joe@acme.org exists")
t.is_(pm("show", "joe").returncode, 0, "joe of the default domain exists")
t.is_(pm("add", "x@nosuch.org").returncode, 67, "no such domain")

tpl = os.path.join(st.tmp, "d.tpl")
with open(tpl, "w") as f:
    f.write("%username@%domain\n")
r = pm(input="set domain acme.org\nadd sue\nshow sue -format=%s\n"
             "show * -format=%s\nset domain nosuch.org\nshow sue\n"
             "set domain\nshow sue\n" % (tpl, tpl))
t.is_(r.returncode, 67, "the first failure: set domain nosuch.org")
t.ok(r.stdout.startswith("sue@acme.org\ndefault@acme.org\njoe@acme.org\n"
                         "sue@acme.org\nUsername:           sue\n"),
     "set domain: names and patterns in that domain", r.stdout)
t.is_(r.stdout.count("Username:"), 1, "a failed set domain changes nothing")
t.like(r.stderr, r"no such domain nosuch.org", "unknown domain refused")
t.like(r.stderr, r"sue: no such account", "back in the default domain")
r = pm("show", "*@acme.org", "-format=" + tpl)
t.is_(r.stdout, "default@acme.org\njoe@acme.org\nsue@acme.org\n",
      "a pattern naming a domain")
r = pm("show", "*", "-format=" + tpl)
t.is_(r.stdout, "default@\njoe@\n", "* is the current domain")
t.is_(pm("show", "-count_users").stdout, "3 accounts\n",
      "count_users: every domain, without the defaults")
t.is_(pm("delete", "default@acme.org").returncode, 65,
      "a domain's default is reserved")

# a manager of acme.org stays in acme.org
pm("add", "mgr@acme.org", "-flags=manage", PW)
pm("add", "boss", "-flags=manage", PW)


def as_(who, cmd):
    return pm(input="login %s %s\n%s\n" % (who, PW, cmd))


t.is_(as_("mgr@acme.org", "modify joe -owner=A").returncode, 0,
      "the domain manager's names are in its domain")
t.like(pm("show", "joe@acme.org").stdout, r"Owner:\s+A\n", "joe@acme.org")
t.is_(as_("mgr@acme.org", "modify joe@example.com -owner=B").returncode, 77,
      "not the default domain's accounts")
t.is_(as_("mgr@acme.org", "set domain example.com").returncode, 77,
      "cannot leave its domain")
t.is_(as_("mgr@acme.org", "add -domain b.org").returncode, 77,
      "cannot create domains")
t.is_(as_("mgr@acme.org", "add new1").returncode, 0, "adds in its domain")
t.is_(pm("show", "new1@acme.org").returncode, 0, "new1@acme.org")
r = as_("mgr@acme.org", "show -format=" + tpl)
t.is_(r.returncode, 77, "no templates after login")
t.is_(as_("boss", "modify joe@acme.org -owner=C").returncode, 0,
      "a default-domain WORLD manager reaches every domain")

t.is_(st.log_errors(), [], "no errors logged")
t.done()
