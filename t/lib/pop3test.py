"""pop3test - helpers for the pop3d and poppassd tests (t/4NN-*.t).

    import pstest, pop3test
    t = pstest.Tap()
    st = pop3test.store(t, "LOGIN_FAIL_DELAY=0\\n")
    pop3test.add(st, "jdoe", "Secret123")
    pop3test.deliver(st, "jdoe", "Subject: hi\\n\\nbody\\n")
    c = pop3test.pipe(st)            # pop3d on pipes, greeting read
    t.like(c.cmd("USER jdoe"), r"^\\+OK", "USER")

Stores are made with popfix (t/popfix.c), so the tests need neither
popmgr nor deliver. Run as root, the store belongs to STORE_USER=nobody
and the servers drop to it, as in production.
"""
import base64
import hashlib
import hmac
import os
import select
import shutil
import socket
import ssl
import subprocess
import threading
import time

import pstest

STORE_USER = "nobody"
SANITIZER_REPORTS = []


def note_stderr(text):
    """Keep sanitizer reports found in a server's standard error."""
    if "Sanitizer" in text or "runtime error:" in text:
        SANITIZER_REPORTS.append(text[-3000:])


def check_sanitizers(t):
    """A test's last check: no server reported a sanitizer error."""
    t.ok(not SANITIZER_REPORTS, "no sanitizer reports from the servers",
         "\n".join(SANITIZER_REPORTS))


def store(tap, conf="", name="store"):
    """A fresh store owned by the servers' user, initialised."""
    user = STORE_USER if os.geteuid() == 0 else None
    st = pstest.Store(tap, conf=conf, init=False, name=name, store_user=user)
    r = popfix(st, "init")
    if r.returncode != 0:
        print("Bail out! popfix init: " + r.stderr)
        raise SystemExit(2)
    return st


def set_option(st, name, value):
    """Set an option in the store's configuration (replacing it)."""
    with open(st.conf) as f:
        lines = [l for l in f.read().splitlines()
                 if not l.upper().startswith(name.upper() + "=")]
    lines.append("%s=%s" % (name, value))
    with open(st.conf, "w") as f:
        f.write("\n".join(lines) + "\n")


def popfix(st, *args, input=None):
    return st.run("t/popfix", *args, input=input)


def add(st, name, password, *opts):
    r = popfix(st, "add", name, password, *opts)
    if r.returncode != 0:
        print("Bail out! popfix add %s: %s" % (name, r.stderr))
        raise SystemExit(2)


def deliver(st, name, text):
    r = popfix(st, "deliver", name, input=text)
    if r.returncode != 0:
        print("Bail out! popfix deliver: " + r.stderr)
        raise SystemExit(2)


def listing(st, name):
    """[(uid, flags, size)] of the INBOX."""
    out = popfix(st, "list", name).stdout.split()
    return [(int(out[i]), out[i + 1], int(out[i + 2]))
            for i in range(0, len(out), 3)]


def usage(st, name):
    r = popfix(st, "usage", name)
    return dict(l.split("=", 1) for l in r.stdout.splitlines())


def show(st, name):
    r = popfix(st, "show", name)
    return dict(l.split("=", 1) for l in r.stdout.splitlines())


def chown_store_user(path):
    """Give a file or directory to the servers' user (when root)."""
    if os.geteuid() == 0:
        import pwd
        pw = pwd.getpwnam(STORE_USER)
        os.chown(path, pw.pw_uid, pw.pw_gid)


# ---- conversations ----

class PipeEnd:
    """The client side of pipes to a server's fd 0 and 1."""

    def __init__(self, proc):
        self.proc = proc
        self.r = proc.stdout.fileno()
        self.w = proc.stdin.fileno()

    def recv(self, n, timeout):
        ready, _, _ = select.select([self.r], [], [], timeout)
        if not ready:
            raise TimeoutError("no data from the server")
        return os.read(self.r, n)

    def sendall(self, data):
        while data:
            k = os.write(self.w, data)
            data = data[k:]

    def close(self):
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass


