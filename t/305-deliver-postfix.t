#!/usr/bin/env python3
"""A real Postfix (Debian's), started on 127.0.0.1 with its own
configuration and queue directories under a temporary directory, hands
mail received by SMTP to deliver through the pipe transport and through
LMTP (spawn(8)), as etc/postfix/master.cf sets them up; the policy
service refuses unknown users at RCPT; a delivery deferred because the
store's disk is full is retried by Postfix and arrives once there is
room again. It runs in a private mount namespace (the store's partition
is a small tmpfs) and does not touch a system Postfix."""
import json
import os
import pwd
import re
import shutil
import smtplib
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import deliverlib as dl  # noqa: E402
import pstest  # noqa: E402
import storecheck  # noqa: E402

POSTFIX = shutil.which("postfix") or "/usr/sbin/postfix"
USER = "nobody"


def child():
    """Everything, inside the mount namespace; prints JSON results."""
    res = []

    def ok(cond, name, diag=""):
        res.append([bool(cond), name, str(diag)[-3000:]])

    st, mail = dl.tmpfs_store("4m")
    dl.add(st, ["alice", "bob"], "-store=pop")
    pw = pwd.getpwnam(USER)
    for root, dirs, files in os.walk(st.tmp):
        for n in dirs + files:
            os.lchown(os.path.join(root, n), pw.pw_uid, pw.pw_gid)
    os.chown(st.tmp, pw.pw_uid, pw.pw_gid)
    os.chmod(st.tmp, 0o755)

    cdir = os.path.join(st.tmp, "pf-conf")
    qdir = os.path.join(st.tmp, "pf-queue")
    ddir = os.path.join(st.tmp, "pf-data")
    for d in (cdir, qdir, ddir):
        os.makedirs(d)
    os.chown(ddir, pwd.getpwnam("postfix").pw_uid, 0)
    port = pstest.free_port()
    deliver = dl.DELIVER + " -C " + st.conf
    with open("/etc/postfix/master.cf") as f:
        master = f.read()
    master = re.sub(r"(?m)^smtp\s+inet.*$",
                    "127.0.0.1:%d inet n - n - - smtpd" % port, master)
    master = re.sub(r"(?m)^(\S+\s+(?:unix|inet|fifo|unix-dgram)\s+\S+\s+\S+"
                    r"\s+)y(\s)", r"\1n\2", master)
    with open(os.path.join(pstest.SRC, "etc", "postfix", "master.cf")) as f:
        ours = f.read()
    ours = ours.replace("/usr/local/sbin/deliver", deliver)
    ours = ours.replace("user=popstore", "user=" + USER)
    with open(os.path.join(cdir, "master.cf"), "w") as f:
        f.write(master + "\n" + ours)
    main = """compatibility_level = 3.6
queue_directory = %s
data_directory = %s
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.example.net
mydomain = example.net
myorigin = example.net
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtputf8_enable = no
biff = no
maillog_file = %s/postfix.log
maillog_file_prefixes = %s
alias_maps =
alias_database =
relay_domains = pipe.example.com, lmtp.example.com
transport_maps = inline:{ pipe.example.com=popstore:, lmtp.example.com=lmtp:unix:private/popstore_lmtp }
popstore_destination_recipient_limit = 1
smtpd_reject_unlisted_recipient = no
smtpd_recipient_restrictions = reject_unauth_destination, check_policy_service unix:private/popstore_policy
popstore_policy_time_limit = 3600
queue_run_delay = 300s
minimal_backoff_time = 300s
maximal_backoff_time = 600s
""" % (qdir, ddir, st.tmp, st.tmp)
    with open(os.path.join(cdir, "main.cf"), "w") as f:
        f.write(main)
    r = subprocess.run([POSTFIX, "-c", cdir, "start"], capture_output=True,
                       text=True)
    ok(r.returncode == 0, "postfix starts", r.stdout + r.stderr)
    if r.returncode != 0:
        print(json.dumps(res))
        return
    try:
        run_checks(st, cdir, port, mail, ok)
    finally:
        subprocess.run([POSTFIX, "-c", cdir, "abort"], capture_output=True)
        log = os.path.join(st.tmp, "postfix.log")
        if not all(x[0] for x in res) and os.path.exists(log):
            with open(log) as f:
                res.append([True, "postfix log", f.read()[-3000:]])
    print(json.dumps(res))


def send(port, rcpts, msg):
    """Send by SMTP; the refused recipients {addr: (code, text)}."""
    for _ in range(50):
        try:
            s = smtplib.SMTP("127.0.0.1", port, timeout=30)
            break
        except OSError:
            time.sleep(0.2)
    try:
        return s.sendmail("sender@example.org", rcpts, msg)
    except smtplib.SMTPRecipientsRefused as e:
        return e.recipients
    finally:
        try:
            s.quit()
        except smtplib.SMTPException:
            pass


