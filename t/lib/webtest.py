"""webtest - the web programs (cgi/) behind a real lighttpd, for t/7NN.

    import webtest
    t = pstest.Tap()
    web = webtest.Web(t)                  # a store, lighttpd on loopback
    web.account("boss", "-flags=manage")
    c = web.client("manage")              # popstore-manage.cgi
    r = c.login("boss", webtest.PASSWORD)
    r = c.get(p="accounts")
    r = c.post(do="add", name="ann", ...) # the page's CSRF token is added

lighttpd runs the built CGIs through mod_cgi with POPSTORE_CONF set; it
listens on a free loopback port and stops when the test ends. As root,
the store belongs to STORE_USER=nobody and the programs drop to it.
"""
import atexit
import html.parser
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
import pstest  # noqa: E402

PASSWORD = "Secret123"
PROGS = {"manage": "popstore-manage.cgi", "user": "popstore-user.cgi",
         "auth": "popstore-auth.cgi"}


def lighttpd_path():
    for d in ("/usr/sbin", "/usr/local/sbin", "/usr/bin"):
        p = os.path.join(d, "lighttpd")
        if os.access(p, os.X_OK):
            return p
    return shutil.which("lighttpd")


def stop_process(proc):
    """Terminate a server we started and reap it (killed after 10 s)."""
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Web:
    """A store, the built CGIs and a lighttpd serving them."""

    def __init__(self, t, conf="", env=None):
        if lighttpd_path() is None:
            t.skip_all("lighttpd is not installed")
        for p in PROGS.values():
            if not os.access(pstest.program("cgi/" + p), os.X_OK):
                t.skip_all("cgi/%s is not built" % p)
        self.t = t
        user = "nobody" if os.geteuid() == 0 else None
        tmpl = os.path.join(pstest.SRC, "cgi", "templates")
        base = "CGI_TEMPLATE_DIR=%s\n" % tmpl
        if "LOGIN_FAIL_DELAY=" not in conf:
            base += "LOGIN_FAIL_DELAY=0\n"
        self.st = pstest.Store(t, conf=base + conf, store_user=user)
        self.tmp = self.st.tmp
        self.port = None
        self.proc = None
        self.env = env or {}
        self.start()

    def start(self):
        docroot = os.path.join(self.tmp, "www")
        os.makedirs(docroot, exist_ok=True)
        self.errlog = os.path.join(self.tmp, "lighttpd.err")
        self.port = pstest.free_port()
        cgidir = os.path.join(pstest.BUILD, "cgi") + "/"
        env = dict(self.env, POPSTORE_CONF=self.st.conf)
        envs = ", ".join('"%s" => "%s"' % kv for kv in sorted(env.items()))
        cfg = os.path.join(self.tmp, "lighttpd.conf")
        with open(cfg, "w") as f:
            f.write(
                'server.document-root = "%s"\n'
                'server.bind = "127.0.0.1"\n'
                'server.port = %d\n'
                'server.modules = ("mod_alias", "mod_setenv", "mod_cgi")\n'
                'server.errorlog = "%s"\n'
                'server.max-request-size = 1024\n'
                'alias.url = ( "/cgi-bin/" => "%s" )\n'
                '$HTTP["url"] =~ "^/cgi-bin/" {\n'
                '  cgi.assign = ( ".cgi" => "" )\n'
                '}\n'
                'setenv.add-environment = ( %s )\n'
                % (docroot, self.port, self.errlog, cgidir, envs))
        # the programs' standard error (sanitizer reports) lands here
        self.stderr = os.path.join(self.tmp, "lighttpd.stderr")
        with open(self.stderr, "ab") as err:
            self.proc = subprocess.Popen(
                [lighttpd_path(), "-D", "-f", cfg],
                stdin=subprocess.DEVNULL, stdout=err, stderr=err)
        atexit.register(self.stop)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        print("Bail out! lighttpd did not start: %s" % self.errors())
        sys.exit(2)

    def stop(self):
        stop_process(self.proc)

    def errors(self):
        out = ""
        for path in (self.errlog, self.stderr):
            try:
                with open(path, errors="replace") as f:
                    out += f.read()
            except OSError:
                pass
        return out

    def fake_sendmail(self):
        """A recording SENDMAIL (deliverlib.fake_sendmail) the programs,
        running as STORE_USER, can write to; returns its directory."""
        import deliverlib
        sm, sentdir = deliverlib.fake_sendmail(self.st)
        os.chmod(sentdir, 0o777)
        with open(self.st.conf, "a") as f:
            f.write("SENDMAIL=%s\n" % sm)
        return sentdir

    def count(self, account, folder="INBOX"):
        """Messages in a folder of account (0 when it does not exist)."""
        import sievetest
        view = sievetest.Sieve.__new__(sievetest.Sieve)
        view.st = self.st       # only its store is used
        return sievetest.Sieve.count(view, account, folder)

    def check_clean(self, expected=()):
        """The last checks of a test: no error in the store's log, no
        sanitizer report or crash in the web server's error log (where
        the programs' standard error goes)."""
        errs = self.errors()
        self.t.ok("Sanitizer" not in errs and "runtime error" not in errs
                  and "core dumped" not in errs,
                  "no sanitizer report or crash", errs[-3000:])
        self.t.is_(self.st.log_errors(expected), [], "no errors in the log")

    def url(self, prog="user"):
        return "http://127.0.0.1:%d/cgi-bin/%s" % (self.port, PROGS[prog])

    def account(self, name, *switches, password=PASSWORD):
        r = self.st.popmgr("add", name, "-password=" + password, *switches)
        if r.returncode != 0:
            print("Bail out! popmgr add %s: %s" % (name, r.stderr))
            sys.exit(2)

    def deliver(self, rcpt, data, sender="sender@example.org"):
        if isinstance(data, str):
            data = data.encode()
        return self.st.run("deliver", "-f", sender, "--", rcpt, input=data)

    def client(self, prog="user"):
        return Client(self, prog)

    def log_since(self, mark):
        return self.st.log_lines()[mark:]

    def log_mark(self):
        return len(self.st.log_lines())


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers          # [(name lowercased, value)]
        self.body = body                # bytes
        self.text = body.decode("utf-8", "replace")

    def header(self, name):
        for k, v in self.headers:
            if k == name.lower():
                return v
        return None

    def all(self, name):
        return [v for k, v in self.headers if k == name.lower()]

    def forms(self):
        p = FormParser()
        p.feed(self.text)
        return p.forms

    def csrf(self):
        m = re.search(r'name="csrf" value="([^"]*)"', self.text)
        return m.group(1) if m else None

    def __repr__(self):
        return "<%d %s>" % (self.status, self.text[:300])


