"""sievetest - helpers shared by the Sieve tests (t/6NN-sieve*.t)."""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(__file__))
import deliverlib as dl  # noqa: E402
import storecheck  # noqa: E402


class Sieve:
    """A store with accounts, a fake SENDMAIL, and Sieve helpers."""

    def __init__(self, t, accounts, switches=("-store=imap",)):
        self.t = t
        self.st = dl.new_store(t, accounts=accounts, switches=switches)
        self.sm, self.sentdir = dl.fake_sendmail(self.st)
        with open(self.st.conf, "a") as f:
            f.write("SENDMAIL=%s\n" % self.sm)
        self.n = 0

    def script(self, account, text, check=True):
        """Install text as account's script through popmgr sieve -set."""
        self.n += 1
        path = os.path.join(self.st.tmp, "script%d.sieve" % self.n)
        with open(path, "wb") as f:
            f.write(text.encode() if isinstance(text, str) else text)
        r = self.st.popmgr("sieve", account, "-set=" + path)
        if check and r.returncode != 0:
            self.t.diag("sieve -set failed: " + r.stderr)
        return r

    def script_raw(self, account, data):
        """Put a script in place without popmgr's check."""
        d = storecheck.fanout(os.path.join(self.st.dir, "users"), account)
        with open(os.path.join(d, "sieve"), "wb") as f:
            f.write(data)

    def deliver(self, rcpts, msg, sender="sender@example.org", env=None):
        if isinstance(rcpts, str):
            rcpts = [rcpts]
        return dl.deliver(self.st, "-f", sender, "--", *rcpts,
                          input=msg, env=env)

    def folder_id(self, account, name):
        for fid, n in storecheck.StoreView(self.st.conf).folders(
                account).items():
            if n == name:
                return fid
        return None

    def count(self, account, folder="INBOX"):
        fid = self.folder_id(account, folder)
        return 0 if fid is None else len(dl.stored(self.st, account, fid))

    def records(self, account, folder="INBOX"):
        """(uid, flags, keyword names) of the folder's records."""
        fid = self.folder_id(account, folder)
        d = storecheck.StoreView(self.st.conf).folder_dir(account, fid)
        kv = storecheck.read_kvfile(os.path.join(d, "keywords"))
        names = {}
        if kv:
            for k, v in kv[1].items():
                if k[:1] == "k" and k[1:].isdigit():
                    names[int(k[1:])] = v
        out = []
        with open(os.path.join(d, "index"), "rb") as f:
            data = f.read()
        for off in range(128, len(data) - 127, 128):
            uid, flags, kw = struct.unpack(">IIQ", data[off:off + 16])
            out.append((uid, flags & 0x1f,
                        sorted(names.get(b, "?") for b in range(64)
                               if kw >> b & 1)))
        return out

    def sent(self):
        """Messages given to SENDMAIL since the last call."""
        out = dl.sent(self.sentdir)
        for fn in os.listdir(self.sentdir):
            os.unlink(os.path.join(self.sentdir, fn))
        return out

    def log_since(self, mark):
        return self.st.log_lines()[mark:]

    def log_mark(self):
        return len(self.st.log_lines())


def msg(subject="hello", frm="Ann <ann@example.org>",
        to="jdoe@mail.example.com", extra="", body="body text\n"):
    return ("From: %s\nTo: %s\nSubject: %s\nMessage-ID: <%s@example.org>\n"
            "%s\n%s" % (frm, to, subject, abs(hash(subject + extra)), extra,
                        body)).encode()
