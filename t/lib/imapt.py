"""imapt - helpers for the imapd tests (t/5NN-imapd-*.t).

    import imapt
    t, st = imapt.setup()                 # Tap and a fresh store
    st.user("jdoe")                      # account jdoe, password Secret123
    st.deliver("jdoe", imapt.msg(subject="hi"))
    c = st.imap()                        # imapd on pipes, logged out
    c.login("jdoe")
    typ, lines = c.cmd("SELECT INBOX")   # untagged lines, tagged status

Responses are bytes; literals are kept inline ("{5}\\r\\nhello"), so a
test can match whole responses with regular expressions.
"""
import os
import re
import select
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import pstest  # noqa: E402

PASSWORD = "Secret123"


def msg(subject="test", frm="Alice <alice@example.org>",
        to="jdoe@example.com", body="Hello.\r\n", extra="", date=None):
    """A small RFC 5322 message with CRLF line ends (bytes)."""
    date = date or "Mon, 23 Nov 2026 10:00:00 +0000"
    text = ("From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\n"
            "Message-ID: <%s.%d@example.org>\r\n%s\r\n%s"
            % (frm, to, subject, date, re.sub(r"\W", "", subject),
               int(time.time() * 1e6), extra, body))
    return text.encode()


class ImapStore(pstest.Store):
    """A store whose servers run as an unprivileged user under root."""

    def __init__(self, tap, conf=""):
        user = "nobody" if os.geteuid() == 0 else None
        super().__init__(tap, conf="LOGIN_FAIL_DELAY=0\n" + conf,
                         store_user=user)

    def user(self, name, password=PASSWORD, *switches):
        r = self.popmgr("add", name, "-store=imap",
                        "-password=" + password, *switches)
        if r.returncode != 0:
            print("Bail out! popmgr add %s: %s" % (name, r.stderr))
            sys.exit(2)

    def deliver(self, rcpt, data, *args):
        r = self.run("deliver", *args, rcpt, input=data)
        if r.returncode != 0:
            raise RuntimeError("deliver %s: %s" % (rcpt, r.stderr))
        return r

    def imap(self, *args, env=None):
        return Client(self, args, env=env)

    def reconstruct_clean(self):
        r = self.run("reconstruct", "-n")
        return r.stdout.strip() + r.stderr.strip()


class Client:
    """One imapd process on pipes (or a socket), driven line by line."""

    def __init__(self, st, args=(), sock=None, env=None, greeting=True):
        self.n = 0
        self.buf = b""
        self.sock = sock
        self.proc = None
        if sock is None:
            e = dict(st.env)
            if env:
                e.update(env)
            self.proc = subprocess.Popen(
                [pstest.program("imapd"), "-C", st.conf] + list(args),
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=e)
            self.rfd = self.proc.stdout.fileno()
        else:
            self.rfd = sock.fileno()
        self.greeting = self.line() if greeting else None

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        try:
            if self.sock is not None:
                self.sock.sendall(data)
            else:
                self.proc.stdin.write(data)
                self.proc.stdin.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _fill(self, timeout):
        ready = self.sock is not None and hasattr(self.sock, "pending") \
            and self.sock.pending()
        if not ready:
            r, _, _ = select.select([self.rfd], [], [], timeout)
            if not r:
                raise TimeoutError("no data from imapd in %.1fs (have %r)"
                                   % (timeout, self.buf[-200:]))
        if self.sock is not None:
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
        else:
            chunk = os.read(self.rfd, 65536)
        if not chunk:
            raise EOFError("imapd closed the connection (have %r)"
                           % self.buf[-200:])
        self.buf += chunk

    def line(self, timeout=10):
        """One response line with its literals inline, without CRLF."""
        out = b""
        while True:
            while b"\r\n" not in self.buf:
                self._fill(timeout)
            i = self.buf.index(b"\r\n")
            part, self.buf = self.buf[:i], self.buf[i + 2:]
            out += part
            m = re.search(rb"~?\{(\d+)\}$", part)
            if not m:
                return out
            n = int(m.group(1))
            while len(self.buf) < n:
                self._fill(timeout)
            out += b"\r\n" + self.buf[:n]
            self.buf = self.buf[n:]

    def pending(self, timeout=0.3):
        """Untagged lines that arrive within timeout."""
        lines = []
        try:
            while True:
                lines.append(self.line(timeout))
        except (TimeoutError, EOFError):
            pass
        return lines

    def cmd(self, text, tag=None, timeout=20):
        """Send a command; return (tagged line, untagged lines)."""
        self.n += 1
        tag = tag or ("t%d" % self.n)
        if isinstance(text, bytes):
            self.send(tag.encode() + b" " + text + b"\r\n")
        else:
            self.send("%s %s\r\n" % (tag, text))
        return self.wait(tag, timeout)

    def wait(self, tag, timeout=20):
        untagged = []
        while True:
            ln = self.line(timeout)
            if ln.startswith(tag.encode() + b" "):
                return ln[len(tag) + 1:], untagged
            untagged.append(ln)

    def ok(self, text, timeout=20):
        tagged, untagged = self.cmd(text, timeout=timeout)
        if not tagged.startswith(b"OK"):
            raise AssertionError("%s -> %r" % (text, tagged))
        return untagged

    def login(self, user, password=PASSWORD):
        tagged, _ = self.cmd('LOGIN "%s" "%s"' % (user, password))
        if not tagged.startswith(b"OK"):
            raise AssertionError("login %s: %r" % (user, tagged))
        return tagged

    def close(self):
        if self.sock is not None:
            self.sock.close()
        if self.proc is not None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc.stdout.close()
            return self.proc.returncode
        return 0


def make_cert(st):
    """A self-signed certificate and key for localhost; their paths."""
    cert = os.path.join(st.tmp, "cert.pem")
    key = os.path.join(st.tmp, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-subj",
                    "/CN=localhost", "-days", "2", "-keyout", key, "-out",
                    cert], check=True, capture_output=True)
    return cert, key


def tls_wrap(sock):
    import ssl
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx.wrap_socket(sock, server_hostname="localhost")


def setup(conf=""):
    if not os.path.exists(pstest.program("imapd")):
        pstest.Tap().skip_all("imapd not built")
    t = pstest.Tap()
    return t, ImapStore(t, conf)


def fetch_map(lines):
    """{seq: raw fetch line} for '* N FETCH (...)' lines."""
    out = {}
    for ln in lines:
        m = re.match(rb"\* (\d+) FETCH ", ln)
        if m:
            out[int(m.group(1))] = ln
    return out


class TcpServer:
    """tcpserver on 127.0.0.1 running imapd per connection (inetd-style)."""

    def __init__(self, st, args=()):
        import shutil
        self.exe = shutil.which("tcpserver")
        self.proc = None
        if not self.exe:
            return
        self.port = pstest.free_port()
        env = dict(st.env)
        import atexit
        atexit.register(self.stop)
        self.proc = subprocess.Popen(
            [self.exe, "-q", "-H", "-R", "-l", "localhost", "127.0.0.1",
             str(self.port), pstest.program("imapd"), "-C", st.conf]
            + list(args), env=env, stdin=subprocess.DEVNULL)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                break
            except OSError:
                time.sleep(0.05)

    def connect(self, st):
        s = socket.create_connection(("127.0.0.1", self.port), 10)
        return Client(st, sock=s)

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait()
            self.proc = None
