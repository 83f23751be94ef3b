#!/usr/bin/env python3
"""STARTTLS command injection (CVE-2011-0411 style) and the other ways
around TLS, over real TCP connections (tcpserver) with python's ssl, for
every protocol. t/402 (pop3d: STLS+CAPA discarded, STLS twice, USER
before TLS) and t/505 (imapd: the reply to a pipelined LOGIN is not
seen, LOGIN before TLS) are not repeated; here:
  - a pipelined credential (USER, LOGIN) is not remembered inside TLS:
    the session is still unauthenticated, PASS alone fails;
  - a flood of pipelined plaintext (larger than any input buffer) is
    never run inside TLS (discarded, or the handshake fails);
  - STLS/STARTTLS on implicit TLS (-s) and after a login: refused;
  - PLAINTEXT_LOGIN=never: AUTH PLAIN/LOGIN and AUTHENTICATE PLAIN
    refused before TLS, accepted after;
  - poppassd and LMTP (deliver -l) have no STARTTLS: not offered,
    refused as an unknown command, and poppassd still refuses a
    plaintext password under PLAINTEXT_LOGIN=never."""
import base64
import os
import re
import shutil
import ssl
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import imapt  # noqa: E402
import pop3test as pt  # noqa: E402
import pstest  # noqa: E402

t = pstest.Tap()
if shutil.which("tcpserver") is None:
    t.skip_all("tcpserver (ucspi-tcp) is not installed")
PW = "Secret123"
certs = pstest.Store(None, init=False, name="certs").tmp
cert, key = pt.make_cert(certs)
ctx = pt.client_context(cert)
TLSCONF = ("LOGIN_FAIL_DELAY=0\nPLAINTEXT_LOGIN=never\nTLS_CERT_FILE=%s\n"
           "TLS_KEY_FILE=%s\n" % (cert, key))
st = pt.store(t, TLSCONF)
pt.add(st, "jdoe", PW)
pt.deliver(st, "jdoe", "Subject: x\n\nbody\n")
ist = imapt.ImapStore(t, TLSCONF.replace("LOGIN_FAIL_DELAY=0\n", ""))
ist.user("jdoe")
pop3d = pstest.program("pop3d/pop3d")
imapd = pstest.program("imapd/imapd")
poppassd = pstest.program("poppassd/poppassd")
PLAIN = base64.b64encode(b"\0jdoe\0" + PW.encode()).decode()


def wrap(c):
    s = ctx.wrap_socket(c.end.sock, server_hostname="mail.example.com")
    return pt.Conn(pt.SockEnd(s))


def tagged(c, tag, timeout=20):
    """Lines up to the tagged reply; (tagged line, all lines)."""
    lines = []
    while True:
        line = c.line(timeout)
        lines.append(line)
        if line.startswith(tag + " "):
            return line, lines