class SockEnd:
    def __init__(self, sock):
        self.sock = sock

    def recv(self, n, timeout):
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(n)
        except socket.timeout:
            raise TimeoutError("no data from the server")

    def sendall(self, data):
        self.sock.settimeout(30)
        self.sock.sendall(data)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Conn:
    """A line-oriented conversation with a POP3 or poppassd server."""

    def __init__(self, end, proc=None):
        self.end = end
        self.proc = proc
        self.buf = b""
        self.greeting = None

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.end.sendall(data)

    def sendline(self, line):
        self.send((line.encode() if isinstance(line, str) else line) +
                  b"\r\n")

    def rawline(self, timeout=30):
        while b"\n" not in self.buf:
            chunk = self.end.recv(65536, timeout)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def line(self, timeout=30):
        return self.rawline(timeout).rstrip(b"\r").decode("utf-8", "replace")

    def cmd(self, line, timeout=30):
        self.sendline(line)
        return self.line(timeout)

    def multi(self, timeout=30):
        """Lines of a multi-line response up to ".", un-stuffed, bytes."""
        out = []
        while True:
            l = self.rawline(timeout)
            if not l.endswith(b"\r"):
                raise AssertionError("line without CR: %r" % l)
            l = l[:-1]
            if l == b".":
                return out
            out.append(l[1:] if l.startswith(b".") else l)

    def body(self, timeout=30):
        """A message as CRLF text (from multi())."""
        return b"".join(l + b"\r\n" for l in self.multi(timeout))

    def eof(self, timeout=10):
        """True when the server closes (after any pending lines)."""
        try:
            while True:
                chunk = self.end.recv(65536, timeout)
                if not chunk:
                    return True
                self.buf += chunk
        except (TimeoutError, OSError):
            return False

    def close(self, timeout=30):
        self.end.close()
        if self.proc:
            try:
                rc = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                rc = self.proc.wait()
            note_stderr(self.stderr())
            return rc
        return None

    def stderr(self):
        return self.proc.stderr.read().decode("utf-8", "replace") \
            if self.proc else ""


def spawn(st, prog="pop3d/pop3d", args=(), env=None, greet=True):
    """A server on pipes, the greeting read into .greeting."""
    e = dict(st.env)
    for k in ("TCPREMOTEIP", "TCPLOCALIP"):
        e.pop(k, None)
    if env:
        e.update(env)
    p = subprocess.Popen([pstest.program(prog), "-C", st.conf] + list(args),
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=e)
    c = Conn(PipeEnd(p), p)
    if greet:
        c.greeting = c.line()
    return c


def pipe(st, args=(), env=None, greet=True):
    return spawn(st, "pop3d/pop3d", args, env, greet)


def login(st, user, password, env=None):
    c = pipe(st, env=env)
    c.cmd("USER " + user)
    r = c.cmd("PASS " + password)
    if not r.startswith("+OK"):
        raise AssertionError("login %s: %s" % (user, r))
    return c


def b64(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.b64encode(data).decode()


# ---- SASL clients ----

def scram_sha256(conn, user, password, initial=True):
    """AUTH SCRAM-SHA-256 on conn; returns the final reply line."""
    nonce = base64.b64encode(os.urandom(18)).decode()
    first_bare = "n=%s,r=%s" % (user, nonce)
    first = "n,," + first_bare
    if initial:
        r = conn.cmd("AUTH SCRAM-SHA-256 " + b64(first))
    else:
        r = conn.cmd("AUTH SCRAM-SHA-256")
        if r != "+ ":
            return r
        r = conn.cmd(b64(first))
    if not r.startswith("+ "):
        return r
    server_first = base64.b64decode(r[2:]).decode()
    attrs = dict(a.split("=", 1) for a in server_first.split(","))
    salt = base64.b64decode(attrs["s"])
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt,
                                 int(attrs["i"]))
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    stored_key = hashlib.sha256(client_key).digest()
    final_wo_proof = "c=biws,r=" + attrs["r"]
    auth_msg = ",".join([first_bare, server_first, final_wo_proof]).encode()
    sig = hmac.new(stored_key, auth_msg, "sha256").digest()
    proof = bytes(a ^ b for a, b in zip(client_key, sig))
    r = conn.cmd(b64(final_wo_proof + ",p=" + base64.b64encode(proof)
                     .decode()))
    if not r.startswith("+ "):
        return r
    server_final = base64.b64decode(r[2:]).decode()
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()
    want = "v=" + base64.b64encode(
        hmac.new(server_key, auth_msg, "sha256").digest()).decode()
    if server_final != want:
        return "server signature wrong: %s" % server_final
    return conn.cmd("")


