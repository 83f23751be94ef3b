#!/usr/bin/env python3
"""Crash states: record the file-system calls of a delivery (fan-out 2), an
IMAP expunge, an IMAP COPY and MOVE, and a reconstruct with strace, then
for every prefix of each recording build the store a crash at that point
would leave, in two models:

  as-is    every call of the prefix reached the disk;
  synced   names (create, rename, link, unlink, mkdir) reached the disk in
           order, but file data only as of the file's last fsync,
           fdatasync or syncfs: whatever was written since is lost (a
           never-synced file is empty).

On each state reconstruct runs, then must find nothing on a second,
check-only run; the store must check clean (t/lib/storecheck.py); every
message acknowledged before the crash point (all messages of the
pre-state, and the new one in the state after the last call) is in its
folder; and every indexed message file is byte for byte a whole message
(one of the pre-state or of the finished operation): nothing partial is
visible.

The model leaves out: lost directory entries that were never fsynced
(names are durable in order here), and reordering of data writes
between two syncs of the same file beyond dropping them all."""
import os
import random
import re
import shutil
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import pstest  # noqa: E402
import storecheck  # noqa: E402

t = pstest.Tap()
start = time.time()
if shutil.which("strace") is None:
    t.skip_all("strace is not installed")
probe = subprocess.run(["strace", "-o", "/dev/null", "true"],
                       capture_output=True)
if probe.returncode != 0:
    t.skip_all("strace cannot trace here: %s" % probe.stderr.decode()[:80])
SANITIZED = os.environ.get("POPSTORE_SANITIZED") == "1"
BUDGET = float(os.environ.get("CRASH_BUDGET") or (20 if SANITIZED else 32))    # seconds of state checks in all
user = "nobody" if os.geteuid() == 0 else None
st = pstest.Store(t, conf="SYNC_MODE=fsync\nLOGIN_FAIL_DELAY=0\n",
                  store_user=user)
PASSWORD = "Secret123"
for name in ("c1", "c2"):
    r = st.popmgr("add", name, "-store=imap", "-password=" + PASSWORD)
    if r.returncode != 0:
        print("Bail out! popmgr add: " + r.stderr)
        sys.exit(2)
ROOT = os.path.realpath(st.dir)


# ---- recording ----
def unhex(s):
    return bytes(int(h, 16) for h in re.findall(r"\\x([0-9a-f]{2})", s))


def split_args(s):
    """Top-level comma-separated arguments of a strace call."""
    out, depth, cur, q = [], 0, "", False
    for ch in s:
        if q:
            cur += ch
            if ch == '"':
                q = False
            continue
        if ch == '"':
            q = True
        elif ch in "[{<(":
            depth += 1
        elif ch in "]}>)":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
            continue
        cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def fd_of(arg):
    """(fd number or 'AT_FDCWD', annotated path) of an fd argument."""
    m = re.match(r"^(-?\d+|AT_FDCWD)(?:<(.*)>)?$", arg)
    if not m:
        return None, None
    return m.group(1), unhex(m.group(2) or "").decode("latin-1")


def string_of(arg):
    m = re.match(r'^"((?:\\x[0-9a-f]{2})*)"', arg)
    return unhex(m.group(1)).decode("latin-1") if m else None


LINE = re.compile(r"^(\d+) +(\w+)\((.*)\) += (-?\d+)(?:<(.*?)>)?")


def record(argv, input_bytes, env=None):
    """Run argv under strace; returns (CompletedProcess, ops)."""
    log = os.path.join(st.tmp, "strace.out")
    e = dict(st.env)
    if env:
        e.update(env)
    # LeakSanitizer cannot run under ptrace
    asan = e.get("ASAN_OPTIONS", "")
    e["ASAN_OPTIONS"] = (asan + ":" if asan else "") + "detect_leaks=0"
    r = subprocess.run(["strace", "-f", "-qq", "-xx", "-s", "10000000", "-y",
                        "-e", "trace=%file,%desc,fsync,fdatasync,syncfs,"
                        "sync,%process", "-o", log] + argv,
                       input=input_bytes, capture_output=True, env=e,
                       timeout=120)
    with open(log, errors="replace") as f:
        raw = f.read().splitlines()
    # join "<unfinished ...>" with its "<... resumed>"
    pending, lines = {}, []
    for ln in raw:
        m = re.match(r"^(\d+) +(.*) <unfinished \.\.\.>$", ln)
        if m:
            pending[m.group(1)] = m.group(2)
            continue
        m = re.match(r"^(\d+) +<\.\.\. \w+ resumed>(.*)$", ln)
        if m and m.group(1) in pending:
            ln = m.group(1) + " " + pending.pop(m.group(1)) + m.group(2)
        lines.append(ln)
    return r, parse(lines)


