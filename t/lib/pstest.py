"""pstest - helpers for popstore's protocol and end-to-end tests.

Tests are Python 3 scripts (standard library only) printing TAP. They
find the built programs under $POPSTORE_BUILD (default: the source tree)
and the sources under $POPSTORE_SRC.

    import pstest
    t = pstest.Tap()
    st = pstest.Store(t)              # a fresh store in a temp directory
    r = st.popmgr("add", "jdoe", "-password=Secret123")
    t.is_(r.returncode, 0, "add jdoe")
    t.done()
"""
import atexit
import os
import shutil
import socket
import subprocess
import sys
import tempfile

SRC = os.environ.get("POPSTORE_SRC") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("POPSTORE_BUILD") or SRC


def program(name):
    """Path of a built program: program('popmgr') -> BUILD/popmgr/popmgr."""
    if "/" in name:
        return os.path.join(BUILD, name)
    return os.path.join(BUILD, name, name)


class Tap:
    """Minimal TAP producer with 'got X, want Y' diagnostics."""

    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, diag=None):
        self.n += 1
        print("%sok %d - %s" % ("" if cond else "not ", self.n, name),
              flush=True)
        if not cond:
            self.failed += 1
            if diag:
                for line in str(diag).splitlines()[:40]:
                    print("#   " + line)
        return cond

    def is_(self, got, want, name):
        return self.ok(got == want, name,
                       "got  %r\nwant %r" % (got, want))

    def like(self, got, pattern, name):
        import re
        return self.ok(re.search(pattern, got or "") is not None, name,
                       "got  %r\nwant match for %r" % (got, pattern))

    def diag(self, msg):
        for line in str(msg).splitlines():
            print("# " + line, flush=True)

    def skip_all(self, why):
        print("1..0 # SKIP %s" % why)
        sys.exit(0)

    def done(self):
        for st in list(STORES):
            st.audit(self)
        print("1..%d" % self.n)
        sys.exit(1 if self.failed else 0)


def proc_status(pid):
    """/proc/PID/status as a dict (Uid, Seccomp, NoNewPrivs, PPid...)."""
    with open("/proc/%d/status" % pid) as f:
        return dict(l.rstrip("\n").split(":\t", 1) for l in f if ":\t" in l)


def proc_children(pid):
    """The pids whose parent is pid."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if proc_status(int(d)).get("PPid") == str(pid):
                    out.append(int(d))
            except (OSError, ValueError):
                pass
    return sorted(out)


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


STORES = []     # every Store of this test, audited by Tap.done()


class Store:
    """A fresh store under a temporary directory, with its own config.

    Every store is audited when the test ends (Tap.done()): its log holds
    no error line the test did not expect (expect_errors(), or patterns
    given to log_errors()), its temporary directory holds no core file,
    and the store checks clean (t/lib/storecheck.py) unless the test
    damaged it on purpose (check_at_end = False)."""

    def __init__(self, tap=None, conf="", init=True, name="store",
                 store_user=None):
        """store_user: STORE_USER for the servers. When the tests run as
        root, the temporary directory is made traversable and STORE_DIR
        is created owned by that user, so that programs which become it
        (pop3d, imapd, poppassd, popmgr, deliver) can use the store."""
        self.tap = tap
        self.tmp = tempfile.mkdtemp(prefix="popstore-test-")
        atexit.register(self.cleanup)
        self.dir = os.path.join(self.tmp, name)
        self.conf = os.path.join(self.tmp, name + ".conf")
        self.log = os.path.join(self.tmp, name + ".log")
        self.store_user = store_user
        self.expected = []
        self.check_at_end = True
        STORES.append(self)
        base = ("STORE_DIR=%s\nLOG_FILE=%s\nLOCK_TIMEOUT=10\n"
                "PASSWORD_ITERATIONS=4096\nHOSTNAME=mail.example.com\n"
                % (self.dir, self.log))
        if store_user:
            base += "STORE_USER=%s\n" % store_user
            if os.geteuid() == 0:
                import pwd
                pw = pwd.getpwnam(store_user)
                os.chmod(self.tmp, 0o755)
                os.mkdir(self.dir, 0o750)
                os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        with open(self.conf, "w") as f:
            f.write(base + conf)
        self.env = dict(os.environ, POPSTORE_CONF=self.conf)
        if init:
            r = self.popmgr("init")
            if r.returncode != 0:
                print("Bail out! popmgr init: " + r.stderr)
                sys.exit(2)

    def cleanup(self):
        if os.environ.get("POPSTORE_KEEP_TMP"):
            return
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run(self, prog, *args, input=None, timeout=60, env=None):
        """Run a built program with this store's config."""
        e = dict(self.env)
        if env:
            e.update(env)
        if isinstance(input, str):
            input = input.encode()
        r = subprocess.run([program(prog), "-C", self.conf] + list(args),
                           input=input, capture_output=True,
                           timeout=timeout, env=e)
        r.stdout = r.stdout.decode("utf-8", "replace")
        r.stderr = r.stderr.decode("utf-8", "replace")
        return r

    def popmgr(self, *args, input=None, timeout=120):
        return self.run("popmgr", *args, input=input, timeout=timeout)

    def log_lines(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read().splitlines()
        except FileNotFoundError:
            return []

    def expect_errors(self, *patterns):
        """Error lines matching these regular expressions are part of the
        test: the audit at the end does not count them."""
        self.expected.extend(patterns)

    def audit(self, t):
        """The end-of-test checks (see the class description)."""
        name = os.path.basename(self.dir)
        bad = self.log_errors()
        t.ok(not bad, "audit %s: no unexpected error lines in the log" % name,
             "\n".join(bad[:20]))
        cores = []
        for root, dirs, files in os.walk(self.tmp):
            cores += [os.path.join(root, f) for f in files
                      if f == "core" or (f.startswith("core.") and
                                         f[5:].isdigit())]
        t.ok(not cores, "audit %s: no core files" % name, "\n".join(cores))
        if self.check_at_end and os.path.isdir(os.path.join(self.dir,
                                                            "users")):
            import storecheck
            problems, _ = storecheck.StoreView(self.conf).check()
            t.ok(not problems, "audit %s: the store checks clean" % name,
                 "\n".join(problems[:20]))

    def log_errors(self, expected=()):
        """Error lines in the store's log not matched by expected, nor by
        what expect_errors() declared; expected also counts as declared
        for the audit at the end."""
        import re
        self.expected.extend(expected)
        expected = self.expected
        bad = []
        for line in self.log_lines():
            if ": err: " in line or ": crit: " in line:
                if not any(re.search(p, line) for p in expected):
                    bad.append(line)
        return bad
