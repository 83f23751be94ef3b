#!/usr/bin/env python3
"""The samples in etc/, each checked by the real program it is for: the
xinetd services and the openbsd-inetd lines answer on loopback with
popstore's greetings; systemd-analyze verify on every unit; postconf and
postfix check on Postfix's main.cf/master.cf with ours added; exim -bV
on the Exim router and transports and exim -bt routing through deliver's
policy service; nginx -t on the CGI site and the mail proxy; fail2ban-regex on log
lines; sh -n on the tcpserver run scripts; popstore.conf's options are
documented. A part whose program is not installed is skipped (exim and
openbsd-inetd conflict with postfix and xinetd: they run from their
.deb in apt's cache when there)."""
import glob
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import pstest  # noqa: E402
import pop3test as pt  # noqa: E402

t = pstest.Tap()
SRC, BUILD = pstest.SRC, pstest.BUILD
ETC = os.path.join(SRC, "etc")
PW = "Secret123"
st = pt.store(t, "LOGIN_FAIL_DELAY=0\n")
pt.add(st, "jdoe", PW)
tmp = tempfile.mkdtemp(prefix="popstore-etc-")
os.chmod(tmp, 0o755)


def local(text):
    """A sample's /usr/local/sbin/PROG -C /etc/... -> the built program
    and the test store's configuration."""
    text = re.sub(r"/usr/local/sbin/(\w+)",
                  lambda m: pstest.program(m.group(1)), text)
    return text.replace("/etc/popstore/popstore.conf", st.conf)


def greeting(port, tries=100):
    for _ in range(tries):
        try:
            with socket.create_connection(("127.0.0.1", port), 10) as s:
                s.settimeout(20)
                return s.recv(512).decode("latin-1")
        except OSError:
            time.sleep(0.05)
    return ""


WANT = {"pop3d": r"^\+OK", "imapd": r"^\* OK", "poppassd": r"^200 "}


def skip(n, why):
    for _ in range(n):
        t.ok(True, "# SKIP " + why)


def deb_tool(pkg, path):
    """A program from PKG's .deb in apt's cache, unpacked into tmp."""
    debs = sorted(glob.glob("/var/cache/apt/archives/%s_*.deb" % pkg))
    if not debs:
        return None
    d = os.path.join(tmp, pkg)
    if subprocess.run(["dpkg-deb", "-x", debs[-1], d]).returncode:
        return None
    p = os.path.join(d, path.lstrip("/"))
    return p if os.access(p, os.X_OK) else None