def parse(lines):
    ops = []
    fds = {}            # pid -> {fd: handle}
    handles = {}        # handle -> {"path", "pos", "append", "store"}
    cwd = {}
    nexth = [0]

    def table(pid):
        return fds.setdefault(pid, {})

    def full(dirarg, patharg, pid):
        p = string_of(patharg)
        if p is None:
            return None
        if p.startswith("/"):
            return os.path.normpath(p)
        fd, dpath = fd_of(dirarg) if dirarg else ("AT_FDCWD", None)
        base = dpath or cwd.get(pid) or os.getcwd()
        return os.path.normpath(os.path.join(base, p))

    def inside(p):
        return p is not None and (p == ROOT or p.startswith(ROOT + "/"))

    def opened(pid, fd, path, flags, ret_path):
        path = os.path.normpath(ret_path) if ret_path else path
        h = nexth[0]
        nexth[0] += 1
        handles[h] = {"path": path, "pos": 0, "append": "O_APPEND" in flags,
                      "store": inside(path)}
        table(pid)[fd] = h
        if inside(path) and ("O_CREAT" in flags or "O_TRUNC" in flags):
            ops.append(("open", h, path, "O_CREAT" in flags,
                        "O_TRUNC" in flags, "O_DIRECTORY" in flags))
        elif inside(path):
            ops.append(("bind", h, path))

    for ln in lines:
        m = LINE.match(ln)
        if not m:
            continue
        pid, call, argstr, ret = m.group(1), m.group(2), m.group(3), \
            int(m.group(4))
        if ret < 0:
            continue
        a = split_args(argstr)
        ret_path = unhex(m.group(5)).decode("latin-1") if m.group(5) else None
        if call in ("clone", "clone3", "fork", "vfork"):
            fds[str(ret)] = dict(table(pid))
            if pid in cwd:
                cwd[str(ret)] = cwd[pid]
        elif call in ("openat", "open", "creat"):
            if call == "openat":
                path, flags = full(a[0], a[1], pid), a[2]
            elif call == "open":
                path, flags = full(None, a[0], pid), a[1]
            else:
                path, flags = full(None, a[0], pid), "O_CREAT|O_TRUNC"
            opened(pid, str(ret), path, flags, ret_path)
        elif call in ("dup", "dup2", "dup3") or (
                call == "fcntl" and len(a) > 1 and "F_DUPFD" in a[1]):
            fd, _ = fd_of(a[0])
            if fd in table(pid):
                table(pid)[str(ret)] = table(pid)[fd]
        elif call == "close":
            fd, _ = fd_of(a[0])
            table(pid).pop(fd, None)
        elif call in ("write", "pwrite64", "read", "lseek", "ftruncate",
                      "fsync", "fdatasync", "syncfs", "writev", "pwritev"):
            fd, _ = fd_of(a[0])
            h = table(pid).get(fd)
            if call == "syncfs":
                ops.append(("syncall",))
                continue
            if h is None or not handles[h]["store"]:
                continue
            hd = handles[h]
            if call == "write":
                data = unhex(a[1])[:ret]
                ops.append(("write", h, None if hd["append"] else hd["pos"],
                            data))
                hd["pos"] += ret
            elif call == "pwrite64":
                ops.append(("write", h, int(a[3]), unhex(a[1])[:ret]))
            elif call == "read":
                hd["pos"] += ret
            elif call == "lseek":
                hd["pos"] = ret
            elif call == "ftruncate":
                ops.append(("ftruncate", h, int(a[1])))
            elif call in ("fsync", "fdatasync"):
                ops.append(("fsync", h))
            else:
                ops.append(("unsupported", call))
        elif call in ("rename", "renameat", "renameat2"):
            if call == "rename":
                src, dst = full(None, a[0], pid), full(None, a[1], pid)
            else:
                src, dst = full(a[0], a[1], pid), full(a[2], a[3], pid)
            if inside(src) or inside(dst):
                ops.append(("rename", src, dst))
        elif call in ("link", "linkat"):
            if call == "link":
                src, dst = full(None, a[0], pid), full(None, a[1], pid)
            else:
                src, dst = full(a[0], a[1], pid), full(a[2], a[3], pid)
            if inside(dst):
                ops.append(("link", src, dst))
        elif call in ("unlink", "unlinkat", "rmdir"):
            if call == "unlinkat":
                p = full(a[0], a[1], pid)
                kind = "rmdir" if "AT_REMOVEDIR" in a[2] else "unlink"
            else:
                p = full(None, a[0], pid)
                kind = "rmdir" if call == "rmdir" else "unlink"
            if inside(p):
                ops.append((kind, p))
        elif call in ("mkdir", "mkdirat"):
            p = full(a[0], a[1], pid) if call == "mkdirat" else \
                full(None, a[0], pid)
            if inside(p):
                ops.append(("mkdir", p))
        elif call == "sync":
            ops.append(("syncall",))
        elif call == "chdir":
            cwd[pid] = full(None, a[0], pid)
    return ops


