#!/usr/bin/env python3
"""The management interface through lighttpd: a WORLD manager lists,
searches, adds, copies, modifies, renames and deletes accounts (with and
without returning unread mail), deletes and returns chosen messages,
sets and removes forwardings and manages groups; a group manager sees
and touches only its groups' accounts, also by forged POSTs; MANAGE
cannot be given through the form."""
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
for g in ("grpa", "grpb"):
    st.popmgr("group", "-add", g)
web.account("boss", "-flags=manage")
web.account("amgr", "-flags=manage", "-group_name=grpa")
web.account("ann", "-group_name=grpa", "-store=pop")
web.account("bob", "-group_name=grpb")


def show(name):
    r = st.popmgr("show", name)
    return r.stdout if r.returncode == 0 else None


def field(name, key):
    m = re.search(r"^%s:[ \t]*(.*)$" % re.escape(key), show(name) or "", re.M)
    return m.group(1).strip() if m else None


def names(resp):
    return re.findall(r'p=account&amp;name=([^"&]+)"', resp.text)


m = web.client("manage")
t.is_(m.login("boss").status, 303, "WORLD manager logs in")

# ---- list and search ----
r = m.get(p="accounts")
t.ok({"amgr", "ann", "bob", "boss"} <= set(names(r)),
     "list shows every account", names(r))
r = m.get(p="accounts", q="a*")
t.is_(sorted(names(r)), ["amgr", "ann"], "wildcard search a*")
r = m.get(p="accounts", q="^b.b$", re="1")
t.is_(names(r), ["bob"], "PCRE2 search ^b.b$")
r = m.get(p="accounts", q="(", re="1")
t.ok(r.status == 200 and 'class="error"' in r.text or "error" in r.text,
     "a bad regular expression is an error on the page")
r = m.get(p="accounts", group="grpb")
t.is_(names(r), ["bob"], "search by group")
t.like(r.text, r'id="counts"', "account counts by group")

# ---- add ----
m.get(p="add")
r = m.post(do="add", name="carl", owner="Carl <carl@x>", type="pop",
           group="grpb", quota="2M", password="Xyzzy4567",
           password2="Xyzzy4567", lockpwd="1")
t.is_(r.status, 303, "add carl")
t.is_(field("carl", "Group"), "grpb", "carl: group")
t.is_(field("carl", "Store Type"), "pop", "carl: pop")
t.like(field("carl", "Usage flags") or "", "lockpwd", "carl: LOCKPWD")
t.like(field("carl", "Primary quota") or "", "^2048.00 Kbytes",
       "carl: quota 2M")
u = web.client("user")
t.is_(u.login("carl", "Xyzzy4567").status, 303, "carl can log in with the "
      "password the manager gave")
r = m.post(do="add", name="carl", password="", password2="")
t.ok(r.status in (200, 400, 409) and field("carl", "Group") == "grpb",
     "adding an existing name fails and changes nothing")
r = m.post(do="add", name="dave", password="x1", password2="x2")
t.ok(show("dave") is None, "two different passwords: not added")
r = m.post(do="add", name="mgr2", manage="1", type="imap")
t.ok(show("mgr2") and "manage" not in field("mgr2", "Usage flags"),
     "MANAGE cannot be given through the form")

# ---- copy, modify ----
m.get(p="copy", **{"from": "carl"})
r = m.post(do="copy", name="carl2", **{"from": "carl"},
           type="pop", group="grpb", quota="2M")
t.is_((r.status, field("carl2", "Group")), (303, "grpb"), "copy carl to carl2")
m.get(p="modify", name="carl2")
r = m.post(do="modify", name="carl2", owner="Second Carl", type="imap",
           group="grpa", quota="5M", overdraft="1M", dismail="1")
t.is_(r.status, 303, "modify carl2")
t.is_((field("carl2", "Owner"), field("carl2", "Group"),
       field("carl2", "Store Type")), ("Second Carl", "grpa", "imap"),
      "modify: owner, group, type")
t.like(field("carl2", "Usage flags") or "", "dismail", "modify: DISMAIL")
r = m.post(do="modify", name="carl2", quota="lots")
t.ok(r.status != 303 and field("carl2", "Primary quota").startswith("5120"),
     "a bad quota is refused, nothing changed")
r = m.get(p="account", name="carl2")
t.like(r.text, r"Second Carl", "account page shows the profile")

# ---- rename, delete ----
r = m.post(do="rename", name="carl2", newname="carl3")
t.ok(r.status == 303 and show("carl2") is None and show("carl3"),
     "rename carl2 to carl3")
r = m.post(do="rename", name="carl3", newname="bob")
t.ok(r.status != 303 and show("carl3"), "rename onto an existing name "
     "refused")
r = m.post(do="delete", name="carl3")
t.ok(r.status == 303 and show("carl3") is None, "delete carl3")
r = m.post(do="delete", name="default")
t.is_(r.status, 400, "the default account cannot be deleted")

# ---- messages: delete and return ----
for i in range(3):
    rr = web.deliver("carl", msg("note %d" % i, to="carl@mail.example.com"),
                     sender="friend%d@example.org" % i)
    t.is_(rr.returncode, 0, "deliver to carl %d" % i)
