"""deliverlib - helpers shared by the deliver tests (t/3NN-deliver*.t)."""
import os
import random
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import pstest  # noqa: E402
import storecheck  # noqa: E402

DELIVER = pstest.program("deliver")


def new_store(t, conf="", accounts=(), switches=()):
    """A fresh store with accounts (names, created in chunks)."""
    st = pstest.Store(t, conf=conf)
    add(st, accounts, *switches)
    return st


def add(st, names, *switches):
    names = list(names)
    for i in range(0, len(names), 500):
        r = st.popmgr("add", ",".join(names[i:i + 500]), *switches)
        if r.returncode != 0:
            print("Bail out! popmgr add: " + r.stdout + r.stderr)
            sys.exit(2)


def deliver(st, *args, input=b"", conf=None, env=None, timeout=120,
            wrap=()):
    """Run deliver with the store's config; text stdout/stderr."""
    e = dict(st.env)
    if env:
        e.update(env)
    if isinstance(input, str):
        input = input.encode()
    r = subprocess.run(list(wrap) + [DELIVER, "-C", conf or st.conf] +
                       list(args), input=input, capture_output=True,
                       timeout=timeout, env=e)
    r.stdout = r.stdout.decode("utf-8", "replace")
    r.stderr = r.stderr.decode("utf-8", "replace")
    return r


def crlf(data):
    """What the store keeps of pipe input: bare LF becomes CRLF."""
    return re.sub(rb"(?<!\r)\n", b"\r\n", data)


def message(i, size, rnd=None):
    """A deterministic message of about size bytes (LF line ends)."""
    rnd = rnd or random.Random(i)
    head = ("From: sender%d@example.org\nTo: rcpt@example.com\n"
            "Subject: message %d\nMessage-ID: <%d@test>\n\n" % (i, i, i))
    lines = []
    n = len(head)
    while n < size:
        w = rnd.randint(20, 76)
        line = "".join(rnd.choice("abcdefghij klmnop.,") for _ in range(w))
        if rnd.random() < 0.02:
            line = "." + line
        lines.append(line)
        n += w + 1
    return (head + "\n".join(lines) + "\n").encode()


def big_message(i, size):
    """A fast deterministic message of size bytes for large sizes."""
    rnd = random.Random(i)
    head = ("From: s%d@example.org\nSubject: big %d\n\n" % (i, i)).encode()
    line = bytes(rnd.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(72))
    body = (line + b"\n") * max(1, (size - len(head)) // 73)
    return head + body


def stored(st, name, fid=0):
    """Contents of the visible messages of a folder, in UID order."""
    sv = storecheck.StoreView(st.conf)
    out = []
    for uid, path, size in sv.messages(name, fid):
        with open(path, "rb") as f:
            out.append(f.read())
    return out


def paths(st, name, fid=0):
    return [p for _, p, _ in storecheck.StoreView(st.conf).messages(name, fid)]


def body_of(stored_bytes):
    """The message after the delivery headers deliver prepends."""
    i = stored_bytes.index(b"Received: ")
    j = stored_bytes.index(b"\r\n", stored_bytes.index(b"; ", i)) + 2
    return stored_bytes[:i], stored_bytes[i:j], stored_bytes[j:]


def check_clean(t, st, since=None, name="store checks clean", **kw):
    problems, notes = storecheck.StoreView(st.conf).check(since=since, **kw)
    return t.ok(not problems, name, "\n".join(problems[:30]))


def lmtp(st, script, conf=None, env=None, timeout=120):
    """Run deliver -l over a pipe with a whole client script (bytes)."""
    return deliver(st, "-l", input=script, conf=conf, env=env,
                   timeout=timeout)


def replies(out):
    """LMTP reply lines (text) as a list."""
    return [l for l in out.split("\r\n") if l]


def fake_sendmail(st):
    """A SENDMAIL script recording argv and stdin under st.tmp/sent/."""
    d = os.path.join(st.tmp, "sent")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(st.tmp, "fake-sendmail")
    with open(path, "w") as f:
        f.write("#!/bin/sh\nn=$(date +%%s%%N)$$\n"
                "printf '%%s\\n' \"$@\" > %s/$n.args\n"
                "cat > %s/$n.msg\nexit ${FAKE_SENDMAIL_EXIT:-0}\n" % (d, d))
    os.chmod(path, 0o755)
    return path, d


def sent(d):
    """[(argv list, message bytes)] recorded by fake_sendmail, oldest first."""
    out = []
    for fn in sorted(os.listdir(d)):
        if fn.endswith(".args"):
            with open(os.path.join(d, fn)) as f:
                args = f.read().splitlines()
            with open(os.path.join(d, fn[:-5] + ".msg"), "rb") as f:
                out.append((args, f.read()))
    return out


def ns_prefix():
    """argv prefix running a command in a private mount namespace (as root,
    or as a mapped root in a user namespace), or None with the reason."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return None, "no unshare(1)"
    pre = [unshare, "-m"] if os.geteuid() == 0 else [unshare, "-Urm"]
    r = subprocess.run(pre + ["sh", "-c", "mount -t tmpfs -o size=1m tmpfs "
                              "/mnt 2>&1 || mount -t tmpfs -o size=1m tmpfs "
                              "\"${TMPDIR:-/tmp}\""],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return None, "cannot mount a tmpfs in a mount namespace: %s" % (
            r.stdout + r.stderr).strip()
    return pre, None


def tmpfs_store(size):
    """Inside a private mount namespace: a new store whose partition is a
    tmpfs of size ("1m"). Returns the store and the partition directory."""
    st = pstest.Store(None, init=False)
    mail = os.path.join(st.dir, "mail")
    os.makedirs(mail)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs",
                    mail], check=True)
    st.popmgr("init")
    return st, mail


def fill_disk(directory, leave):
    """Fill the file system of directory up to `leave` free bytes with a
    file whose path is returned (unlink it to give the room back)."""
    filler = os.path.join(directory, "filler")
    with open(filler, "wb") as f:
        try:
            while True:
                f.write(b"x" * 65536)
                f.flush()
        except OSError:
            pass
    os.truncate(filler, max(0, os.path.getsize(filler) - leave))
    return filler


def elapsed(start):
    return "%.1fs" % (time.time() - start)
