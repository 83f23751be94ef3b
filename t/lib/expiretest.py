"""expiretest - helpers for the bouncer tests (t/25N-bouncer*.t).

Accounts are made by popmgr, mail arrives through deliver, messages are
read through pop3d, and bouncer's DSNs go to a fake SENDMAIL that keeps
argv and message (deliverlib.fake_sendmail). Messages are aged by
rewriting the dates of their index records (popstore(5): internal date
at offset 24, save date at 64, CRC-32C at 124): the one fact a test
cannot wait for. Nothing else in the store changes, and storecheck can
confirm the aged store is consistent.
"""
import email
import email.policy
import os
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import deliverlib  # noqa: E402
import pop3test  # noqa: E402
import pstest  # noqa: E402
import storecheck  # noqa: E402

PW = "Secret123"
DAY = 86400


def store(t, conf=""):
    """A store (owned by the servers' user when root) with a fake
    SENDMAIL; returns (store, directory of sent messages)."""
    st = pop3test.store(t, "LOGIN_FAIL_DELAY=0\n" + conf)
    path, sent = deliverlib.fake_sendmail(st)
    pop3test.chown_store_user(sent)
    pop3test.set_option(st, "SENDMAIL", path)
    return st, sent


def add(st, name, kind="pop"):
    r = st.popmgr("add", name, "-password=" + PW, "-store=" + kind)
    if r.returncode != 0:
        print("Bail out! popmgr add %s: %s" % (name, r.stdout + r.stderr))
        raise SystemExit(2)


def message(n, subject=None, extra=""):
    return ("From: Sender %d <s%d@example.org>\nTo: rcpt@example.com\n"
            "Subject: %s\nMessage-ID: <msg%d@test.example>\n%s\n"
            "Body of message %d.\n" % (n, n, subject or "message %d" % n, n,
                                        extra, n))


def deliver(st, sender, rcpt, text):
    """deliver to rcpt (a name or a list of names: one copy for all)."""
    rcpts = [rcpt] if isinstance(rcpt, str) else list(rcpt)
    r = st.run("deliver/deliver", "-f", sender, *rcpts, input=text)
    if r.returncode != 0:
        print("Bail out! deliver: " + r.stdout + r.stderr)
        raise SystemExit(2)


def index_path(st, name, fid=0):
    return os.path.join(storecheck.StoreView(st.conf).folder_dir(name, fid),
                        "index")


def records(st, name, fid=0):
    """[{uid, flags, idate, sdate}] of the folder's index records."""
    with open(index_path(st, name, fid), "rb") as f:
        data = f.read()
    out = []
    for off in range(128, len(data) - 127, 128):
        p = data[off:off + 128]
        if storecheck.decode_record(p) is None:
            continue
        uid, flags = struct.unpack(">II", p[:8])
        idate, = struct.unpack(">q", p[24:32])
        sdate, = struct.unpack(">q", p[64:72])
        out.append({"uid": uid, "flags": flags, "idate": idate,
                    "sdate": sdate})
    return out


def age(st, name, days, uids=None, fid=0):
    """Make messages (all, or those with uids) days old: both dates of
    their index records move back, the CRC is recomputed."""
    when = int(time.time() - days * DAY)
    path = index_path(st, name, fid)
    with open(path, "r+b") as f:
        data = bytearray(f.read())
        for off in range(128, len(data) - 127, 128):
            uid, = struct.unpack(">I", data[off:off + 4])
            if uids is not None and uid not in uids:
                continue
            struct.pack_into(">q", data, off + 24, when)
            struct.pack_into(">q", data, off + 64, when)
            crc = storecheck.crc32c(bytes(data[off:off + 124]))
            struct.pack_into(">I", data, off + 124, crc)
        f.seek(0)
        f.write(data)


def read(st, name, nums):
    """RETR the messages numbered nums through pop3d, then QUIT: \\Seen."""
    c = pop3test.login(st, name, PW)
    for n in nums:
        c.cmd("RETR %d" % n)
        c.multi()
    c.cmd("QUIT")
    c.close()


def bouncer(st, *args, env=None, timeout=120):
    return st.run("bouncer/bouncer", *args, env=env, timeout=timeout)


def popen_bouncer(st, *args, env=None):
    e = dict(st.env)
    if env:
        e.update(env)
    return subprocess.Popen([pstest.program("bouncer"), "-C", st.conf] +
                            list(args), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=e)


def sent(d):
    """[(argv, email.message.Message)] of the DSNs sent, oldest first."""
    return [(a, email.message_from_bytes(m, policy=email.policy.compat32))
            for a, m in deliverlib.sent(d)]


def clear(d):
    for fn in os.listdir(d):
        os.unlink(os.path.join(d, fn))


def returned(d):
    """[(final recipient's local part, original Message-ID)], one per
    DSN sent (None for a part that is missing)."""
    out = []
    for _, m in sent(d):
        rcpt = msgid = None
        for part in m.walk():
            if part.get_content_type() == "text/rfc822-headers":
                hdr = email.message_from_string(part.get_payload())
                msgid = hdr.get("Message-ID")
            elif part.get_content_type() == "message/delivery-status":
                text = "\n".join(str(p) for p in part.get_payload())
                for line in text.splitlines():
                    if line.lower().startswith("final-recipient:"):
                        rcpt = line.split(";", 1)[-1].strip().split("@")[0]
        out.append((rcpt, msgid))
    return out


def returned_ids(d):
    """Message-IDs of the originals in the DSNs sent (one per DSN)."""
    return [i for _, i in returned(d)]


def uids(st, name, fid=0):
    return [r["uid"] for r in records(st, name, fid)]


def clean(t, st, name="store checks clean"):
    problems, _ = storecheck.StoreView(st.conf).check()
    return t.ok(not problems, name, "\n".join(problems[:20]))