def cram_md5(conn, user, password):
    r = conn.cmd("AUTH CRAM-MD5")
    if not r.startswith("+ "):
        return r
    challenge = base64.b64decode(r[2:])
    digest = hmac.new(password.encode(), challenge, "md5").hexdigest()
    return conn.cmd(b64("%s %s" % (user, digest)))


def apop_digest(greeting, password):
    ts = greeting[greeting.index("<"):greeting.index(">") + 1]
    return hashlib.md5((ts + password).encode()).hexdigest()


# ---- TLS ----

def make_cert(dirname):
    """A self-signed certificate for mail.example.com; the key file is
    readable by its owner (root) only, as in production."""
    cert = os.path.join(dirname, "cert.pem")
    key = os.path.join(dirname, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                    "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "2",
                    "-subj", "/CN=mail.example.com",
                    "-addext", "subjectAltName=DNS:mail.example.com,"
                    "IP:127.0.0.1"],
                   check=True, capture_output=True)
    os.chmod(key, 0o600)
    return cert, key


def client_context(cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = False
    return ctx


# ---- inetd: tcpserver ----

class TcpServer:
    """tcpserver (ucspi-tcp) on host:port running argv per connection."""

    def __init__(self, argv, host="127.0.0.1", env=None, netns=None):
        if shutil.which("tcpserver") is None:
            raise FileNotFoundError("tcpserver")
        self.host = host
        for _ in range(20):
            self.port = pstest.free_port() if host == "127.0.0.1" else \
                30000 + (os.getpid() % 20000)
            cmd = ["tcpserver", "-R", "-H", "-l", "localhost", "-c", "50",
                   host, str(self.port)] + list(argv)
            if netns:
                cmd = netns + cmd
            self.errfile = open(os.path.join(
                os.environ.get("TMPDIR", "/tmp"),
                "pop3test-tcpserver-%d-%d.err" % (os.getpid(), self.port)),
                "w+")
            self.proc = subprocess.Popen(cmd, env=env,
                                         stdout=subprocess.DEVNULL,
                                         stderr=self.errfile)
            if netns or self._wait():
                return
            self.proc.kill()
            self.proc.wait()
            self.errfile.close()
            os.unlink(self.errfile.name)
        raise RuntimeError("tcpserver did not start")

    def _wait(self):
        for _ in range(100):
            if self.proc.poll() is not None:
                return False
            try:
                socket.create_connection((self.host, self.port), 1).close()
                return True
            except OSError:
                time.sleep(0.05)
        return False

    def connect(self, tls=None, greet=True):
        s = socket.create_connection((self.host, self.port), 10)
        if tls:
            s = tls.wrap_socket(s, server_hostname="mail.example.com")
        c = Conn(SockEnd(s))
        if greet:
            c.greeting = c.line()
        return c

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.errfile.seek(0)
        note_stderr(self.errfile.read())
        self.errfile.close()
        os.unlink(self.errfile.name)


# ---- a saslauthd stand-in ----

class FakeSaslauthd:
    """Answers saslauthd's protocol on a UNIX socket: OK for the
    (user, password) pairs given, NO for everything else."""

    def __init__(self, path, accounts):
        self.path = path
        self.accounts = dict(accounts)
        self.requests = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        os.chmod(path, 0o777)
        os.chmod(os.path.dirname(path), 0o755)
        self.sock.listen(8)
        threading.Thread(target=self._serve, daemon=True).start()

    @staticmethod
    def _counted(c):
        def exact(n):
            b = b""
            while len(b) < n:
                k = c.recv(n - len(b))
                if not k:
                    raise EOFError
                b += k
            return b
        n = int.from_bytes(exact(2), "big")
        return exact(n).decode("utf-8", "replace")

    def _serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            try:
                user, pw, service, realm = (self._counted(c) for _ in
                                            range(4))
                self.requests.append((user, service, realm))
                ok = self.accounts.get(user) == pw
                reply = b"OK" if ok else b"NO authentication failed"
                c.sendall(len(reply).to_bytes(2, "big") + reply)
            except (EOFError, OSError):
                pass
            finally:
                c.close()