# ---- the virtual file system: pre-state plus recorded calls ----
class VFS:
    def __init__(self, snap):
        self.dirs = dict(snap["dirs"])          # path -> (mode, uid, gid)
        self.names = dict(snap["names"])        # path -> inode
        self.inodes = {k: dict(v, data=bytearray(v["data"]))
                       for k, v in snap["inodes"].items()}
        self.handles = {}
        self.owner = snap["owner"]
        self.next = max(self.inodes, default=0) + 1

    def new_inode(self):
        i = self.next
        self.next += 1
        self.inodes[i] = {"data": bytearray(), "synced": b"",
                          "mode": 0o600, "uid": self.owner[0],
                          "gid": self.owner[1]}
        return i

    def apply(self, op):
        k = op[0]
        if k in ("open", "bind"):
            h, path = op[1], op[2]
            if k == "open" and op[5]:
                return
            if path in self.names:
                ino = self.names[path]
            elif k == "open" and op[3]:
                ino = self.names[path] = self.new_inode()
            else:
                return
            self.handles[h] = ino
            if k == "open" and op[4]:
                self.inodes[ino]["data"] = bytearray()
        elif k == "write":
            ino = self.handles.get(op[1])
            if ino is None:
                return
            d = self.inodes[ino]["data"]
            off = len(d) if op[2] is None else op[2]
            if off > len(d):
                d.extend(b"\0" * (off - len(d)))
            d[off:off + len(op[3])] = op[3]
        elif k == "ftruncate":
            ino = self.handles.get(op[1])
            if ino is not None:
                d = self.inodes[ino]["data"]
                if op[2] < len(d):
                    del d[op[2]:]
                else:
                    d.extend(b"\0" * (op[2] - len(d)))
        elif k == "fsync":
            ino = self.handles.get(op[1])
            if ino is not None:
                self.inodes[ino]["synced"] = bytes(self.inodes[ino]["data"])
        elif k == "syncall":
            for v in self.inodes.values():
                v["synced"] = bytes(v["data"])
        elif k == "rename":
            src, dst = op[1], op[2]
            if src in self.names:
                self.names[dst] = self.names.pop(src)
            elif src in self.dirs:
                for table in (self.dirs, self.names):
                    for p in [p for p in table
                              if p == src or p.startswith(src + "/")]:
                        table[dst + p[len(src):]] = table.pop(p)
        elif k == "link":
            if op[1] in self.names:
                self.names[op[2]] = self.names[op[1]]
        elif k == "unlink":
            self.names.pop(op[1], None)
        elif k == "mkdir":
            self.dirs.setdefault(op[1], (0o750,) + self.owner)
        elif k == "rmdir":
            self.dirs.pop(op[1], None)

    def materialize(self, synced):
        shutil.rmtree(ROOT, ignore_errors=True)
        for d in sorted(self.dirs, key=len):
            os.makedirs(d, exist_ok=True)
            mode, uid, gid = self.dirs[d]
            os.chmod(d, mode)
            os.lchown(d, uid, gid)
        made = {}
        for path in sorted(self.names):
            ino = self.names[path]
            if not os.path.isdir(os.path.dirname(path)):
                continue        # its directory is gone: so is the name
            if ino in made:
                os.link(made[ino], path)
                continue
            v = self.inodes[ino]
            data = v["synced"] if synced else bytes(v["data"])
            with open(path, "wb") as f:
                f.write(data or b"")
            os.chmod(path, v["mode"])
            os.lchown(path, v["uid"], v["gid"])
            made[ino] = path


