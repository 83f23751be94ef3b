#!/usr/bin/env python3
"""pop3d with TLS under tcpserver on loopback: STLS (RFC 2595) with
pipelined input discarded, openssl s_client -starttls pop3, implicit TLS
(-s), ALPN, PLAINTEXT_LOGIN=never until TLS, curl pop3s:// and STLS. The
key file is readable by root only: pop3d reads it before dropping to the
store user."""
import os
import re
import shutil
import ssl
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import pop3test as pt  # noqa: E402
import pstest  # noqa: E402

t = pstest.Tap()
if shutil.which("tcpserver") is None:
    t.skip_all("tcpserver (ucspi-tcp) is not installed")
PW = "Secret123"
tmp = pstest.Store(None, init=False, name="certs").tmp
cert, key = pt.make_cert(tmp)
st = pt.store(t, "LOGIN_FAIL_DELAY=0\nPLAINTEXT_LOGIN=never\n"
              "TLS_CERT_FILE=%s\nTLS_KEY_FILE=%s\n" % (cert, key))
pt.add(st, "jdoe", PW)
MSG = "Subject: tls\n\nover TLS\n.dot\n"
pt.deliver(st, "jdoe", MSG)
ctx = pt.client_context(cert)
pop3d = pstest.program("pop3d/pop3d")
plain = pt.TcpServer([pop3d, "-C", st.conf], env=st.env)
implicit = pt.TcpServer([pop3d, "-s", "-C", st.conf], env=st.env)

try:
    # ---- STLS ----
    c = plain.connect()
    c.sendline("CAPA")
    c.line()
    capa = c.multi()
    t.ok(b"STLS" in capa, "CAPA offers STLS", capa)
    t.ok(b"USER" not in capa and b"SASL SCRAM-SHA-256" in capa,
         "never: only SCRAM before TLS", capa)
    t.like(c.cmd("USER jdoe"), r"^-ERR \[AUTH\] Plaintext", "USER refused "
           "before TLS")
    # STLS and a command in one packet: the command must be discarded.
    c.send(b"STLS\r\nCAPA\r\n")
    t.is_(c.line(), "+OK Begin TLS negotiation", "STLS accepted")
    s = ctx.wrap_socket(c.end.sock, server_hostname="mail.example.com")
    c = pt.Conn(pt.SockEnd(s))
    t.is_(c.cmd("NOOP"), "-ERR Unknown command (or not before login)",
          "first answer after TLS is to the first command sent after it: "
          "the injected CAPA was discarded")
    c.sendline("CAPA")
    c.line()
    capa = c.multi()
    t.ok(b"STLS" not in capa and b"USER" in capa and
         b"SASL SCRAM-SHA-256 PLAIN LOGIN" in capa,
         "after TLS: no STLS; USER and PLAIN offered", capa)
    t.like(c.cmd("STLS"), r"^-ERR TLS is already active", "STLS twice")
    c.cmd("USER jdoe")
    t.like(c.cmd("PASS " + PW), r"^\+OK Logged in", "USER/PASS under TLS")
    c.cmd("RETR 1")
    t.is_(c.body(), MSG.replace("\n", "\r\n").encode(), "RETR under TLS")
    c.cmd("QUIT")
    c.close()
    log = "\n".join(st.log_lines())
    t.like(log, r"event=stls_injection ip=127\.0\.0\.1 discarded=6",
           "discarded bytes logged")
    t.like(log, r"event=login user=jdoe ip=127\.0\.0\.1 tls=TLSv1\.[23] "
           r"mech=USER", "login logged with the TLS version")

    # ---- openssl s_client ----
    r = subprocess.run(["openssl", "s_client", "-connect",
                        "127.0.0.1:%d" % plain.port, "-starttls", "pop3",
                        "-CAfile", cert, "-quiet", "-crlf"],
                       input=b"USER jdoe\nPASS %s\nSTAT\nQUIT\n" %
                       PW.encode(), capture_output=True, timeout=60)
    out = r.stdout.decode(errors="replace")
    t.like(out, r"\+OK Logged in", "s_client -starttls pop3: login")
    t.like(out, r"\+OK 1 \d+", "s_client: STAT")
    t.like(r.stderr.decode(errors="replace"), r"verify return:1",
           "s_client verified the certificate")

    # ---- implicit TLS ----
    c = implicit.connect(tls=ctx)
    t.like(c.greeting, r"^\+OK mail\.example\.com POP3 server ready",
           "-s: greeting over TLS")
    c.sendline("CAPA")
    c.line()
    capa = c.multi()
    t.ok(b"STLS" not in capa and b"USER" in capa, "-s: no STLS, USER", capa)
    c.cmd("USER jdoe")
    t.like(c.cmd("PASS " + PW), r"^\+OK Logged in", "-s: login")
    c.cmd("QUIT")
    c.close()
    actx = pt.client_context(cert)
    actx.set_alpn_protocols(["imap"])
    try:
        implicit.connect(tls=actx)
        t.ok(False, "ALPN imap refused")
    except (ssl.SSLError, OSError, EOFError):
        t.ok(True, "ALPN imap refused (ALPACA)")
    actx = pt.client_context(cert)
    actx.set_alpn_protocols(["pop3"])
    c = implicit.connect(tls=actx)
    t.is_(c.end.sock.selected_alpn_protocol(), "pop3", "ALPN pop3 accepted")
    c.close()

    # ---- curl ----
    if shutil.which("curl"):
        r = subprocess.run(["curl", "-s", "--cacert", cert, "-u",
                            "jdoe:" + PW, "pop3s://127.0.0.1:%d/1" %
                            implicit.port], capture_output=True, timeout=60)
        t.is_(r.stdout, MSG.replace("\n", "\r\n").encode(),
              "curl pop3s:// RETR")
        r = subprocess.run(["curl", "-s", "--ssl-reqd", "--cacert", cert,
                            "-u", "jdoe:" + PW, "pop3://127.0.0.1:%d/" %
                            plain.port], capture_output=True, timeout=60)
        t.like(r.stdout.decode(), r"^1 \d+\r\n$", "curl pop3:// with STLS: "
               "LIST")
    else:
        t.ok(True, "# SKIP curl not installed")
        t.ok(True, "# SKIP curl not installed")
finally:
    plain.stop()
    implicit.stop()

# ---- -s without TLS configured ----
st2 = pt.store(t, "LOGIN_FAIL_DELAY=0\n", name="notls")
st2.expect_errors(r"-s needs TLS_CERT_FILE")
r = st2.run("pop3d/pop3d", "-s", input=b"")
t.is_(r.returncode, 78, "-s without TLS_CERT_FILE: exit 78")
t.like("\n".join(st2.log_lines()), r"event=config reason=\"-s needs "
       r"TLS_CERT_FILE\"", "logged")
t.is_(st.log_errors(), [], "no errors logged")
pt.check_sanitizers(t)
t.done()