r = m.get(p="account", name="carl")
uids = re.findall(r'name="uid" value="(\d+)"', r.text)
t.is_(len(uids), 3, "account page lists carl's messages")
for s in ("note 0", "note 1", "note 2"):
    t.ok(s in r.text, "message %s listed" % s)
form = [f for f in r.forms() if ("do", "messages") in f["fields"]][0]
hidden = [kv for kv in form["fields"] if kv[0] in ("name", "f", "v", "do")]
r = m.post(hidden + [("uid", uids[0]), ("op", "delete")])
t.is_(r.status, 303, "delete one message")
r = m.post(hidden + [("uid", uids[1]), ("op", "return")])
t.is_(r.status, 303, "return one message")
t.like(r.header("location") or "", r"r=1", "one returned")
sent = dl.sent(sentdir)
t.ok(len(sent) == 1 and any("friend" in a for a in sent[0][0]),
     "the returned message went to its sender", sent and sent[0][0])
t.like(field("carl", "Message count") or "", r"^1 ", "one message left")
r = m.post([kv for kv in hidden if kv[0] != "v"] + [("v", "12345"),
                                                    ("uid", uids[2])])
t.ok(r.status in (409, 303) and field("carl", "Message count")
     .startswith("1 "), "a stale UIDVALIDITY deletes nothing")

# delete with return of unread mail
rr = web.deliver("carl", msg("last", to="carl@mail.example.com"),
                 sender="last@example.org")
r = m.post(do="delete", name="carl", **{"return": "1"})
t.ok(r.status == 303 and show("carl") is None, "delete carl returning "
     "unread mail")
t.ok(len(dl.sent(sentdir)) >= 2, "unread messages returned at delete")

# ---- forwardings ----
r = m.post(do="forward", name="ann", to="ann@elsewhere.org, ann",
           back="account")
t.is_(r.status, 303, "forward ann")
t.like(field("ann", "Forwarding") or "", "ann@elsewhere.org",
       "forwarding recorded")
r = m.post(do="forward", name="list1", to="a@x.org,b@y.org")
t.is_(r.status, 303, "forwarding for a name that is no account")
r = m.get(p="forwardings")
t.ok("list1" in r.text and "b@y.org" in r.text, "forwardings listed")
r = m.post(do="noforward", name="list1")
t.ok(r.status == 303 and "list1" not in m.get(p="forwardings").text,
     "forwarding removed")
r = m.post(do="forward", name="x", to="not an address <<")
t.is_(r.status, 400, "a bad forwarding address is refused")

# ---- groups ----
r = m.post(do="group_add", name="grpc", subgroups="", description="Third")
t.is_(r.status, 303, "group added")
t.like(st.popmgr("group", "-list").stdout, "grpc", "group exists")
r = m.post(do="group_modify", name="grpa", subgroups="grpc", description="")
t.is_(r.status, 303, "grpc nested under grpa")
web.account("cid", "-group_name=grpc")

# ---- a group manager ----
g = web.client("manage")
t.is_(g.login("amgr").status, 303, "group manager logs in")
r = g.get(p="accounts")
seen = set(names(r))
t.ok({"ann", "cid"} <= seen and not seen & {"bob", "boss"},
     "group manager sees its groups (nested too) only", seen)
t.is_(g.get(p="account", name="bob").status, 404,
      "another group's account page: 404")
mark = web.log_mark()
tok = g.token
forged = [
    ("modify", dict(do="modify", name="bob", owner="pwned", group="grpb")),
    ("delete", dict(do="delete", name="bob")),
    ("rename", dict(do="rename", name="bob", newname="bob2")),
    ("forward", dict(do="forward", name="bob", to="evil@x.org")),
    ("noforward", dict(do="noforward", name="boss")),
    ("messages", dict(do="messages", name="bob", f="0", v="1", uid="1",
                      op="delete")),
    ("copy", dict(do="copy", name="bobcopy", **{"from": "bob"})),
    ("add elsewhere", dict(do="add", name="eve", group="grpb")),
    ("move into", dict(do="modify", name="ann", group="grpb")),
    ("group change", dict(do="group_add", name="grpz")),
    ("manage flag", dict(do="modify", name="ann", group="grpa",
                         manage="1")),
]
for what, f in forged:
    r = g.post(csrf=tok, **f)
    t.ok(r.status in (403, 404) or (what == "manage flag"),
         "forged %s refused (%d)" % (what, r.status))
t.is_(field("bob", "Owner"), "", "bob untouched")
t.ok(show("bob2") is None and show("bobcopy") is None and show("eve") is None,
     "nothing created by forged POSTs")
t.is_(field("ann", "Group"), "grpa", "ann not moved out of reach")
t.ok("manage" not in (field("ann", "Usage flags") or ""),
     "a group manager cannot give MANAGE")
t.like(field("ann", "Forwarding") or "", "elsewhere", "ann's forwarding kept")
t.ok("grpz" not in st.popmgr("group", "-list").stdout,
     "a group manager cannot add groups")
t.ok(any("event=permission_denied" in l for l in web.log_since(mark)),
     "refusals logged")
r = g.post(do="modify", name="ann", owner="Ann A", group="grpa", type="pop")
t.is_((r.status, field("ann", "Owner")), (303, "Ann A"),
      "group manager modifies its own group's account")

web.check_clean()
t.done()