def snapshot():
    dirs, names, inodes = {}, {}, {}
    for d, subdirs, files in os.walk(ROOT):
        s = os.lstat(d)
        dirs[d] = (stat.S_IMODE(s.st_mode), s.st_uid, s.st_gid)
        for fn in files:
            p = os.path.join(d, fn)
            s = os.lstat(p)
            if s.st_ino not in inodes:
                with open(p, "rb") as f:
                    data = f.read()
                inodes[s.st_ino] = {"data": data, "synced": data,
                                    "mode": stat.S_IMODE(s.st_mode),
                                    "uid": s.st_uid, "gid": s.st_gid}
            names[p] = s.st_ino
    s = os.lstat(ROOT)
    return {"dirs": dirs, "names": names, "inodes": inodes,
            "owner": (s.st_uid, s.st_gid)}


# ---- checks ----
def indexed_messages():
    """{(account, folder id): [message bytes]} of the indexed messages."""
    sv = storecheck.StoreView(st.conf)
    out = {}
    for name in sv.accounts():
        for fid in sv.folders(name):
            msgs = []
            for uid, path, _ in sv.messages(name, fid):
                try:
                    with open(path, "rb") as f:
                        msgs.append(f.read())
                except OSError:
                    msgs.append(None)
            out[(name, fid)] = msgs
    return out


def tags(msgs):
    found = []
    for m in msgs:
        mm = re.search(rb"X-Crash: (\S+)", m or b"")
        found.append(mm.group(1).decode() if mm else "?")
    return found


def check_state(where, acked, whole):
    """Reconstruct the current store and check it; a list of problems."""
    bad = []
    r = st.run("reconstruct", "c1", "c2")
    if r.returncode != 0:
        bad.append("%s: reconstruct exit %d: %s" % (where, r.returncode,
                                                    r.stderr[-300:]))
    r = st.run("reconstruct", "-n", "c1", "c2")
    if r.returncode != 0 or r.stdout.strip() or r.stderr.strip():
        bad.append("%s: not clean on the second run: %s" %
                   (where, (r.stdout + r.stderr).strip()[:300]))
    problems, _ = storecheck.StoreView(st.conf).check(since=start - 3600)
    if problems:
        bad.append("%s: storecheck: %s" % (where, "; ".join(problems[:3])))
    msgs = indexed_messages()
    for key, want in acked.items():
        if key[1] is None:      # anywhere in the account
            have = [x for k, lst in msgs.items() if k[0] == key[0]
                    for x in tags(lst)]
        else:
            have = tags(msgs.get(key, []))
        for tag in want:
            if tag not in have:
                bad.append("%s: acknowledged %s missing from %s/%s" %
                           (where, tag, key[0], key[1]))
    for key, lst in msgs.items():
        for m in lst:
            if m is None or m not in whole:
                bad.append("%s: %s/f%d holds a partial or unknown message "
                           "%r" % (where, key[0], key[1], (m or b"")[:60]))
    return bad


def deliver(tag, *rcpts):
    body = ("From: x@example.org\nSubject: %s\nX-Crash: %s\n\n%s\n" %
            (tag, tag, "line\n" * 30)).encode()
    r = st.run("deliver", *rcpts, input=body)
    if r.returncode != 0:
        print("Bail out! deliver: " + r.stderr)
        sys.exit(2)


def imap_script(*cmds):
    s = "a0 LOGIN c1 %s\r\n" % PASSWORD
    for i, c in enumerate(cmds):
        s += "a%d %s\r\n" % (i + 1, c)
    return (s + "z LOGOUT\r\n").encode()


def all_whole():
    out = set()
    for lst in indexed_messages().values():
        out.update(m for m in lst if m)
    return out


