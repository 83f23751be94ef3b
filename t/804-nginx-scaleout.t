#!/usr/bin/env python3
"""Scaling out: two popstore backends (separate stores, pop3d and imapd
under tcpserver on 127.0.0.2 and 127.0.0.3, the same ports) behind
nginx's mail proxy, whose auth_http endpoint is popstore-auth.cgi
(under lighttpd) reading a directory store where each account names
its backend (-backend=, else MAIL_PROXY_BACKEND). Clients log in
through nginx with poplib and imaplib and must land on their own
backend: each backend's messages carry their own subject; a wrong
password is refused by nginx."""
import imaplib
import os
import poplib
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import pop3test as pt  # noqa: E402
import pstest  # noqa: E402
import webtest  # noqa: E402

t = pstest.Tap()
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
MAILMOD = "/usr/lib/nginx/modules/ngx_mail_module.so"
if not os.access(NGINX, os.X_OK):
    t.skip_all("nginx is not installed")
if not os.path.exists(MAILMOD):
    t.skip_all("libnginx-mod-mail is not installed")
if shutil.which("tcpserver") is None:
    t.skip_all("tcpserver (ucspi-tcp) is not installed")
if webtest.lighttpd_path() is None:
    t.skip_all("lighttpd is not installed")

PW = webtest.PASSWORD
ADDR = {"A": "127.0.0.2", "B": "127.0.0.3"}
PROCS = []


def bindable(host, port):
    s = socket.socket()
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def common_port(hosts):
    """A port free on every one of hosts a moment ago."""
    for _ in range(50):
        s = socket.socket()
        s.bind((hosts[0], 0))
        port = s.getsockname()[1]
        s.close()
        if all(bindable(h, port) for h in hosts):
            return port
    raise RuntimeError("no common free port")


