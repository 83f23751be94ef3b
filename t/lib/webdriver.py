"""webdriver - a headless Chromium driven over the W3C WebDriver protocol
(chromedriver), with the Python standard library only.

    d = webdriver.Browser(tmpdir)       # starts chromedriver + chromium
    d.go(url); d.type("input[name=username]", "ann"); d.click("button")
    d.source(); d.screenshot(path); d.console(); d.quit()
"""
import base64
import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request

import pstest
import webtest

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


def available():
    """(chromedriver, chromium) paths, or None when either is missing."""
    drv = shutil.which("chromedriver") or (
        "/usr/bin/chromedriver" if os.access("/usr/bin/chromedriver",
                                             os.X_OK) else None)
    for name in ("chromium", "chromium-browser", "google-chrome"):
        br = shutil.which(name)
        if br:
            break
    if drv is None or br is None:
        return None
    return drv, br


class Error(Exception):
    pass


def _eid(v):
    if not isinstance(v, dict):
        raise Error("no element: %r" % (v,))
    return v.get(ELEMENT) or v.get("ELEMENT")


class Browser:
    def __init__(self, tmpdir, timeout=60):
        drv, br = available()
        self.port = pstest.free_port()
        self.log = open(os.path.join(tmpdir, "chromedriver.log"), "w")
        self.proc = subprocess.Popen(
            [drv, "--port=%d" % self.port, "--allowed-ips=127.0.0.1"],
            stdout=self.log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL)
        self.base = "http://127.0.0.1:%d" % self.port
        deadline = time.time() + 20
        while True:
            try:
                self._call("GET", "/status")
                break
            except (OSError, Error):
                if time.time() > deadline or self.proc.poll() is not None:
                    self.proc.kill()
                    raise Error("chromedriver did not start")
                time.sleep(0.1)
        profile = os.path.join(tmpdir, "chromium-profile")
        args = ["--headless=new", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--no-default-browser-check",
                "--disable-extensions", "--disable-background-networking",
                "--disable-sync", "--disable-component-update",
                "--user-data-dir=" + profile, "--window-size=1100,900"]
        if os.geteuid() == 0:
            args.append("--no-sandbox")
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": br, "args": args},
            "goog:loggingPrefs": {"browser": "ALL"},
            "timeouts": {"pageLoad": timeout * 1000, "implicit": 0}}}}
        v = self._call("POST", "/session", caps, timeout=timeout)
        self.sid = v["sessionId"]
        self.s = "/session/" + self.sid

    def _call(self, method, path, body=None, timeout=60):
        data = json.dumps(body).encode() if body is not None else None
        if method == "POST" and data is None:
            data = b"{}"
        req = urllib.request.Request(self.base + path, data=data,
                                     method=method, headers={
                                         "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                out = json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            try:
                out = json.loads(e.read())
            except ValueError:
                raise Error("HTTP %d" % e.code)
            raise Error("%s: %s" % (out["value"].get("error"),
                                    out["value"].get("message", "")[:300]))
        return out.get("value")

    def go(self, url):
        self._call("POST", self.s + "/url", {"url": url})

    def url(self):
        return self._call("GET", self.s + "/url")

    def title(self):
        return self._call("GET", self.s + "/title")

    def source(self):
        return self._call("GET", self.s + "/source")

    def wait_source(self, pattern, timeout=20):
        """The page source once it matches pattern (a regular
        expression), or the last one after timeout seconds: a click
        may return before the page it submitted has loaded."""
        import re
        deadline = time.time() + timeout
        while True:
            src = self.source()
            if re.search(pattern, src) or time.time() > deadline:
                return src
            time.sleep(0.1)

    def find(self, css):
        v = self._call("POST", self.s + "/element",
                       {"using": "css selector", "value": css})
        return _eid(v)

    def find_all(self, css):
        v = self._call("POST", self.s + "/elements",
                       {"using": "css selector", "value": css})
        return [_eid(e) for e in v]

    def text(self, css):
        return self._call("GET", "%s/element/%s/text" % (self.s,
                                                           self.find(css)))

    def type(self, css, text, clear=True):
        e = self.find(css)
        if clear:
            self._call("POST", "%s/element/%s/clear" % (self.s, e))
        self._call("POST", "%s/element/%s/value" % (self.s, e),
                   {"text": text})

    def select(self, css, value):
        self.click('%s option[value="%s"]' % (css, value))

    def click(self, css):
        self._call("POST", "%s/element/%s/click" % (self.s, self.find(css)))

    def screenshot(self, path):
        png = base64.b64decode(self._call("GET", self.s + "/screenshot"))
        with open(path, "wb") as f:
            f.write(png)
        return len(png)

    def console(self):
        """The browser console entries since the last call (level,
        message): CSP violations and script errors show here."""
        try:
            v = self._call("POST", self.s + "/se/log", {"type": "browser"})
        except Error:
            v = self._call("POST", self.s + "/log", {"type": "browser"})
        return [(e.get("level"), e.get("message")) for e in v or []]

    def run_script(self, script, args=()):
        return self._call("POST", self.s + "/execute/sync",
                          {"script": script, "args": list(args)})

    def quit(self):
        try:
            self._call("DELETE", self.s, timeout=20)
        except (OSError, Error):
            pass
        webtest.stop_process(self.proc)
        self.log.close()
