#!/usr/bin/env python3
"""Certificate renewal without a restart: pop3d, imapd and poppassd under
tcpserver (a new server process per connection) read TLS_CERT_FILE and
TLS_KEY_FILE at each connection. Replaced on disk by rename (separate
files, key first; one combined PEM; a certbot-style symlinked directory
swapped atomically), the next connection presents the new certificate
(SHA-256 fingerprints compared) while a session opened before keeps
working. A broken or mismatched new certificate: no crash, a log line
naming the option, implicit TLS closes without a byte, STLS/STARTTLS is
no longer offered and, with PLAINTEXT_LOGIN=never, a plaintext login is
still refused: no fallback that would expose a password."""
import hashlib
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
gen = 0


def new_cert(kind="ec"):
    """A fresh certificate and key in new files; (cert, key, sha256)."""
    global gen
    gen += 1
    d = os.path.join(tmp, "gen%d" % gen)
    os.mkdir(d)
    if kind == "ec":
        cert, key = pt.make_cert(d)
    else:
        cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                        "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                        "-subj", "/CN=mail.example.com"],
                       check=True, capture_output=True)
        os.chmod(key, 0o600)
    der = ssl.PEM_cert_to_DER_cert(open(cert).read())
    return cert, key, hashlib.sha256(der).hexdigest()


def install(src, dst):
    """Replace dst atomically: copy beside it, then rename over it."""
    tmpname = dst + ".new"
    shutil.copyfile(src, tmpname)
    os.chmod(tmpname, os.stat(src).st_mode & 0o777)
    os.rename(tmpname, dst)


live = os.path.join(tmp, "live")
os.mkdir(live)
CERT, KEY = os.path.join(live, "cert.pem"), os.path.join(live, "key.pem")
COMBINED = os.path.join(live, "combined.pem")
a_cert, a_key, fp_a = new_cert()
install(a_key, KEY)
install(a_cert, CERT)
with open(os.path.join(tmp, "a.combined"), "w") as f:
    f.write(open(a_cert).read() + open(a_key).read())
os.chmod(os.path.join(tmp, "a.combined"), 0o600)
install(os.path.join(tmp, "a.combined"), COMBINED)

st = pt.store(t, "LOGIN_FAIL_DELAY=0\nPLAINTEXT_LOGIN=never\n"
              "TLS_CERT_FILE=%s\nTLS_KEY_FILE=%s\n" % (CERT, KEY))
pt.add(st, "jdoe", PW)
pt.deliver(st, "jdoe", "Subject: one\n\nbody one\n")
# A second configuration: key and chain in one file (TLS_KEY_FILE empty).
st_c = pt.store(t, "LOGIN_FAIL_DELAY=0\nPLAINTEXT_LOGIN=never\n"
                "TLS_CERT_FILE=%s\nTLS_KEY_FILE=\n" % COMBINED, name="comb")
pop3d = pstest.program("pop3d/pop3d")
imapd = pstest.program("imapd/imapd")
poppassd = pstest.program("poppassd/poppassd")
srv = {
    "pop3d -s": pt.TcpServer([pop3d, "-s", "-C", st.conf], env=st.env),
    "pop3d STLS": pt.TcpServer([pop3d, "-C", st.conf], env=st.env),
    "imapd -s": pt.TcpServer([imapd, "-s", "-C", st.conf], env=st.env),
    "imapd STARTTLS": pt.TcpServer([imapd, "-C", st.conf], env=st.env),
    "poppassd -s": pt.TcpServer([poppassd, "-s", "-C", st.conf],
                                env=st.env),
    "pop3d -s, combined PEM": pt.TcpServer([pop3d, "-s", "-C", st_c.conf],
                                           env=st_c.env),
}
anyctx = ssl.create_default_context()
anyctx.check_hostname = False
anyctx.verify_mode = ssl.CERT_NONE


def fingerprint(label):
    """SHA-256 of the certificate the server presents now, or the error
    when there is no TLS session."""
    s = srv[label]
    try:
        if label == "pop3d STLS":
            c = s.connect()
            if not c.cmd("STLS").startswith("+OK"):
                return "no STLS"
            sock = anyctx.wrap_socket(c.end.sock,
                                      server_hostname="mail.example.com")
        elif label == "imapd STARTTLS":
            c = s.connect()
            c.sendline("a STARTTLS")
            line = c.line()
            if not line.startswith("a OK"):
                return "no STARTTLS: " + line
            sock = anyctx.wrap_socket(c.end.sock,
                                      server_hostname="mail.example.com")
        else:
            c = s.connect(tls=anyctx, greet=False)
            sock = c.end.sock
        fp = hashlib.sha256(sock.getpeercert(binary_form=True)).hexdigest()
        sock.close()
        return fp
    except (ssl.SSLError, OSError, EOFError) as e:
        return "error: %s" % e


def all_fingerprints(want, what):
    for label in srv:
        got = fingerprint(label)
        t.is_(got, want, "%s: %s" % (label, what))