def wait_for(st, name, n, tag, timeout=40):
    end = time.time() + timeout
    while time.time() < end:
        got = [m for m in dl.stored(st, name) if tag in m]
        if len(got) >= n:
            return got
        time.sleep(0.2)
    return [m for m in dl.stored(st, name) if tag in m]


def run_checks(st, cdir, port, mail, ok):
    msg = b"Subject: via pipe\r\nX-Tag: t1\r\n\r\nhello through the pipe\r\n"
    refused = send(port, ["alice@pipe.example.com", "bob@pipe.example.com"],
                   msg)
    ok(refused == {}, "SMTP accepts two pipe recipients", refused)
    a = wait_for(st, "alice", 1, b"X-Tag: t1")
    b = wait_for(st, "bob", 1, b"X-Tag: t1")
    ok(len(a) == 1 and len(b) == 1, "pipe transport: both arrive once",
       (len(a), len(b)))
    ok(a and b"Delivered-To: alice@pipe.example.com\r\n" in a[0] and
       a[0].endswith(b"hello through the pipe\r\n"),
       "pipe transport: Delivered-To from ${original_recipient}, body intact",
       a[:1])
    msg = b"Subject: via lmtp\r\nX-Tag: t2\r\n\r\nhello over LMTP\r\n"
    refused = send(port, ["alice@lmtp.example.com", "bob@lmtp.example.com"],
                   msg)
    a = wait_for(st, "alice", 1, b"X-Tag: t2")
    b = wait_for(st, "bob", 1, b"X-Tag: t2")
    ok(refused == {} and len(a) == 1 and len(b) == 1,
       "LMTP through spawn: both arrive once", (refused, len(a), len(b)))
    pa = dl.paths(st, "alice")[-1]
    pb = dl.paths(st, "bob")[-1]
    ok(os.stat(pa).st_ino == os.stat(pb).st_ino,
       "LMTP: one file for both recipients")
    refused = send(port, ["nosuch@pipe.example.com", "alice@pipe.example.com"],
                   b"Subject: x\r\nX-Tag: t3\r\n\r\nx\r\n")
    code = refused.get("nosuch@pipe.example.com", (0, b""))
    ok(code[0] // 100 == 5 and b"5.1.1" in code[1] and
       "alice@pipe.example.com" not in refused,
       "policy service: unknown user refused at RCPT with 5.1.1", refused)
    ok(len(wait_for(st, "alice", 1, b"X-Tag: t3")) == 1,
       "the known recipient of that message arrives")

    # Disk full: Postfix defers, retries when asked, and the mail arrives.
    filler = dl.fill_disk(mail, 20000)
    big = b"Subject: big\r\nX-Tag: t4\r\n\r\n" + b"y" * 70 * 1500 + b"\r\n"
    refused = send(port, ["bob@pipe.example.com"], big)
    ok(refused == {}, "SMTP accepts the message while the store is full")
    deferred = False
    end = time.time() + 30
    while time.time() < end and not deferred:
        q = subprocess.run(["postqueue", "-c", cdir, "-j"],
                           capture_output=True, text=True).stdout
        with open(os.path.join(st.tmp, "postfix.log")) as f:
            deferred = '"queue_name": "deferred"' in q and \
                "dsn=4.3.1, status=deferred" in f.read()
        time.sleep(0.3)
    ok(deferred, "Postfix deferred it with deliver's 4.3.1", q)
    ok(not wait_for(st, "bob", 1, b"X-Tag: t4", timeout=1),
       "nothing stored while full")
    os.unlink(filler)
    subprocess.run(["postqueue", "-c", cdir, "-f"], capture_output=True)
    got = wait_for(st, "bob", 1, b"X-Tag: t4")
    ok(len(got) == 1 and got[0].endswith(b"y" * 70 + b"\r\n"),
       "after postqueue -f the deferred message arrives, once")
    problems, _ = storecheck.StoreView(st.conf).check(since=time.time() - 600)
    ok(not problems, "store checks clean", problems)


if len(sys.argv) == 2 and sys.argv[1] == "--child":
    child()
    sys.exit(0)

t = pstest.Tap()
if os.geteuid() != 0:
    t.skip_all("Postfix's master must start as root; run as root (CI does)")
if not os.path.exists(POSTFIX) or not os.path.exists("/etc/postfix/master.cf"):
    t.skip_all("Postfix is not installed (build-aux/deps --install test)")
pre, why = dl.ns_prefix()
if pre is None:
    t.skip_all(why)
start = time.time()
r = subprocess.run(pre + [sys.executable, __file__, "--child"],
                   capture_output=True, text=True, timeout=300)
try:
    res = json.loads(r.stdout.strip().splitlines()[-1])
except (ValueError, IndexError):
    res = [[False, "the namespace child ran", r.stdout[-2000:] +
            r.stderr[-2000:]]]
for good, name, diag in res:
    t.ok(good, name, diag)
t.diag("elapsed %s" % dl.elapsed(start))
t.done()
