#!/usr/bin/env python3
"""popmgr in bulk: 2,000 accounts from a pipe and from one comma list
(batch mode), their spread over the fanout tree, show -count_users, and
rebuild-db after the databases are lost. (The 100,000-account
measurement is t/bench/accounts.sh, not part of the suite.)"""
import glob
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import pstest  # noqa: E402

t = pstest.Tap()
st = pstest.Store(t)


def pm(*args, **kw):
    return st.popmgr(*args, **kw)


N = 600
script = "".join("add p%06d -quota=10M\n" % i for i in range(N))
start = time.time()
r = pm(input=script)
took = time.time() - start
t.is_((r.returncode, r.stderr), (0, ""), "%d adds from a pipe" % N)
t.diag("%d accounts from a pipe: %.2fs" % (N, took))

names = ",".join("c%06d" % i for i in range(N))
start = time.time()
r = pm(input="add %s -owner=Bulk\n" % names)
took = time.time() - start
t.is_((r.returncode, r.stderr), (0, ""), "one add of %d names" % N)
t.diag("%d accounts in one command: %.2fs" % (N, took))
t.is_(pm("show", "-count_users").stdout, "%d accounts\n" % (2 * N),
      "count_users")
t.like(pm("show", "c%06d" % (N - 1)).stdout, r"Owner:\s+Bulk", "last of the list")

# the documented fanout (popstore(5)): users/HH/hh/NAME
users = os.path.join(st.dir, "users")
top = os.listdir(users)
leaves = glob.glob(os.path.join(users, "*", "*"))
per_leaf = [len(os.listdir(d)) for d in leaves]
t.ok(len(top) <= 256 and all(len(x) == 2 for x in top), "top level: "
     "at most 256 two-digit directories (%d)" % len(top))
t.ok(max(len(os.listdir(os.path.join(users, d))) for d in top) <= 256,
     "second level: at most 256 each")
t.is_(sum(per_leaf), 2 * N + 1, "every account is a leaf entry")
t.ok(max(per_leaf) <= 8, "spread: at most %d accounts in one leaf "
     "directory" % max(per_leaf))
t.diag("%d top, %d leaf directories, at most %d per leaf"
       % (len(top), len(leaves), max(per_leaf)))

# databases lost: lists are empty until rebuild-db; files are the truth
pm("group", "-add", "g1", "g2")
pm("forward", "p000001", "x@example.org")
pm("modify", "p000002", "-group_name=g2")
for f in glob.glob(os.path.join(st.dir, "db", "*.gdbm")):
    os.unlink(f)
t.is_(pm("show", "-count_users").stdout, "0 accounts\n",
      "no database: nothing listed")
t.is_(pm("show", "p000002").returncode, 0, "an account is still there")
r = pm("rebuild-db")
t.is_(r.returncode, 0, "rebuild-db: " + r.stderr)
t.is_(r.stdout, "Rebuilt: %d accounts, 2 groups, 1 forwardings\n"
      % (2 * N + 1), "rebuild-db counts")
t.is_(pm("show", "-count_users").stdout, "%d accounts\n" % (2 * N),
      "accounts listed again")
t.is_(pm("show", "-count_users", "-group=g2").stdout, "1 account\n",
      "groups of accounts back")
t.like(pm("show", "-forwardings").stdout, r"p000001\s+x@example.org",
       "forwardings back")
t.is_(pm("group", "-list").stdout, "g1: g2\ng2: \n", "groups listed")

# delete them all in one go
r = pm("delete", "*", "-noconfirm", "-nolog")
t.is_(r.returncode, 0, "delete * -noconfirm")
t.is_(pm("show", "-count_users").stdout, "0 accounts\n", "all deleted")
t.is_(pm("show", "default").returncode, 0, "but not the default account")
t.is_(st.log_errors(), [], "no errors logged")
t.done()