try:
    all_fingerprints(fp_a, "presents certificate A")

    # A session open across the renewal.
    old = srv["pop3d -s"].connect(tls=anyctx)
    old.cmd("USER jdoe")
    t.like(old.cmd("PASS " + PW), r"^\+OK", "session 1 (certificate A) "
           "logged in")
    old_fp = hashlib.sha256(old.end.sock.getpeercert(binary_form=True)) \
        .hexdigest()

    # Renewal B: separate files, key first, then the certificate.
    b_cert, b_key, fp_b = new_cert("rsa")
    install(b_key, KEY)
    install(b_cert, CERT)
    with open(os.path.join(tmp, "b.combined"), "w") as f:
        f.write(open(b_cert).read() + open(b_key).read())
    install(os.path.join(tmp, "b.combined"), COMBINED)
    t.ok(fp_a != fp_b, "certificate B differs from A")
    all_fingerprints(fp_b, "next connection presents certificate B, no "
                     "restart")
    t.like(old.cmd("STAT"), r"^\+OK 1 \d+", "session 1 still works after "
           "the renewal")
    old.cmd("RETR 1")
    t.like(old.body().decode(), r"body one", "session 1: RETR")
    t.is_(old_fp, fp_a, "session 1 keeps certificate A")
    t.like(old.cmd("QUIT"), r"^\+OK", "session 1: QUIT")
    old.close()

    # Certbot style: TLS_* name files in a symlinked directory, swapped
    # with one rename, so certificate and key change together.
    c_cert, c_key, fp_c = new_cert()
    cdir = os.path.dirname(c_cert)
    link = os.path.join(tmp, "current")
    os.symlink(os.path.dirname(b_cert), link)
    pt.set_option(st, "TLS_CERT_FILE", os.path.join(link, "cert.pem"))
    pt.set_option(st, "TLS_KEY_FILE", os.path.join(link, "key.pem"))
    t.is_(fingerprint("pop3d -s"), fp_b, "through the symlink: B")
    os.symlink(cdir, link + ".new")
    os.rename(link + ".new", link)
    for label in ("pop3d -s", "imapd STARTTLS", "poppassd -s"):
        t.is_(fingerprint(label), fp_c, "%s: directory swapped by rename: "
              "certificate C" % label)

    # A broken certificate: no crash, a clear log line, no plaintext.
    pt.set_option(st, "TLS_CERT_FILE", CERT)
    pt.set_option(st, "TLS_KEY_FILE", KEY)
    with open(os.path.join(tmp, "broken.pem"), "w") as f:
        f.write("-----BEGIN CERTIFICATE-----\nnot base64 at all\n"
                "-----END CERTIFICATE-----\n")
    install(os.path.join(tmp, "broken.pem"), CERT)
    nlog = len(st.log_lines())
    for label in ("pop3d -s", "imapd -s", "poppassd -s"):
        s = srv[label]
        sock = s.connect(greet=False).end.sock
        sock.settimeout(20)
        try:
            data = sock.recv(100)
        except OSError as e:
            data = str(e).encode()
        sock.close()
        t.is_(data, b"", "%s, broken certificate: closed without a byte "
              "(no plaintext greeting)" % label)
    c = srv["pop3d STLS"].connect()
    c.sendline("CAPA")
    c.line()
    capa = c.multi()
    t.ok(b"STLS" not in capa and b"USER" not in capa,
         "pop3d, broken certificate: neither STLS nor USER offered", capa)
    t.like(c.cmd("STLS"), r"^-ERR STLS is not available", "pop3d: STLS "
           "refused")
    t.like(c.cmd("USER jdoe"), r"^-ERR \[AUTH\] Plaintext", "pop3d: USER "
           "still refused in plaintext")
    c.cmd("QUIT")
    c.close()
    c = srv["imapd STARTTLS"].connect()
    t.ok(b"STARTTLS" not in c.greeting.encode() and
         b"LOGINDISABLED" in c.greeting.encode(),
         "imapd, broken certificate: no STARTTLS, LOGINDISABLED", c.greeting)
    c.sendline("a STARTTLS")
    t.like(c.line(), r"^a (BAD|NO)", "imapd: STARTTLS refused")
    c.sendline("b LOGIN jdoe " + PW)
    t.like(c.line(), r"^b NO \[PRIVACYREQUIRED\]", "imapd: LOGIN still "
           "refused in plaintext")
    c.close()
    new = st.log_lines()[nlog:]
    for prog in ("pop3d", "imapd", "poppassd"):
        t.ok(any(re.search(r"%s\[\d+\]: \w+: event=\w+ .*TLS_CERT_FILE %s" %
                           (prog, re.escape(CERT)), x) for x in new),
             "%s logs why: TLS_CERT_FILE and the file" % prog,
             [x for x in new if prog in x][:4])

    # The key of another certificate.
    install(b_cert, CERT)
    install(a_key, KEY)
    nlog = len(st.log_lines())
    t.like(fingerprint("pop3d -s"), r"^error", "certificate B with key A: "
           "implicit TLS refused")
    t.is_(fingerprint("pop3d STLS"), "no STLS", "... and STLS not "
          "available")
    new = st.log_lines()[nlog:]
    want = r"TLS_KEY_FILE %s: not the key of TLS_CERT_FILE %s" % (
        re.escape(KEY), re.escape(CERT))
    t.ok(any(re.search(want, x) for x in new), "mismatched key logged as "
         "such, naming both files", new[:4])

    # Fixed again: back in service, no restart.
    install(b_key, KEY)
    all_fingerprints(fp_b, "repaired files: certificate B again")
finally:
    for s in srv.values():
        s.stop()
bad = [x for x in st.log_errors([r"TLS_CERT_FILE", r"TLS_KEY_FILE"])]
t.is_(bad, [], "no other errors logged")
t.ok(not any("signal" in x or "crash" in x for x in st.log_lines()),
     "no server crashed")
pt.check_sanitizers(t)
t.done()
