#!/usr/bin/env python3
"""popmgr move: an account's mail moves to another partition while
deliveries to it keep running; every message arrives exactly once, UIDs,
UIDVALIDITY and flags survive, the old partition is left clean."""
import os
import re
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import imapt  # noqa: E402
import pstest  # noqa: E402
import storecheck  # noqa: E402

if not os.path.exists(pstest.program("imapd")):
    pstest.Tap().skip_all("imapd not built")
base = tempfile.mkdtemp(prefix="popstore-parts-")
os.chmod(base, 0o755)
parts = {}
for p in ("pa", "pb"):
    parts[p] = os.path.join(base, p)
    os.mkdir(parts[p], 0o750)
    if os.geteuid() == 0:
        import pwd
        pw = pwd.getpwnam("nobody")
        os.chown(parts[p], pw.pw_uid, pw.pw_gid)
# pc: on another file system when /dev/shm is one (files are copied).
shm = None
if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) and \
        os.stat("/dev/shm").st_dev != os.stat(base).st_dev:
    shm = tempfile.mkdtemp(prefix="popstore-parts-", dir="/dev/shm")
    os.chmod(shm, 0o755)
parts["pc"] = os.path.join(shm or base, "pc")
os.mkdir(parts["pc"], 0o750)
if os.geteuid() == 0:
    os.chown(parts["pc"], pw.pw_uid, pw.pw_gid)
t = pstest.Tap()
st = imapt.ImapStore(t, "PARTITION_pa=%s\nPARTITION_pb=%s\n"
                     "PARTITION_pc=%s\nDEFAULT_PARTITION=pa\n"
                     % (parts["pa"], parts["pb"], parts["pc"]))
start = time.time()


def acct_dir(part, name):
    return storecheck.fanout(parts[part], name)


tempfails = [0]


def retry_deliver(rcpts, data, tries=200):
    """Deliver like an MTA: retry while deliver says EX_TEMPFAIL."""
    for _ in range(tries):
        r = st.run("deliver", *rcpts, input=data)
        if r.returncode == 0:
            return True
        tempfails[0] += 1
        if r.returncode != 75:
            t.diag("deliver: %d %s" % (r.returncode, r.stderr))
            return False
        time.sleep(0.02)
    return False


