#!/usr/bin/env python3
"""imapd behind a real inetd (tcpserver) on loopback: STARTTLS with
LOGINDISABLED before it, pipelined plaintext discarded at STARTTLS,
implicit TLS (-s) for port 993 style, python imaplib and curl
(imap:// and imaps://)."""
import imaplib
import os
import shutil
import ssl
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import imapt  # noqa: E402
import pstest  # noqa: E402

if not shutil.which("tcpserver"):
    pstest.Tap().skip_all("tcpserver (ucspi-tcp) not installed")
t, st = imapt.setup()
cert, key = imapt.make_cert(st)
with open(st.conf, "a") as f:
    f.write("TLS_CERT_FILE=%s\nTLS_KEY_FILE=%s\nPLAINTEXT_LOGIN=never\n"
            % (cert, key))
if os.geteuid() == 0:
    os.chmod(key, 0o600)         # root only: read before the drop
st.user("jdoe")
st.deliver("jdoe", imapt.msg(subject="over tcp", body="Body text.\r\n"))
plain = imapt.TcpServer(st)
tls = imapt.TcpServer(st, ("-s",))

c = plain.connect(st)
t.ok(b"STARTTLS" in c.greeting and b"LOGINDISABLED" in c.greeting,
     "greeting: STARTTLS and LOGINDISABLED on plain TCP", c.greeting)
tag, _ = c.cmd("LOGIN jdoe " + imapt.PASSWORD)
t.like(tag.decode(), r"^NO \[PRIVACYREQUIRED\]", "plaintext LOGIN refused")
# Pipelined after STARTTLS: must be thrown away, not run under TLS.
c.send("s1 STARTTLS\r\ns2 LOGIN jdoe %s\r\n" % imapt.PASSWORD)
tag, _ = c.wait("s1")
t.like(tag.decode(), r"^OK", "STARTTLS")
ts = imapt.tls_wrap(c.sock)
c2 = imapt.Client(st, sock=ts, greeting=False)
tag, un = c2.cmd("CAPABILITY")
t.ok(tag.startswith(b"OK") and b"LOGINDISABLED" not in un[0] and
     b"STARTTLS" not in un[0], "after STARTTLS: no LOGINDISABLED", un)
t.ok(not any(x.startswith(b"s2 ") for x in un), "pipelined LOGIN discarded")
c2.login("jdoe")
un = c2.ok("SELECT INBOX")
un = c2.ok("FETCH 1 BODY[TEXT]")
t.ok(b"Body text." in un[0], "FETCH over TLS (sendfile path)")
c2.cmd("LOGOUT")
c2.close()
t.ok(any("starttls_injection" in x for x in st.log_lines()),
     "the discarded bytes are logged")

# Implicit TLS with imaplib.
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
m = imaplib.IMAP4_SSL("127.0.0.1", tls.port, ssl_context=ctx)
t.ok("IMAP4REV1" in m.capabilities, "imaplib: IMAP4_SSL capabilities")
typ, _ = m.login("jdoe", imapt.PASSWORD)
t.is_(typ, "OK", "imaplib: login over implicit TLS")
typ, data = m.select("INBOX")
t.is_((typ, data), ("OK", [b"1"]), "imaplib: select")
typ, data = m.fetch("1", "(RFC822)")
t.ok(typ == "OK" and b"Subject: over tcp" in data[0][1], "imaplib: fetch")
typ, data = m.uid("SEARCH", "ALL") if False else ("OK", None)
typ, data = m.append("INBOX", "(\\Seen)", None, imapt.msg(subject="by imaplib"))
t.like(data[0].decode(), r"\[APPENDUID \d+ 2\]", "imaplib: append")
typ, data = m.list()
t.ok(typ == "OK" and any(b'"INBOX"' in x for x in data), "imaplib: list")
typ, data = m.status("INBOX", "(MESSAGES)")
t.like(data[0].decode(), r"MESSAGES 2", "imaplib: status")
typ, _ = m.create("FromImaplib")
t.is_(typ, "OK", "imaplib: create")
typ, data = m.copy("1:2", "FromImaplib")
t.is_(typ, "OK", "imaplib: copy")
m.logout()

# curl over both.
if shutil.which("curl"):
    r = subprocess.run(["curl", "-sS", "-k", "--ssl-reqd", "-u",
                        "jdoe:" + imapt.PASSWORD,
                        "imap://127.0.0.1:%d/INBOX;UID=1" % plain.port],
                       capture_output=True, timeout=60)
    t.ok(r.returncode == 0 and b"Subject: over tcp" in r.stdout,
         "curl imap:// with STARTTLS fetches a message", r.stderr)
    r = subprocess.run(["curl", "-sS", "-k", "-u", "jdoe:" + imapt.PASSWORD,
                        "imaps://127.0.0.1:%d/" % tls.port],
                       capture_output=True, timeout=60)
    t.ok(r.returncode == 0 and b"INBOX" in r.stdout, "curl imaps:// lists "
         "mailboxes", r.stderr)
    r = subprocess.run(["curl", "-sS", "-k", "-u", "jdoe:" + imapt.PASSWORD,
                        "imaps://127.0.0.1:%d/INBOX" % tls.port, "-X",
                        "STATUS INBOX (MESSAGES)"],
                       capture_output=True, timeout=60)
    t.ok(r.returncode == 0 and b"MESSAGES 2" in r.stdout,
         "curl imaps:// custom command", r.stdout + r.stderr)
    r = subprocess.run(["curl", "-sS", "-k", "-u", "jdoe:wrong",
                        "imaps://127.0.0.1:%d/" % tls.port],
                       capture_output=True, timeout=60)
    t.ok(r.returncode != 0, "curl with a wrong password fails")
plain.stop()
tls.stop()
t.is_(st.log_errors(), [], "no errors logged")
t.is_(st.reconstruct_clean(), "", "reconstruct finds nothing to fix")
t.done()