class FormParser(html.parser.HTMLParser):
    """The forms of a page: [{"action", "method", "fields": [(n, v)]}]."""

    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action"),
                               "method": a.get("method", "get"),
                               "fields": []})
        elif tag == "input" and self.forms and "name" in a:
            self.forms[-1]["fields"].append((a["name"], a.get("value", "")))


class Client:
    """One browser: a cookie jar, no redirects followed."""

    def __init__(self, web, prog):
        self.web = web
        self.prog = prog
        self.path = "/cgi-bin/" + PROGS[prog]
        self.cookies = {}
        self.token = None               # the last page's CSRF token
        self.auth = None                # an Authorization header

    def request(self, method, query="", body=None, headers=None,
                path=None):
        c = http.client.HTTPConnection("127.0.0.1", self.web.port,
                                       timeout=60)
        h = dict(headers or {})
        if self.cookies and "Cookie" not in h:
            h["Cookie"] = "; ".join("%s=%s" % kv
                                    for kv in self.cookies.items())
        if self.auth and "Authorization" not in h:
            h["Authorization"] = self.auth
        url = (path or self.path) + ("?" + query if query else "")
        c.request(method, url, body=body, headers=h)
        r = c.getresponse()
        resp = Response(r.status, [(k.lower(), v) for k, v in
                                   r.getheaders()], r.read())
        c.close()
        for v in resp.all("set-cookie"):
            name, _, rest = v.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in v or value == "":
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        tok = resp.csrf()
        if tok:
            self.token = tok
        return resp

    def get(self, **query):
        return self.request("GET", urllib.parse.urlencode(query))

    def post(self, fields=None, csrf=True, raw=None, ctype=None, **kw):
        """POST a form: fields (list of pairs) and keywords; the last
        page's CSRF token unless csrf is False or a string."""
        f = list(fields or []) + list(kw.items())
        if csrf is True and self.token and not any(k == "csrf" for k, _ in f):
            f.append(("csrf", self.token))
        elif isinstance(csrf, str):
            f.append(("csrf", csrf))
        body = raw if raw is not None else urllib.parse.urlencode(f).encode()
        return self.request("POST", body=body, headers={
            "Content-Type": ctype or "application/x-www-form-urlencoded"})

    def login(self, user, password=PASSWORD):
        self.get()
        return self.post(do="login", username=user, password=password)

    def basic(self, user, password=PASSWORD):
        import base64
        self.auth = "Basic " + base64.b64encode(
            ("%s:%s" % (user, password)).encode()).decode()