def snapshot(name, folder="INBOX", store=None):
    """(UIDVALIDITY, {uid: (flags, subject, size)}) through IMAP."""
    c = (store or st).imap()
    c.login(name)
    lines = c.ok('SELECT "%s"' % folder)
    uv = None
    for ln in lines:
        m = re.search(rb"\[UIDVALIDITY (\d+)\]", ln)
        if m:
            uv = int(m.group(1))
    msgs = {}
    lines = c.ok("UID FETCH 1:* (FLAGS RFC822.SIZE "
                 "BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    for ln in lines:
        m = re.match(rb"\* \d+ FETCH \(.*UID (\d+)", ln)
        if not m:
            continue
        uid = int(m.group(1))
        fl = re.search(rb"FLAGS \(([^)]*)\)", ln).group(1)
        fl = b" ".join(f for f in fl.split() if f != b"\\Recent")
        size = int(re.search(rb"RFC822.SIZE (\d+)", ln).group(1))
        subj = re.search(rb"Subject: ([^\r\n]*)", ln)
        msgs[uid] = (fl.decode(), subj.group(1).decode() if subj else "",
                     size)
    c.ok("LOGOUT")
    c.close()
    return uv, msgs


for u in ("alice", "bob"):
    st.user(u)
for i in range(12):
    st.deliver("alice", imapt.msg("before %d" % i))
st.run("deliver", "alice", "bob", input=imapt.msg("shared"))
c = st.imap()
c.login("alice")
c.ok("SELECT INBOX")
c.ok("STORE 1:3 +FLAGS (\\Flagged)")
c.ok("STORE 5 +FLAGS (\\Seen \\Answered)")
c.ok("COPY 2:4 Trash")
c.ok("LOGOUT")
c.close()
t.ok(os.path.isdir(acct_dir("pa", "alice")), "alice's mail is on pa")
uv0, before = snapshot("alice")
tuv0, tbefore = snapshot("alice", "Trash")
t.is_(len(before), 13, "13 messages before the move")

# Deliveries in a loop while the account moves pa -> pb -> pa -> pb.
N = 30
results = []


def loop():
    for i in range(N):
        results.append(retry_deliver(["alice"], imapt.msg("during %d" % i)))


th = threading.Thread(target=loop)
th.start()
moves = []
for target in ("pb", "pa", "pb"):
    time.sleep(0.05)
    r = st.popmgr("move", "alice", "-partition=" + target)
    moves.append((r.returncode, r.stdout + r.stderr))
th.join(timeout=300)
t.ok(not th.is_alive(), "delivery loop finished")
for i, (rc, out) in enumerate(moves):
    t.is_(rc, 0, "move %d succeeded" % (i + 1))
    if rc:
        t.diag(out)
t.is_(sum(1 for x in results if x), N, "every delivery accepted")
t.diag("deliveries retried after EX_TEMPFAIL during the moves: %d"
       % tempfails[0])

r = st.popmgr("show", "alice", "-full")
t.like(r.stdout, r"(?i)partition:?\s+pb", "profile names partition pb")
t.ok(os.path.isdir(acct_dir("pb", "alice")), "mail directory on pb")
t.ok(not os.path.isdir(acct_dir("pa", "alice")), "no mail directory on pa")
leaf = os.path.dirname(acct_dir("pa", "alice"))
t.is_([n for n in os.listdir(leaf) if n.startswith(".deleted.")], [],
      "no copies left behind on pa")

uv1, after = snapshot("alice")
t.is_(uv1, uv0, "UIDVALIDITY kept")
t.is_({u: after[u] for u in before if u in after}, before,
      "UIDs, flags, subjects and sizes of the old messages kept")
subjects = sorted(v[1] for v in after.values())
want = sorted([v[1] for v in before.values()] +
              ["during %d" % i for i in range(N)])
t.is_(subjects, want, "every message present exactly once")
t.ok(min(u for u in after if u not in before) > max(before),
     "new UIDs above the old ones")
tuv1, tafter = snapshot("alice", "Trash")
t.is_((tuv1, tafter), (tuv0, tbefore), "Trash kept too")

c = st.imap()
c.login("alice")
c.ok("SELECT INBOX")
body = c.ok("FETCH 1 BODY[]")
t.ok(any(b"Subject: before 0" in ln for ln in body), "FETCH BODY[] works")
c.ok("STORE 1 +FLAGS (\\Deleted)")
c.ok("EXPUNGE")
c.ok("LOGOUT")
c.close()
t.ok(retry_deliver(["alice", "bob"], imapt.msg("after")),
     "delivery after the move")

r = st.popmgr("move", "alice", "-partition=pb")
t.like(r.stdout, r"already", "moving to the same partition does nothing")
r = st.popmgr("move", "alice", "-partition=nowhere")
t.ok(r.returncode != 0 and "not configured" in r.stderr,
     "unknown partition refused")
r = st.popmgr("move", "nobody-here", "-partition=pa")
t.ok(r.returncode != 0, "unknown account refused")
r = st.popmgr("move", "alice")
t.ok(r.returncode != 0, "-partition is required")

# A move back and forth, then over a stale copy on the target (an
# interrupted move): the stale copy is replaced.
r = st.popmgr("move", "bob", "-partition=pb")
t.is_(r.returncode, 0, "bob moved")
t.is_(st.popmgr("move", "bob", "-partition=pa").returncode, 0,
      "bob moved back")
_, bobmsgs = snapshot("bob")
t.is_(sorted(v[1] for v in bobmsgs.values()), ["after", "shared"],
      "bob's messages, shared with alice, kept")
t.ok(os.path.isfile(acct_dir("pb", "bob")), "tombstone at the old place")
os.unlink(acct_dir("pb", "bob"))
os.makedirs(os.path.join(acct_dir("pb", "bob"), "f0"))
if os.geteuid() == 0:
    for d in (acct_dir("pb", "bob"), os.path.join(acct_dir("pb", "bob"), "f0")):
        os.chown(d, pw.pw_uid, pw.pw_gid)
r = st.popmgr("move", "bob", "-partition=pb")
t.is_(r.returncode, 0, "move over a stale copy on the target")
_, bobmsgs = snapshot("bob")
t.is_(len(bobmsgs), 2, "bob's messages after moving over a stale copy")

# To another file system (copies, not links) and back.
uv_c, alice_c = snapshot("alice")
r = st.popmgr("move", "alice", "-partition=pc")
t.is_(r.returncode, 0, "move to partition pc%s"
      % (" (another file system)" if shm else ""))
if shm:
    t.like(r.stdout, r"\(\d+ files, 0 linked\)", "files were copied")
else:
    t.ok(True, "files were linked (no second file system)")
t.is_(snapshot("alice"), (uv_c, alice_c), "same messages on pc")
t.is_(st.popmgr("move", "alice", "-partition=pb").returncode, 0,
      "move back from pc")
t.is_(snapshot("alice"), (uv_c, alice_c), "same messages back on pb")

t.is_(st.reconstruct_clean(), "", "reconstruct finds nothing to fix")
sv = storecheck.StoreView(st.conf)
problems, notes = sv.check(since=start)
t.is_(problems, [], "store checker: clean")
t.is_(st.log_errors(), [], "no errors logged")

# ---- export from this store, import into another ----
outdir = os.path.join(base, "out")
os.mkdir(outdir, 0o755)
if os.geteuid() == 0:
    os.chown(outdir, pw.pw_uid, pw.pw_gid)
tarfile_ = os.path.join(outdir, "alice.tar")
c = st.imap()
c.login("alice")
c.ok("SELECT INBOX")
c.ok("STORE 2 +FLAGS (\\Draft)")
c.ok("LOGOUT")
c.close()
uv_a, msgs_a = snapshot("alice")
tuv_a, trash_a = snapshot("alice", "Trash")
r = st.popmgr("export", "alice", "-output=" + tarfile_)
t.is_(r.returncode, 0, "export")
t.ok(os.path.getsize(tarfile_) > 0 if os.path.exists(tarfile_) else False,
     "export wrote a tar file")
st2 = imapt.ImapStore(t)
r = st2.popmgr("import", tarfile_)
t.is_(r.returncode, 0, "import into a second store")
if r.returncode:
    t.diag(r.stdout + r.stderr)
t.is_(snapshot("alice", store=st2), (uv_a, msgs_a),
      "imported: same UIDVALIDITY, UIDs, flags, subjects, sizes")
t.is_(snapshot("alice", "Trash", store=st2), (tuv_a, trash_a),
      "imported Trash the same")
c = st2.imap()
c.login("alice")
c.ok("SELECT INBOX")
body = c.ok("UID FETCH %d BODY[]" % min(msgs_a))
t.ok(any(b"Subject: " in ln for ln in body), "FETCH BODY[] on the import")
c.ok("LOGOUT")
c.close()
r = st2.popmgr("show", "alice", "-full")
t.like(r.stdout, r"(?i)partition:?\s+main", "imported on the default partition")
t.ok(retry_deliver(["alice"], imapt.msg("new")) and
     st2.run("deliver", "alice", input=imapt.msg("new")).returncode == 0,
     "delivery to the imported account")
t.is_(st2.reconstruct_clean(), "", "second store: reconstruct clean")
problems, notes = storecheck.StoreView(st2.conf).check(since=start)
t.is_(problems, [], "second store: store checker clean")
r = st2.popmgr("import", tarfile_)
t.ok(r.returncode != 0 and "exists" in r.stderr, "import refuses an existing account")
bogus = os.path.join(outdir, "bogus.tar")
with open(bogus, "wb") as f:
    f.write(b"not a tar file" * 100)
r = st2.popmgr("import", bogus)
t.ok(r.returncode != 0, "import refuses a file that is not an export")
t.is_(st2.log_errors(), [], "second store: no errors logged")
import shutil  # noqa: E402
shutil.rmtree(base, ignore_errors=True)
if shm:
    shutil.rmtree(shm, ignore_errors=True)
t.done()