def run_scenario(what, argv, inp, acked_before, acked_after, budget,
                 todo=None):
    """Record argv, then check the crash states of every prefix."""
    pre = snapshot()
    whole_pre = all_whole()
    r, ops = record(argv, inp)
    out = r.stdout.decode("latin-1")
    if r.returncode != 0 or re.search(r"^a\d+ (NO|BAD)", out, re.M):
        t.ok(False, "%s: the recorded run succeeds" % what,
             (out + r.stderr.decode("latin-1"))[-600:])
        return
    post = snapshot()
    whole = whole_pre | all_whole()
    if os.environ.get("CRASH_DEBUG"):
        for i, o in enumerate(ops):
            t.diag("%d %s" % (i, " ".join(str(x)[:90] for x in o)))
    unsupported = [o for o in ops if o[0] == "unsupported"]
    mutating = [i for i, o in enumerate(ops)
                if o[0] not in ("bind",) and not (o[0] == "open" and o[5])]
    t.ok(len(mutating) > 3 and not unsupported,
         "%s: %d file-system calls recorded (%d change the store)" %
         (what, len(ops), len(mutating)), repr(unsupported[:3]))
    # the states: after each changing call, plus the empty prefix
    cuts = [0] + [i + 1 for i in mutating]
    deadline = time.time() + budget
    bad = {False: [], True: []}
    tried = {False: 0, True: 0}
    # the final state in both models first: it must hold everything; then
    # the others in an order spread over the whole recording, as many as
    # the time budget allows
    rest = cuts[:]
    random.Random(len(ops)).shuffle(rest)
    order = [len(ops)] + [c for c in rest if c != len(ops)]
    for cut in order:
        if time.time() > deadline and cut != len(ops):
            break
        for synced in (False, True):
            v = VFS(pre)
            for o in ops[:cut]:
                v.apply(o)
            v.materialize(synced)
            acked = acked_after if cut == len(ops) else acked_before
            tried[synced] += 1
            bad[synced] += check_state(
                "%s after %d/%d calls%s" %
                (what, cut, len(ops),
                 " (unsynced data lost)" if synced else ""), acked, whole)
    total = len(order)
    t.ok(not bad[False], "%s, as-is: %d crash states (of %d), each recovers: "
         "nothing acknowledged lost, nothing partial, reconstruct clean "
         "after" % (what, tried[False], total), "\n".join(bad[False][:15]))
    name = ("%s, unsynced data lost: %d crash states (of %d), each "
            "recovers" % (what, tried[True], total))
    if bad[True] and todo and all("partial" in b for b in bad[True]):
        # a known problem: reported, not failed (TAP TODO)
        t.n += 1
        print("not ok %d - %s # TODO %s" % (t.n, name, todo), flush=True)
        for line in bad[True][:10]:
            print("#   " + line)
    else:
        t.ok(not bad[True], name, "\n".join(bad[True][:15]))
    # leave the finished operation's store for the next scenario
    VFS(post).materialize(False)
    st.run("reconstruct")


# pre-state: a few messages everywhere
deliver("pre1", "c1", "c2")
deliver("pre2", "c1")
deliver("pre3", "c1")
r = st.run("imapd", input=imap_script("CREATE Archive"))
if r.returncode != 0:
    print("Bail out! imapd: " + r.stderr)
    sys.exit(2)
sv = storecheck.StoreView(st.conf)
arch = [fid for fid, n in sv.folders("c1").items() if n == "Archive"]
if not arch:
    print("Bail out! no Archive folder")
    sys.exit(2)
ARCH = arch[0]

scenarios = 5
per = BUDGET / scenarios
body = (b"From: x@example.org\nSubject: new\nX-Crash: new1\n\n" +
        b"line\n" * 30)
run_scenario("deliver to c1,c2",
             [pstest.program("deliver"), "-C", st.conf, "c1", "c2"], body,
             {("c1", 0): ["pre1", "pre2", "pre3"], ("c2", 0): ["pre1"]},
             {("c1", 0): ["pre1", "pre2", "pre3", "new1"],
              ("c2", 0): ["pre1", "new1"]}, per)
run_scenario("IMAP expunge",
             [pstest.program("imapd"), "-C", st.conf],
             imap_script("SELECT INBOX", "STORE 2 +FLAGS (\\Deleted)",
                         "EXPUNGE"),
             {("c1", 0): ["pre1", "pre3", "new1"]},
             {("c1", 0): ["pre1", "pre3", "new1"]}, per)
run_scenario("IMAP COPY",
             [pstest.program("imapd"), "-C", st.conf],
             imap_script("SELECT INBOX", "COPY 1 Archive"),
             {("c1", 0): ["pre1", "pre3", "new1"]},
             {("c1", 0): ["pre1", "pre3", "new1"], ("c1", ARCH): ["pre1"]},
             per)
run_scenario("IMAP MOVE",
             [pstest.program("imapd"), "-C", st.conf],
             imap_script("SELECT INBOX", "MOVE 2 Archive"),
             {("c1", 0): ["pre1", "new1"], ("c1", ARCH): ["pre1"],
              ("c1", None): ["pre3"]},
             {("c1", 0): ["pre1", "new1"], ("c1", ARCH): ["pre1", "pre3"]},
             per)
# reconstruct of a folder whose index and state were lost
c2dir = storecheck.StoreView(st.conf).folder_dir("c2", 0)
for fn in ("index", "state"):
    os.unlink(os.path.join(c2dir, fn))
run_scenario("reconstruct of a lost index",
             [pstest.program("reconstruct"), "-C", st.conf, "c2"], b"",
             {}, {("c2", 0): ["pre1", "new1"]}, per)
t.diag("elapsed %.1fs" % (time.time() - start))
t.done()