try:
    # ---- xinetd ----
    xfiles = sorted(glob.glob(os.path.join(ETC, "xinetd.d", "*")))
    if shutil.which("xinetd") and xfiles:
        xd = os.path.join(tmp, "xinetd.d")
        os.makedirs(xd)
        ports = {}
        for f in xfiles:
            text = local(open(f).read())
            text = re.sub(r"(?m)^\s*(port|type|bind)\s*=.*\n", "", text)
            port = pstest.free_port()
            ports[os.path.basename(f)] = (port, re.search(
                r"server\s*=\s*\S*/(\w+)\n", text).group(1),
                "-s" in re.search(r"server_args\s*=(.*)", text).group(1))
            text = re.sub(r"(?m)^\{$", "{\n\ttype = UNLISTED\n\tport = %d\n"
                          "\tbind = 127.0.0.1" % port, text, count=1)
            open(os.path.join(xd, os.path.basename(f)), "w").write(text)
        conf = os.path.join(tmp, "xinetd.conf")
        open(conf, "w").write("defaults\n{\n}\nincludedir %s\n" % xd)
        log = os.path.join(tmp, "xinetd.log")
        x = subprocess.Popen(["xinetd", "-dontfork", "-filelog", log, "-f",
                              conf, "-pidfile", os.path.join(tmp, "x.pid")],
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        try:
            text = ""
            for _ in range(200):
                text = open(log).read() if os.path.exists(log) else ""
                if "Started working" in text:
                    break
                time.sleep(0.05)
            t.like(text, r"Started working: %d available" % len(xfiles),
                   "xinetd: every service of etc/xinetd.d loaded")
            bad = [ln for ln in text.splitlines()
                   if re.search(r"(WARNING|ERROR|CRITICAL)", ln)
                   and "Exiting" not in ln]
            t.is_(bad, [], "xinetd: no warnings")
            for name, (port, prog, tls) in sorted(ports.items()):
                if tls:
                    continue
                t.like(greeting(port), WANT[prog],
                       "xinetd %s: %s greets" % (name, prog))
        finally:
            x.terminate()
            x.wait()
    else:
        skip(2, "xinetd not installed")

    # ---- openbsd-inetd ----
    inetd = shutil.which("inetd")
    if inetd and "openbsd" not in os.path.realpath(inetd) and \
            subprocess.run(["dpkg", "-S", os.path.realpath(inetd)],
                           capture_output=True, text=True).stdout \
            .find("openbsd-inetd") < 0:
        inetd = None
    inetd = inetd or deb_tool("openbsd-inetd", "/usr/sbin/inetd")
    if inetd:
        lines, ports = [], {}
        for ln in open(os.path.join(ETC, "inetd.conf")):
            if ln.startswith("#") or not ln.strip():
                continue
            f = local(ln).split()
            port = pstest.free_port()
            ports[f[0]] = (port, os.path.basename(f[5]), "-s" in f[6:])
            f[0] = "127.0.0.1:%d" % port
            lines.append("\t".join(f))
        conf = os.path.join(tmp, "inetd.conf")
        open(conf, "w").write("\n".join(lines) + "\n")
        t.is_(len(lines), 5, "inetd.conf: five services")
        x = subprocess.Popen([inetd, "-d", "-i", conf],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True)
        try:
            for name, (port, prog, tls) in sorted(ports.items()):
                if tls:
                    continue
                t.like(greeting(port), WANT[prog],
                       "openbsd-inetd %s: %s greets" % (name, prog))
        finally:
            x.terminate()
            out = x.communicate()[0]
        bad = [ln for ln in out.splitlines()
               if re.search(r"(?i)error|unknown|bad|invalid", ln)]
        t.is_(bad, [], "openbsd-inetd: no complaints")
    else:
        skip(4, "openbsd-inetd not installed")

    # ---- systemd ----
    units = sorted(glob.glob(os.path.join(ETC, "systemd", "*")))
    if shutil.which("systemd-analyze") and units:
        sd = os.path.join(tmp, "systemd")
        os.makedirs(sd)
        for u in units:
            open(os.path.join(sd, os.path.basename(u)), "w").write(
                local(open(u).read()))
        names = [os.path.basename(u) for u in units]
        args = [n.replace("@.", "@1.") for n in names]
        r = subprocess.run(["systemd-analyze", "verify", "--man=no"] +
                           [os.path.join(sd, a) for a in args],
                           capture_output=True, text=True, timeout=120)
        t.is_((r.returncode, r.stderr.strip()), (0, ""),
              "systemd-analyze verify: %d units" % len(args))
        for n in names:
            text = open(os.path.join(ETC, "systemd", n)).read()
            if n.endswith(".socket") and "Accept=yes" in text:
                t.ok(n[:-7] + "@.service" in names,
                     "%s (Accept=yes) has %s@.service" % (n, n[:-7]))
            if n.endswith(".service"):
                t.ok("NoNewPrivileges=yes" in text and
                     "ProtectSystem=" in text and
                     "RestrictAddressFamilies=" in text,
                     "%s: hardened" % n)
    else:
        skip(1, "systemd-analyze not available")

    # ---- Postfix ----
    if shutil.which("postfix") and os.path.exists("/etc/postfix/main.cf"):
        cdir = os.path.join(tmp, "postfix")
        qdir = os.path.join(tmp, "pf-queue")
        ddir = os.path.join(tmp, "pf-data")
        for d in (cdir, qdir, ddir):
            os.makedirs(d)
        import pwd
        if os.geteuid() == 0:
            os.chown(ddir, pwd.getpwnam("postfix").pw_uid, 0)
        main = open("/etc/postfix/main.cf").read()
        main += "\n" + open(os.path.join(ETC, "postfix", "main.cf")).read()
        main += "\nqueue_directory = %s\ndata_directory = %s\n" % (qdir, ddir)
        open(os.path.join(cdir, "main.cf"), "w").write(main)
        master = open("/etc/postfix/master.cf").read() + "\n" + \
            local(open(os.path.join(ETC, "postfix", "master.cf")).read())
        open(os.path.join(cdir, "master.cf"), "w").write(master)
        r = subprocess.run(["postconf", "-c", cdir, "-n"],
                           capture_output=True, text=True)
        t.is_((r.returncode, r.stderr), (0, ""), "postconf -n: no warnings")
        t.like(r.stdout, r"check_policy_service unix:private/popstore_policy",
               "main.cf: policy service checks recipients")
        r = subprocess.run(["postconf", "-c", cdir, "-M", "popstore/unix",
                            "popstore_lmtp/unix", "popstore_policy/unix"],
                           capture_output=True, text=True)
        t.is_(len(r.stdout.splitlines()), 3,
              "master.cf: pipe, LMTP and policy services")
        if os.geteuid() == 0:
            r = subprocess.run(["postfix", "-c", cdir, "check"],
                               capture_output=True, text=True, timeout=300)
            t.is_((r.returncode, r.stderr), (0, ""), "postfix check")
        else:
            skip(1, "postfix check needs root")
    else:
        skip(4, "postfix not installed")

    # ---- Exim ----
    exim = shutil.which("exim4") or shutil.which("exim")
    unshare = None
    if not exim:
        exim = deb_tool("exim4-daemon-light", "/usr/sbin/exim4")
        unshare = exim and os.geteuid() == 0 and shutil.which("unshare")
        if not unshare:
            exim = None
    if exim:
        ed = os.path.join(tmp, "exim")
        os.makedirs(ed)
        econf = os.path.join(ed, "exim.conf")
        router = open(os.path.join(ETC, "exim4", "router-popstore")).read()
        # The policy socket: deliver -p per connection, as the sample's
        # popstore-policy.socket runs it.
        psock = os.path.join(ed, "policy")
        router = router.replace("/run/popstore/policy", psock)
        lsock = socket.socket(socket.AF_UNIX)
        lsock.bind(psock)
        os.chmod(psock, 0o666)
        lsock.listen(5)

        def policy_server():
            while True:
                try:
                    c, _ = lsock.accept()
                except OSError:
                    return
                subprocess.run([pstest.program("deliver"), "-C", st.conf,
                                "-p"], stdin=c, stdout=c,
                               stderr=subprocess.DEVNULL, timeout=60)
                c.close()
        import threading
        threading.Thread(target=policy_server, daemon=True).start()
        open(econf, "w").write(
            "domainlist local_domains = example.com\n"
            "exim_user = Debian-exim\nexim_group = Debian-exim\n"
            "keep_environment =\n"
            "spool_directory = %s/spool\nlog_file_path = %s/%%slog\n"
            "\nbegin routers\n\n%s\nbegin transports\n\n%s" % (
                ed, ed, router,
                local(open(os.path.join(ETC, "exim4", "transport-popstore"))
                      .read())))
        os.chmod(econf, 0o644)

        def run_exim(*args):
            cmd = [exim, "-C", econf] + list(args)
            if unshare:
                # The Debian build wants its user: a private /etc/passwd.
                for n, line in (("passwd", "Debian-exim:x:64999:64999::"
                                 "/nonexistent:/usr/sbin/nologin\n"),
                                ("group", "Debian-exim:x:64999:\n")):
                    open(os.path.join(ed, n), "w").write(
                        open("/etc/" + n).read() + line)
                cmd = ["unshare", "-m", "sh", "-c",
                       "mount --bind %s/passwd /etc/passwd && "
                       "mount --bind %s/group /etc/group && exec \"$@\"" %
                       (ed, ed), "sh"] + cmd
            return subprocess.run(cmd, capture_output=True, text=True,
                                  timeout=60)
        r = run_exim("-bV")
        t.is_(r.returncode, 0, "exim -bV: router and transports parse")
        if r.returncode:
            t.diag(r.stdout + r.stderr)
        r = run_exim("-bt", "jdoe@example.com")
        if not t.like(r.stdout, r"router = popstore, transport = "
                      r"popstore_pipe",
                      "exim -bt: a store account goes to popstore_pipe"):
            r = run_exim("-d+expand", "-bt", "jdoe@example.com")
            t.diag("\n".join(ln for ln in r.stderr.splitlines()
                               if "readsocket" in ln or "result" in ln)
                   [-3000:])
        r = run_exim("-bt", "nosuchuser@example.com")
        t.ok(r.returncode != 0 and "popstore_pipe" not in r.stdout,
             "exim -bt: an unknown account is not routed", r.stdout)
        lsock.close()
    else:
        skip(3, "exim not available")

    # ---- nginx: the CGI site and the mail proxy ----
    mailmod = "/usr/lib/nginx/modules/ngx_mail_module.so"
    if shutil.which("nginx") and os.path.exists(mailmod):
        nd = os.path.join(tmp, "nginx")
        os.makedirs(nd)
        r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                            "-nodes", "-keyout", nd + "/key.pem", "-out",
                            nd + "/cert.pem", "-days", "2", "-subj",
                            "/CN=localhost"], capture_output=True)
        shutil.copy("/etc/nginx/fastcgi_params", nd)

        def certs(text):
            text = re.sub(r"ssl_certificate\s+\S+;",
                          "ssl_certificate %s/cert.pem;" % nd, text)
            return re.sub(r"ssl_certificate_key\s+\S+;",
                          "ssl_certificate_key %s/key.pem;" % nd, text)
        for n in ("popstore-web.conf", "popstore-mail.conf"):
            text = open(os.path.join(ETC, "nginx", n)).read()
            open(os.path.join(nd, n), "w").write(certs(text))
        temps = "".join("\t%s_temp_path %s/%s;\n" % (k, nd, k) for k in
                        ("client_body", "fastcgi", "proxy", "uwsgi", "scgi"))

        def nginx_t(mailconf):
            open(nd + "/nginx.conf", "w").write(
                "load_module %s;\nerror_log %s/error.log;\n"
                "pid %s/nginx.pid;\nevents { }\nhttp {\n"
                "\tinclude /etc/nginx/mime.types;\n\taccess_log off;\n%s"
                "\tinclude %s/popstore-web.conf;\n}\ninclude %s;\n" % (
                    mailmod, nd, nd, temps, nd, mailconf))
            return subprocess.run(["nginx", "-t", "-p", nd, "-c",
                                   nd + "/nginx.conf", "-e",
                                   nd + "/error.log"],
                                  capture_output=True, text=True)
        r = nginx_t(nd + "/popstore-mail.conf")
        t.is_(r.returncode, 0, "nginx -t: CGI site and mail proxy")
        t.ok("[warn]" not in r.stderr and "[emerg]" not in r.stderr,
             "nginx -t: no warnings", r.stderr)
        # Other mail-proxy samples (the lighttpd setup's) parse too.
        for f in sorted(glob.glob(os.path.join(ETC, "nginx-*.conf"))):
            text = open(f).read()
            if not re.search(r"(?m)^mail\s*\{", text):
                continue
            other = os.path.join(nd, os.path.basename(f))
            open(other, "w").write(certs(text))
            r = nginx_t(other)
            t.is_(r.returncode, 0, "nginx -t: %s" % os.path.basename(f))
            if r.returncode:
                t.diag(r.stderr)
        mail = open(os.path.join(ETC, "nginx", "popstore-mail.conf")).read()
        web = open(os.path.join(ETC, "nginx", "popstore-web.conf")).read()
        m = re.search(r"auth_http\s+([\d.]+):(\d+)(/\S+);", mail)
        t.ok(m and re.search(r"listen %s:%s;" % (m.group(1), m.group(2)),
                             web) and
             re.search(r"location = %s \{[^}]*popstore-auth\.cgi" %
                       re.escape(m.group(3)), web),
             "auth_http points at popstore-auth.cgi of popstore-web.conf")
    else:
        skip(3, "nginx or libnginx-mod-mail not installed")

    # ---- fail2ban ----
    filt = os.path.join(ETC, "fail2ban", "filter.d", "popstore.conf")
    if shutil.which("fail2ban-regex") and os.path.exists(
            "/etc/fail2ban/filter.d/common.conf"):
        fd = os.path.join(tmp, "fail2ban", "filter.d")
        os.makedirs(fd)
        shutil.copy("/etc/fail2ban/filter.d/common.conf", fd)
        shutil.copy(filt, fd)
        logf = os.path.join(tmp, "mail.log")
        open(logf, "w").write(
            "Nov 23 10:00:01 mx pop3d[101]: event=auth_failed user=jdoe "
            "ip=192.0.2.7 tls=no mech=PLAIN reason=badpass\n"
            "Nov 23 10:00:02 mx imapd[102]: event=auth_failed user=unknown "
            "ip=2001:db8::5 tls=yes mech=LOGIN reason=nouser\n"
            "Nov 23 10:00:03 mx poppassd[103]: event=auth_failed user=jdoe "
            "ip=198.51.100.9 reason=badpass\n"
            "Nov 23 10:00:04 mx pop3d[104]: event=auth_failed user=jdoe "
            "ip=pipe reason=badpass\n"
            "Nov 23 10:00:05 mx pop3d[105]: event=login user=jdoe "
            "ip=192.0.2.7 tls=yes mech=PLAIN\n")
        r = subprocess.run(["fail2ban-regex", "-v", logf,
                            os.path.join(fd, "popstore.conf")],
                           capture_output=True, text=True, timeout=120)
        t.like(r.stdout, r"Failregex: 3 total", "fail2ban-regex: 3 matches")
        ips = sorted(set(re.findall(r"\|\s+(\d[\d.]+\d|[0-9a-f:]+::\d+)\s",
                                    r.stdout)))
        t.diag("fail2ban addresses: %s" % ips)
    else:
        skip(1, "fail2ban not installed")

    # ---- tcpserver run scripts ----
    for f in sorted(glob.glob(os.path.join(ETC, "tcpserver", "*"))):
        r = subprocess.run(["sh", "-n", f], capture_output=True, text=True)
        t.ok(r.returncode == 0 and os.access(f, os.X_OK),
             "tcpserver/%s: executable, sh -n" % os.path.basename(f))

    # ---- popstore.conf: every option named there is documented ----
    doc = open(os.path.join(SRC, "man", "popstore.conf.5")).read()
    names = re.findall(r"(?m)^#?([A-Z][A-Z0-9_]+)=",
                       open(os.path.join(ETC, "popstore.conf")).read())
    t.ok(names, "popstore.conf names options")
    for n in names:
        stem = re.sub(r"^PARTITION_.*", "PARTITION_", n)
        t.ok(re.search(r"Cm %s\b" % re.escape(stem), doc),
             "popstore.conf: %s is in popstore.conf(5)" % n)
finally:
    shutil.rmtree(tmp, ignore_errors=True)
    st.cleanup()
t.done()