def wait_port(host, port, proc, secs=10):
    deadline = time.time() + secs
    while time.time() < deadline:
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection((host, port), 1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


class Tcp:
    """tcpserver on host:port running argv per connection."""

    def __init__(self, host, port, argv, env, errpath):
        self.err = open(errpath, "w+")
        self.proc = subprocess.Popen(
            ["tcpserver", "-R", "-H", "-l", "localhost", "-c", "50", host,
             str(port)] + argv, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=self.err)
        PROCS.append(self.proc)
        self.ok = wait_port(host, port, self.proc)

    def stop(self):
        webtest.stop_process(self.proc)
        self.err.seek(0)
        pt.note_stderr(self.err.read())
        self.err.close()


def stop_all():
    for p in PROCS:
        webtest.stop_process(p)


# Linux answers on all of 127.0.0.0/8 without configuration.
if not all(bindable(h, 0) for h in ADDR.values()):
    t.skip_all("cannot bind 127.0.0.2 and 127.0.0.3")

# ---- the two backends ----
backend = {}
for name in ("A", "B"):
    st = pt.store(t, "LOGIN_FAIL_DELAY=0\n", name="backend" + name)
    backend[name] = st
# alice lives on A, bob on B; carol on B through MAIL_PROXY_BACKEND.
# Each account exists on its own backend only.
pt.add(backend["A"], "alice", PW)
pt.add(backend["B"], "bob", PW)
pt.add(backend["B"], "carol", PW)
pt.deliver(backend["A"], "alice", "Subject: on backend A\n\nhello A\n")
pt.deliver(backend["B"], "bob", "Subject: on backend B\n\nhello B\n")
pt.deliver(backend["B"], "carol", "Subject: carol on B\n\nhello C\n")

servers = []
pop3_port = imap_port = None
for _ in range(5):
    pop3_port = common_port(list(ADDR.values()))
    imap_port = common_port(list(ADDR.values()))
    if pop3_port == imap_port:
        continue
    servers = []
    for name, host in sorted(ADDR.items()):
        st = backend[name]
        servers.append(Tcp(host, pop3_port,
                           [pstest.program("pop3d"), "-C", st.conf], st.env,
                           os.path.join(st.tmp, "pop3d.err")))
        servers.append(Tcp(host, imap_port,
                           [pstest.program("imapd"), "-C", st.conf], st.env,
                           os.path.join(st.tmp, "imapd.err")))
    if all(s.ok for s in servers):
        break
    for s in servers:
        s.stop()
    servers = []
if not servers:
    stop_all()
    print("Bail out! the backends' tcpservers did not start")
    sys.exit(2)

# ---- the directory of accounts and its auth endpoint ----
web = webtest.Web(t, conf="MAIL_PROXY_BACKEND=%s\nMAIL_PROXY_POP3_PORT=%d\n"
                  "MAIL_PROXY_IMAP_PORT=%d\n" % (ADDR["B"], pop3_port,
                                                 imap_port))
web.account("alice", "-backend=" + ADDR["A"])
web.account("bob", "-backend=" + ADDR["B"])
web.account("carol")

# ---- nginx's mail proxy ----
ngx = os.path.join(web.tmp, "nginx")
os.mkdir(ngx)
ngx_err = os.path.join(ngx, "error.log")
ngx_pop3 = pstest.free_port()
ngx_imap = pstest.free_port()
while ngx_imap == ngx_pop3:
    ngx_imap = pstest.free_port()
ngx_conf = os.path.join(ngx, "nginx.conf")
with open(ngx_conf, "w") as f:
    f.write(
        "load_module %s;\n"
        "daemon off;\n"
        "worker_processes 1;\n"
        "pid %s/nginx.pid;\n"
        "error_log %s info;\n"
        "events { worker_connections 64; }\n"
        "mail {\n"
        "  server_name mail.example.com;\n"
        "  auth_http 127.0.0.1:%d/cgi-bin/popstore-auth.cgi;\n"
        "  auth_http_timeout 30s;\n"
        "  proxy_pass_error_message on;\n"
        "  proxy_timeout 30s;\n"
        "  imap_auth plain login;\n"
        "  pop3_auth plain;\n"
        "  server { listen 127.0.0.1:%d; protocol pop3; }\n"
        "  server { listen 127.0.0.1:%d; protocol imap; }\n"
        "}\n" % (MAILMOD, ngx, ngx_err, web.port, ngx_pop3, ngx_imap))
if os.geteuid() == 0:
    os.chmod(ngx, 0o755)
r = subprocess.run([NGINX, "-t", "-p", ngx, "-e", ngx_err, "-c", ngx_conf],
                   capture_output=True, text=True, timeout=30)
t.is_(r.returncode, 0, "nginx -t accepts the generated mail proxy config")
if r.returncode != 0:
    t.diag(r.stderr)
ngx_out = open(os.path.join(ngx, "nginx.stderr"), "w+")
nginx = subprocess.Popen([NGINX, "-p", ngx, "-e", ngx_err, "-c", ngx_conf],
                         stdin=subprocess.DEVNULL, stdout=ngx_out,
                         stderr=ngx_out)
PROCS.append(nginx)
if not (wait_port("127.0.0.1", ngx_pop3, nginx) and
        wait_port("127.0.0.1", ngx_imap, nginx)):
    stop_all()
    ngx_out.seek(0)
    print("Bail out! nginx did not start: %s" % ngx_out.read()[-2000:])
    sys.exit(2)


def pop3_subjects(user, password):
    """Log in through nginx by POP3: the subjects of the INBOX."""
    p = poplib.POP3("127.0.0.1", ngx_pop3, timeout=30)
    try:
        p.user(user)
        p.pass_(password)
        n = p.stat()[0]
        subs = []
        for i in range(1, n + 1):
            for line in p.top(i, 0)[1]:
                if line.lower().startswith(b"subject:"):
                    subs.append(line[8:].strip().decode())
        p.quit()
        return subs
    finally:
        p.close()


def imap_subjects(user, password):
    """Log in through nginx by IMAP: the subjects of the INBOX."""
    m = imaplib.IMAP4("127.0.0.1", ngx_imap, timeout=30)
    try:
        m.login(user, password)
        typ, data = m.select("INBOX", readonly=True)
        subs = []
        if typ == "OK" and int(data[0]) > 0:
            typ, data = m.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            for item in data:
                if isinstance(item, tuple):
                    for line in item[1].splitlines():
                        if line.lower().startswith(b"subject:"):
                            subs.append(line[8:].strip().decode())
        m.logout()
        return subs
    finally:
        try:
            m.shutdown()
        except OSError:
            pass


def attempt(fn, *args):
    try:
        return fn(*args)
    except (poplib.error_proto, imaplib.IMAP4.error, OSError) as e:
        return "error: %s" % e


try:
    want = {"alice": ["on backend A"], "bob": ["on backend B"],
            "carol": ["carol on B"]}
    for user in ("alice", "bob", "carol"):
        t.is_(attempt(pop3_subjects, user, PW), want[user],
              "POP3 through nginx: %s lands on its backend" % user)
        t.is_(attempt(imap_subjects, user, PW), want[user],
              "IMAP through nginx: %s lands on its backend" % user)

    r = attempt(pop3_subjects, "alice", "WrongPW-FROTZ")
    t.like(str(r), r"^error: .*-ERR", "POP3 through nginx: a wrong "
           "password is refused")
    r = attempt(imap_subjects, "bob", "WrongPW-FROTZ")
    t.like(str(r), r"^error: .*(NO|failed|Invalid)", "IMAP through nginx: "
           "a wrong password is refused")
    r = attempt(pop3_subjects, "nosuch", PW)
    t.like(str(r), r"^error: ", "POP3 through nginx: an unknown account "
           "is refused")

    # The backends' own logs: who logged in where.
    def logins(name):
        return sorted({w[5:] for line in backend[name].log_lines()
                       if "event=login " in line
                       for w in line.split() if w.startswith("user=")})
    t.is_(logins("A"), ["alice"], "backend A served alice only")
    t.is_(logins("B"), ["bob", "carol"], "backend B served bob and carol")
    lines = web.st.log_lines()
    t.ok(any("event=proxy_login" in l and "user=alice" in l and
             "backend=" + ADDR["A"] in l for l in lines) and
         any("event=proxy_login" in l and "user=bob" in l and
             "backend=" + ADDR["B"] in l for l in lines),
         "the auth endpoint logged each account's backend",
         "\n".join(lines[-20:]))
finally:
    stop_all()
    for s in servers:
        s.stop()
    web.stop()

ngx_out.seek(0)
errs = ngx_out.read()
try:
    with open(ngx_err, errors="replace") as f:
        errs += f.read()
except OSError:
    pass
ngx_out.close()
t.ok(not any("[%s]" % lvl in errs for lvl in ("emerg", "alert", "crit")),
     "nginx logged nothing critical", errs[-3000:])
every = "\n".join(sum((backend[n].log_lines() for n in backend),
                      web.st.log_lines())) + errs
t.ok("WrongPW" not in every and PW not in every, "no password in any log")
for name in ("A", "B"):
    t.is_(backend[name].log_errors(), [], "no errors in backend %s's log"
          % name)
web.check_clean()
pt.check_sanitizers(t)
t.done()
