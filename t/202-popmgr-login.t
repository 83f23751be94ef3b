#!/usr/bin/env python3
"""popmgr login: a session confined to what a manager account may
manage (lib/group.h's rule), and everything it refuses."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import pstest  # noqa: E402

EX_NOPERM = 77
t = pstest.Tap()
st = pstest.Store(t, conf="LOGIN_FAIL_DELAY=0\n")
PW = "-password=Manage.Me1"


def pm(*args, **kw):
    return st.popmgr(*args, **kw)


def session(who, commands):
    """Run commands after `login who`; one result per command."""
    results = []
    for c in commands:
        r = pm(input="login %s %s\n%s\n" % (who, PW, c))
        results.append(r)
    return results


setup = """\
group -add corp sales,support
group -modify sales emea
group -add it world
add boss -group_name=corp -flags=manage %(pw)s
add smgr -group_name=sales -flags=manage %(pw)s
add world -flags=manage %(pw)s
add itmgr -group_name=it -flags=manage %(pw)s
add dis -group_name=sales -flags=(manage,disuser) %(pw)s
add plain -group_name=sales %(pw)s
add u_sales -group_name=sales
add u_emea -group_name=emea
add u_support -group_name=support
add u_other -group_name=other
add nogroup
""" % {"pw": PW}
r = pm(input=setup)
t.is_(r.returncode, 0, "setup: " + r.stderr)

# who may log in
for who, ok, why in (("smgr", 0, "a manager"), ("dis", 77, "disuser"),
                     ("plain", 77, "no MANAGE"), ("nosuch", 77, "unknown")):
    r = pm(input="login %s %s\n" % (who, PW))
    t.is_(r.returncode, ok, "login %s: %s" % (who, why))
r = pm(input="login smgr -password=wrong\n")
t.is_(r.returncode, EX_NOPERM, "wrong password")
t.like(r.stderr, r"popmgr: login failed\n", "says only 'login failed'")
t.is_(pm("login", "smgr", PW).returncode, 0, "login on the command line")

# a group manager: sales and emea only
ok_cmds = [
    "show u_sales", "show u_emea", "modify u_emea -owner=x",
    "add n1 -group_name=sales", "add n2 -group_name=emea",
    "modify u_sales -group_name=emea", "forward newname x@example.org",
    "forward u_emea x@example.org", "noforward u_emea", "group -list",
    "rename n2 n3", "copy u_emea n4", "set domain",
]
r = pm(input="login smgr %s\n%s\n" % (PW, "\n".join(ok_cmds)))
t.is_((r.returncode, r.stderr), (0, ""), "smgr may: " + ", ".join(ok_cmds))
no_cmds = [
    "show u_other", "show u_support", "show nogroup",
    "modify u_other -owner=x", "modify u_support -owner=x",
    "modify u_emea -flags=manage", "modify smgr -flags=nomanage",
    "modify u_emea -group_name=other", "modify u_emea -nogroup_name",
    "add n5", "add n6 -group_name=other", "add n7 -group_name=corp",
    "add n8 -group_name=emea -flags=manage",
    "delete u_other", "delete nogroup -messages", "rename u_other n9",
    "copy u_other n10", "copy smgr n11",
    "forward u_other x@example.org", "noforward u_other",
    "group -add newgroup", "group -delete emea", "group -modify sales x",
    "rebuild-db", "init", "run /dev/null",
    "show u_emea -output=/tmp/x", "show u_emea -format=/dev/null",
    "show -messages u_other",
]
# One session for all refusals: one message each, nothing done.
r = pm(input="login smgr %s\n%s\n" % (PW, "\n".join(no_cmds)))
t.is_(r.returncode, EX_NOPERM, "refusals exit 77")
errs = r.stderr.splitlines()
t.is_(len(errs), len(no_cmds), "one message per refused command")
for c, e in zip(no_cmds, errs):
    t.like(e, r"^popmgr: .*(permission denied|not managed by smgr|only a "
           r"WORLD manager|not after login)", "smgr may not: " + c)
t.is_(r.stdout, "", "nothing shown")
t.is_(pm("show", "n8").returncode, 67, "n8 not created")
t.is_(pm("show", "n11").returncode, 67, "n11 not created")

# wildcards reach only the manager's accounts
r = session("smgr", ["show"])[0]
names = sorted(l.split()[0] for l in r.stdout.splitlines()[1:])
t.is_(names, ["dis", "n1", "n3", "n4", "plain", "smgr", "u_emea",
              "u_sales"], "show lists only sales and emea")
r = session("smgr", ["show -count_users"])[0]
t.is_(r.stdout, "8 accounts\n", "count_users within reach")
r = session("smgr", ["group -list"])[0]
t.is_(r.stdout, "emea: \nsales: emea\n", "group -list within reach")
r = session("smgr", ["delete n* -noconfirm"])[0]
t.is_(r.stdout, "n1: deleted\nn3: deleted\nn4: deleted\n",
      "wildcard delete within reach")
t.is_(pm("show", "nogroup").returncode, 0, "others untouched")

# the corp manager reaches sales, emea and support; not other
r = session("boss", ["modify u_support -owner=y", "modify u_emea -owner=y",
                     "modify u_other -owner=y",
                     "modify u_emea -group_name=support"])
t.is_([x.returncode for x in r], [0, 0, EX_NOPERM, 0], "corp manager")

# WORLD managers: empty group, or a group reaching world
for who in ("world", "itmgr"):
    r = session(who, ["modify u_other -flags=manage",
                      "group -add g_" + who, "rebuild-db",
                      "modify u_other -flags=nomanage", "add x_" + who])
    t.is_([x.returncode for x in r], [0] * 5, "%s is a WORLD manager" % who)

# logout gives the invoking user's rights back
r = pm(input="login smgr %s\nmodify u_other -owner=a\nlogout\n"
             "modify u_other -owner=b\n" % PW)
t.is_(r.returncode, EX_NOPERM, "refused while logged in")
t.like(pm("show", "u_other").stdout, r"Owner:\s+b\n", "allowed after logout")

# a manager that loses MANAGE is logged out at its next command
r = pm(input="login world %s\nmodify world -flags=nomanage\n"
             "show u_other\nshow u_other\n" % PW)
t.like(r.stderr, r"world: may no longer manage; logged out",
       "revoked manager logged out")
t.is_(r.stdout.count("Username:"), 1, "full rights again after that")

lines = st.log_lines()
t.ok(any("event=login account=smgr result=ok" in l for l in lines),
     "login logged")
t.ok(any("event=login account=smgr result=failed" in l for l in lines),
     "failed login logged")
t.ok(any("event=login account=(unknown) result=failed" in l for l in lines),
     "an unknown name is not logged")
t.ok(any("event=account_modify account=u_emea" in l and "by=smgr" in l
         for l in lines), "changes logged as by the manager")
t.ok(not any("Manage.Me1" in l or "wrong" in l for l in lines),
     "no password in the log")
t.is_(st.log_errors(), [], "no errors logged")
t.done()