def flood(c, first, filler, fail_ok_name):
    """first + 40 KB of filler in one write; True when nothing of the
    filler was run inside TLS (discarded, or the handshake failed)."""
    c.send(first.encode() + filler.encode() * (40000 // len(filler)))
    try:
        reply = c.line()
    except Exception as e:
        return True, "no reply: %s" % e
    if not re.match(r"^(\+OK|\S+ OK)", reply):
        return False, reply
    try:
        c2 = wrap(c)
    except (ssl.SSLError, OSError) as e:
        return True, "handshake failed (%s): %s" % (fail_ok_name, e)
    return None, c2


servers = []
try:
    # ================= POP3 =================
    p_plain = pt.TcpServer([pop3d, "-C", st.conf], env=st.env)
    p_tls = pt.TcpServer([pop3d, "-s", "-C", st.conf], env=st.env)
    servers += [p_plain, p_tls]

    # The classic: a credential pipelined behind STLS.
    c = p_plain.connect()
    c.send(b"STLS\r\nUSER jdoe\r\n")
    t.is_(c.line(), "+OK Begin TLS negotiation", "pop3: STLS with USER "
          "pipelined")
    c = wrap(c)
    t.like(c.cmd("PASS " + PW), r"^-ERR", "pop3: inside TLS, PASS alone "
           "fails: the injected USER was not run")
    c.cmd("USER jdoe")
    t.like(c.cmd("PASS " + PW), r"^\+OK Logged in", "pop3: USER/PASS sent "
           "inside TLS work")
    c.cmd("QUIT")
    c.close()
    log = "\n".join(st.log_lines())
    t.like(log, r"event=stls_injection ip=127\.0\.0\.1 discarded=11",
           "pop3: the 11 injected bytes are logged")

    # A pipelined AUTH PLAIN (what a client with SASL-IR would inject).
    c = p_plain.connect()
    c.send(("STLS\r\nAUTH PLAIN %s\r\nSTAT\r\n" % PLAIN).encode())
    c.line()
    c = wrap(c)
    t.like(c.cmd("STAT"), r"^-ERR", "pop3: injected AUTH PLAIN + STAT not "
           "run: STAT inside TLS is refused (not logged in)")
    c.close()

    # A flood bigger than any buffer.
    c = p_plain.connect()
    ok, c2 = flood(c, "STLS\r\n", "USER jdoe\r\nPASS %s\r\nDELE 1\r\n" % PW,
                   "pop3")
    if ok is None:
        t.like(c2.cmd("STAT"), r"^-ERR", "pop3: 40 KB pipelined after "
               "STLS: nothing of it ran inside TLS")
        c2.close()
    else:
        t.ok(ok, "pop3: 40 KB pipelined after STLS: not run", c2)
        t.diag("pop3 flood: " + c2)
    t.is_([u for u, _, _ in pt.listing(st, "jdoe")], [1],
          "pop3: the injected DELE did not happen")

    # STLS where TLS is already on (implicit) or after a login.
    c = p_tls.connect(tls=ctx)
    t.like(c.cmd("STLS"), r"^-ERR TLS is already active", "pop3 -s: STLS "
           "refused")
    c.close()
    pt.set_option(st, "PLAINTEXT_LOGIN", "always")
    c = p_plain.connect()
    c.cmd("USER jdoe")
    t.like(c.cmd("PASS " + PW), r"^\+OK", "pop3 (PLAINTEXT_LOGIN=always): "
           "plaintext login")
    t.like(c.cmd("STLS"), r"^-ERR", "pop3: STLS after login refused")
    t.like(c.cmd("STAT"), r"^\+OK 1 ", "pop3: the session goes on in "
           "plaintext")
    c.cmd("QUIT")
    c.close()
    pt.set_option(st, "PLAINTEXT_LOGIN", "never")

    # PLAINTEXT_LOGIN=never: the SASL plaintext mechanisms too.
    c = p_plain.connect()
    t.like(c.cmd("AUTH PLAIN " + PLAIN), r"^-ERR", "pop3 never: AUTH PLAIN "
           "refused before TLS")
    t.like(c.cmd("AUTH LOGIN"), r"^-ERR", "pop3 never: AUTH LOGIN refused "
           "before TLS")
    t.like(c.cmd("STLS"), r"^\+OK", "pop3: STLS after refused logins")
    c = wrap(c)
    t.like(c.cmd("AUTH PLAIN " + PLAIN), r"^\+OK", "pop3: AUTH PLAIN "
           "inside TLS")
    c.cmd("QUIT")
    c.close()

    # ================= IMAP =================
    i_plain = pt.TcpServer([imapd, "-C", ist.conf], env=ist.env)
    i_tls = pt.TcpServer([imapd, "-s", "-C", ist.conf], env=ist.env)
    servers += [i_plain, i_tls]

    c = i_plain.connect()
    c.send(("a STARTTLS\r\nb LOGIN jdoe %s\r\nc CAPABILITY\r\n" %
            PW).encode())
    line, _ = tagged(c, "a")
    t.like(line, r"^a OK", "imap: STARTTLS with LOGIN pipelined")
    c = wrap(c)
    c.sendline("d SELECT INBOX")
    line, lines = tagged(c, "d")
    t.like(line, r"^d (BAD|NO)", "imap: inside TLS, SELECT refused: the "
           "injected LOGIN was not run")
    t.ok(not any(re.match(r"^[bc] ", x) for x in lines), "imap: no reply "
         "to the injected commands", lines)
    c.sendline("e LOGIN jdoe " + PW)
    t.like(tagged(c, "e")[0], r"^e OK", "imap: LOGIN inside TLS works")
    c.close()

    c = i_plain.connect()
    ok, c2 = flood(c, "a STARTTLS\r\n", "x LOGIN jdoe %s\r\ny DELETE "
                   "INBOX\r\n" % PW, "imap")
    if ok is None:
        c2.sendline("z SELECT INBOX")
        line, lines = tagged(c2, "z")
        t.ok(re.match(r"^z (BAD|NO)", line) and
             not any(re.match(r"^[xy] ", x) for x in lines),
             "imap: 40 KB pipelined after STARTTLS: nothing of it ran "
             "inside TLS", lines)
        c2.close()
    else:
        t.ok(ok, "imap: 40 KB pipelined after STARTTLS: not run", c2)
        t.diag("imap flood: " + c2)

    c = i_tls.connect(tls=ctx)
    c.sendline("a STARTTLS")
    t.like(tagged(c, "a")[0], r"^a (BAD|NO)", "imap -s: STARTTLS refused")
    c.close()
    c = i_plain.connect()
    c.sendline("a STARTTLS")
    tagged(c, "a")
    c = wrap(c)
    c.sendline("b STARTTLS")
    t.like(tagged(c, "b")[0], r"^b (BAD|NO)", "imap: STARTTLS twice "
           "refused")
    c.close()
    pt.set_option(ist, "PLAINTEXT_LOGIN", "always")
    c = i_plain.connect()
    c.sendline("a LOGIN jdoe " + PW)
    t.like(tagged(c, "a")[0], r"^a OK", "imap (always): plaintext LOGIN")
    c.sendline("b STARTTLS")
    t.like(tagged(c, "b")[0], r"^b (BAD|NO)", "imap: STARTTLS after login "
           "refused")
    c.sendline("c SELECT INBOX")
    t.like(tagged(c, "c")[0], r"^c OK", "imap: the session goes on")
    c.close()
    pt.set_option(ist, "PLAINTEXT_LOGIN", "never")

    c = i_plain.connect()
    c.sendline("a AUTHENTICATE PLAIN " + PLAIN)
    t.like(tagged(c, "a")[0], r"^a (NO|BAD)", "imap never: AUTHENTICATE "
           "PLAIN refused before TLS")
    c.sendline("b STARTTLS")
    tagged(c, "b")
    c = wrap(c)
    c.sendline("c AUTHENTICATE PLAIN " + PLAIN)
    t.like(tagged(c, "c")[0], r"^c OK", "imap: AUTHENTICATE PLAIN inside "
           "TLS")
    c.close()
    t.ok(any("starttls_injection" in x and "bytes=" in x
             for x in ist.log_lines()), "imap: injections logged")

    # ================= poppassd =================
    pp = pt.TcpServer([poppassd, "-C", st.conf], env=st.env)
    servers.append(pp)
    c = pp.connect()
    t.like(c.greeting, r"^200 ", "poppassd (no -s): greeting")
    for verb in ("STARTTLS", "STLS"):
        t.like(c.cmd(verb), r"^5\d\d ", "poppassd: %s is an unknown "
               "command" % verb)
    t.like(c.cmd("user jdoe"), r"^5\d\d .*TLS", "poppassd never: user "
           "refused in plaintext, pointing at TLS")
    c.close()
    c = pp.connect()
    c.send(("STARTTLS\r\nuser jdoe\r\npass %s\r\n" % PW).encode())
    lines = [c.line(), c.line()]
    t.ok(all(re.match(r"^5\d\d ", x) for x in lines) and
         not any(x.startswith("3") for x in lines),
         "poppassd: STARTTLS with credentials pipelined: all refused",
         lines)
    c.close()

    # ================= LMTP (deliver -l) =================
    r = subprocess.run([pstest.program("deliver"), "-C", st.conf, "-l"],
                       input=b"LHLO x\r\nSTARTTLS\r\nQUIT\r\n",
                       capture_output=True, timeout=60, env=st.env)
    out = r.stdout.decode(errors="replace")
    lhlo = re.findall(r"^250[- ](.*)\r$", out, re.M)
    t.ok(lhlo and not any("STARTTLS" in x for x in lhlo),
         "lmtp: LHLO does not offer STARTTLS", out)
    t.like(out, r"\r\n5\d\d[ -][^\r]*\r\n221", "lmtp: STARTTLS refused "
           "(5xx), QUIT still answered")
finally:
    for s in servers:
        s.stop()
t.is_(st.log_errors(), [], "no errors logged (pop3d, poppassd, deliver)")
t.is_(ist.log_errors(), [], "no errors logged (imapd)")
pt.check_sanitizers(t)
t.done()
