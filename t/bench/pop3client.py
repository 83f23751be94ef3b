"""pop3client - the memory sessions of t/bench/pop3-vs-dovecot.

One session that touches every message of a big maildrop: LIST, UIDL,
RETR and DELE of each (pipelined in batches), then the server process's
peak resident memory (VmHWM from /proc), then RSET and QUIT so that the
maildrop stays as it was.
"""
import socket
import subprocess
import time

BATCH = 200


class Lines:
    def __init__(self, read, write):
        self.read, self.write, self.buf = read, write, b""

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.read()
            if not chunk:
                raise EOFError("server closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def status(self):
        line = self.line()
        if not line.startswith(b"+OK"):
            raise RuntimeError("server said %r" % line)
        return line

    def multi(self):
        self.status()
        while self.line() != b".":
            pass

    def cmd(self, text):
        self.write(text.encode() + b"\r\n")
        return self.status()


def vmhwm(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def touch_all(c, user, password, pid_of):
    c.line()
    c.cmd("USER " + user)
    c.cmd("PASS " + password)
    n = int(c.cmd("STAT").split()[1])
    for what in ("LIST", "UIDL"):
        c.write(what.encode() + b"\r\n")
        c.multi()
    for verb, multi in (("RETR", True), ("DELE", False)):
        for first in range(1, n + 1, BATCH):
            last = min(n, first + BATCH - 1)
            c.write(b"".join(b"%s %d\r\n" % (verb.encode(), i)
                             for i in range(first, last + 1)))
            for _ in range(first, last + 1):
                c.multi() if multi else c.status()
    kb = vmhwm(pid_of())
    c.cmd("RSET")
    c.cmd("QUIT")
    return kb


def rss_session(argv, user, password):
    """pop3d on pipes."""
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def write(b):
        p.stdin.write(b)
        p.stdin.flush()
    c = Lines(lambda: p.stdout.read1(1 << 20), write)
    kb = touch_all(c, user, password, lambda: p.pid)
    p.wait()
    return kb


def rss_dovecot(port, user, password):
    """Dovecot's pop3 process of one session on port."""
    s = socket.create_connection(("127.0.0.1", port), 30)

    def pid_of():
        for _ in range(50):
            out = subprocess.run(["pgrep", "-n", "-x", "pop3"],
                                 capture_output=True, text=True).stdout
            if out.strip():
                return int(out.split()[0])
            time.sleep(0.1)
        raise RuntimeError("no Dovecot pop3 process")
    c = Lines(lambda: s.recv(1 << 20), s.sendall)
    kb = touch_all(c, user, password, pid_of)
    s.close()
    return kb
