#!/usr/bin/env python3
"""popmgr from a pipe and from `run FILE`: errors name the account and
the run goes on, the exit status is the first failure's; quoting,
continuation lines, comments; templates; forwardings; groups."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import pstest  # noqa: E402

t = pstest.Tap()
st = pstest.Store(t)


def pm(*args, **kw):
    return st.popmgr(*args, **kw)


# a script with errors in the middle
script = """\
# a comment
! a PMDF comment
add u1 -owner="Jane ""JJ"" Doe" -password="MiXeD.Case9"
add u2, u3, \\
    u4 -quota=1M
modify nosuch -owner=x
add u5 -flags=(manage, frob)
delete u*
add u6
exit
add u7
"""
r = pm(input=script)
t.is_(r.returncode, 67, "exit status of the first failure (no such account)")
t.like(r.stderr, r"popmgr: nosuch: no such account", "names the account")
t.like(r.stderr, r"unknown flag 'frob'", "names the problem")
t.like(r.stderr, r"delete: a wildcard needs -noconfirm", "wildcard refused")
t.is_(r.stdout, "", "a script is silent")
r = pm("show", "u1")
t.like(r.stdout, r'Owner:\s+Jane "JJ" Doe\n', "quotes inside quotes")
for n in ("u2", "u3", "u4", "u6"):
    t.is_(pm("show", n).returncode, 0, "%s created (run went on)" % n)
t.is_(pm("show", "u5").returncode, 67, "u5 not created (bad flag)")
t.is_(pm("show", "u7").returncode, 67, "nothing after exit")
t.like(pm("show", "u4").stdout, r"Primary quota:\s+1024.00 Kbytes",
       "continuation line joined")

# a clean script exits 0; unterminated quote is a usage error
t.is_(pm(input="show u1\nshow u2\n").returncode, 0, "clean script: 0")
r = pm(input='add x -owner="open\nshow u1\n')
t.is_(r.returncode, 64, "unterminated quote: 64")
t.like(r.stdout, r"Username:\s+u1", "next command still runs")

# run FILE (nested), and exit inside it ends only that file
inner = os.path.join(st.tmp, "inner.cmd")
outer = os.path.join(st.tmp, "outer.cmd")
with open(inner, "w") as f:
    f.write("add r2\nexit\nadd r3\n")
with open(outer, "w") as f:
    f.write("add r1\nrun %s\nadd r4\nrun /nonexistent/file\n" % inner)
r = pm("run", outer)
t.is_(r.returncode, 66, "run: missing nested file is 66")
for n, code in (("r1", 0), ("r2", 0), ("r3", 67), ("r4", 0)):
    t.is_(pm("show", n).returncode, code, "run: %s" % n)
loop = os.path.join(st.tmp, "loop.cmd")
with open(loop, "w") as f:
    f.write("run %s\n" % loop)
r = pm("run", loop)
t.is_(r.returncode, 64, "run nested too deep")

# wildcard delete with -noconfirm in a script, -group narrows
pm("add", "g1,g2", "-group_name=grp")
r = pm(input="delete r* -noconfirm -nolog\ndelete g* -noconfirm "
             "-group=other\n")
t.is_(r.returncode, 0, "wildcard delete in a script")
t.is_(r.stdout, "", "-nolog")
t.is_(pm("show", "r1").returncode, 67, "r1 deleted")
t.is_(pm("show", "g1").returncode, 0, "g1 kept: not in group other")
r = pm("modify", "g*", "-noconfirm", "-owner=G")
t.is_(r.stdout, "g1: modified\ng2: modified\n", "wildcard modify logs")
t.like(pm("show", "g2").stdout, r"Owner:\s+G\n", "wildcard modify")
t.is_(pm("modify", "*", "-noconfirm", "-quota=5").returncode, 0,
      "modify * leaves default alone")
t.like(pm("show", "default").stdout, r"Primary quota:\s+unlimited",
       "default not matched by *")
t.like(pm("show", "g*", "-brief").stdout, r"g1 .*\ng2 ", "show pattern")

# templates: -format and -output
tpl = os.path.join(st.tmp, "users.tpl")
with open(tpl, "w") as f:
    f.write("%none{No users}\n%first{<table>}\n"
            "<tr><td>%username{%-4s}<td>%quota_k{%.1f}"
            "<td>%message_count message%s\n%last{</table>}\n")
r = pm("show", "g*", "-format=" + tpl)
t.is_(r.stdout, "<table>\n<tr><td>g1  <td>5.0<td>0 messages\n"
      "<tr><td>g2  <td>5.0<td>0 messages\n</table>\n", "account template")
r = pm("show", "zz*", "-format=" + tpl)
t.is_(r.stdout, "No users\n", "%none")
out = os.path.join(st.tmp, "report.html")
r = pm("show", "g1", "-format=" + tpl, "-output=" + out)
t.is_((r.returncode, r.stdout), (0, ""), "-output: nothing on stdout")
t.is_(open(out).read(), "<table>\n<tr><td>g1  <td>5.0<td>0 messages\n"
      "</table>\n", "-output file")
bad = os.path.join(st.tmp, "bad.tpl")
with open(bad, "w") as f:
    f.write("line\n%username %nosuch\n")
r = pm("show", "g1", "-format=" + bad)
t.is_(r.returncode, 65, "bad template: 65")
t.like(r.stderr, r"line 2: unknown field nosuch", "bad template: where")
t.is_(r.stdout, "", "bad template: no output")
t.is_(pm("show", "g1", "-format=/nonexistent").returncode, 66,
      "missing template: 66")

# forwardings
t.is_(pm("forward", "g1", "g1@example.com,", "other@example.org")
      .returncode, 0, "forward an account (override is the default)")
t.like(pm("show", "g1").stdout,
       r"Forwarding:\s+g1@example.com,other@example.org",
       "forwarding shown with the account")
t.is_(pm("forward", "g2", "x@example.org", "-nooverride").returncode, 65,
      "-nooverride refuses an account")
t.is_(pm("forward", "List", "a@example.org b@example.org").returncode, 0,
      "forward a name that is no account")
t.is_(pm("forward", "bad", "not an@address@x").returncode, 65,
      "bad address refused")
t.is_(pm("forward", "x").returncode, 64, "forward usage")
r = pm("show", "-forwardings")
t.is_(r.stdout, "Username                         Forwarding address\n"
      "----------------------------------------------------\n"
      "g1                               g1@example.com,other@example.org\n"
      "list                             a@example.org,b@example.org\n",
      "show -forwardings (PMDF's layout)")
r = pm("show", "-forwardings", "li")
t.like(r.stdout, r"\nlist ", "prefix")
t.ok("g1 " not in r.stdout, "prefix filters")
t.is_(pm("noforward", "list").returncode, 0, "noforward")
t.is_(pm("noforward", "list").returncode, 67, "noforward again")
r = pm("show", "-forwardings", "zz")
t.is_(r.stdout, "No forwardings exist\n", "no forwardings")

# groups
t.is_(pm("group", "-add", "corp", "sales,", "support",
         "-description=Corporate").returncode, 0, "group -add")
t.is_(pm("group", "-add", "corp").returncode, 73, "group -add twice")
r = pm("group", "-list")
t.like(r.stdout, r"(?m)^corp: sales, support$", "group -list")
t.like(r.stdout, r"(?m)^sales: $", "subgroups created")
t.is_(pm("group", "-modify", "corp", "sales").returncode, 0,
      "group -modify")
t.like(pm("group", "-list", "c*").stdout, r"^corp: sales\n$",
       "group -list pattern")
t.is_(pm("group", "-delete", "nosuch").returncode, 67, "delete unknown")
t.is_(pm("group", "-delete", "corp", "-recur").returncode, 0,
      "group -delete -recur")
t.is_(pm("group", "-list", "sales").stdout, "No groups\n",
      "subgroups deleted too")
t.is_(pm("group", "corp").returncode, 64, "group without an operation")
t.is_(pm("group", "-add", "-delete", "x").returncode, 64, "two operations")
t.is_(pm("group", "-add", "bad name!").returncode, 65, "bad group name")
gtpl = os.path.join(st.tmp, "g.tpl")
with open(gtpl, "w") as f:
    f.write("%group_name=%group_description;")
pm("group", "-add", "hr", "-description=Human resources")
t.is_(pm("group", "-list", "hr", "-format=" + gtpl).stdout,
      "hr=Human resources;", "group template")

# show -options
r = pm("show", "-options")
t.like(r.stdout, r"(?m)^PASSWORD_ITERATIONS\s+4096\s+\(default 10000\)$",
       "show -options")

t.is_(st.log_errors(), [], "no errors logged")
t.done()
