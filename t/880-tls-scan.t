#!/usr/bin/env python3
"""The TLS configuration as a scanner sees it: sslscan (Debian's) against
pop3d and imapd, each with implicit TLS (-s, ports 995/993) and with
STLS/STARTTLS, and poppassd -s (it has no STARTTLS), all under tcpserver
on loopback with an RSA certificate (RSA is where key exchange without
forward secrecy would show). Asserted from the XML report: only TLS 1.2
and 1.3, no cipher below 128 bits, no NULL/export/RC4/DES/3DES/MD5/
anonymous cipher, ECDHE or DHE on every TLS 1.2 cipher, no insecure
renegotiation, no heartbleed, no compression; then openssl s_client:
TLS 1.1 refused by the server, 1.2 and 1.3 accepted, no compression; and
TLS_MIN_PROTOCOL, TLS_CIPHERS and TLS_CIPHERSUITES really configure it.
The scan summary is printed as TAP comments."""
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import pop3test as pt  # noqa: E402
import pstest  # noqa: E402

t = pstest.Tap()
for prog in ("tcpserver", "sslscan", "openssl"):
    if shutil.which(prog) is None:
        t.skip_all("%s is not installed" % prog)
SCAN_TIMEOUT = 300 if os.environ.get("POPSTORE_SANITIZED") else 120

tmp = pstest.Store(None, init=False, name="certs").tmp
cert = os.path.join(tmp, "rsa.pem")
key = os.path.join(tmp, "rsa.key")
subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                "-keyout", key, "-out", cert, "-days", "2",
                "-subj", "/CN=mail.example.com",
                "-addext", "subjectAltName=DNS:mail.example.com"],
               check=True, capture_output=True)
os.chmod(key, 0o600)
st = pt.store(t, "LOGIN_FAIL_DELAY=0\nTLS_CERT_FILE=%s\nTLS_KEY_FILE=%s\n"
              % (cert, key))
pop3d = pstest.program("pop3d/pop3d")
imapd = pstest.program("imapd/imapd")
poppassd = pstest.program("poppassd/poppassd")

# (label, argv, sslscan/s_client STARTTLS protocol or None)
MODES = [
    ("pop3d -s (pop3s)", [pop3d, "-s", "-C", st.conf], None),
    ("pop3d STLS", [pop3d, "-C", st.conf], "pop3"),
    ("imapd -s (imaps)", [imapd, "-s", "-C", st.conf], None),
    ("imapd STARTTLS", [imapd, "-C", st.conf], "imap"),
    ("poppassd -s", [poppassd, "-s", "-C", st.conf], None),
]
servers = {}
try:
    for label, argv, _ in MODES:
        servers[label] = pt.TcpServer(argv, env=st.env)
except Exception:
    for s in servers.values():
        s.stop()
    raise

WEAK = re.compile(r"(^|[-_])(NULL|EXP|EXPORT\d*|RC4|DES|3DES|CBC3|MD5|ADH|"
                  r"AECDH|anon|PSK|SRP|IDEA|SEED)($|[-_])", re.I)


def sslscan(port, starttls, extra=()):
    argv = ["sslscan", "--no-colour", "--xml=-", "--no-groups",
            "--timeout=15"] + list(extra)
    if starttls:
        argv.append("--starttls-" + starttls)
    argv.append("127.0.0.1:%d" % port)
    t0 = time.time()
    try:
        r = subprocess.run(argv, capture_output=True, timeout=SCAN_TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, "timed out after %ds" % SCAN_TIMEOUT
    out = r.stdout.decode(errors="replace")
    start = out.find("<?xml")
    if start < 0:
        return None, out + r.stderr.decode(errors="replace")
    try:
        doc = ET.fromstring(out[start:].encode())
    except ET.ParseError as e:
        return None, "XML: %s\n%s" % (e, out)
    doc.set("elapsed", "%.1f" % (time.time() - t0))
    return doc, out


def s_client(port, starttls, *args):
    argv = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port,
            "-servername", "mail.example.com"] + list(args)
    if starttls:
        argv += ["-starttls", starttls]
    r = subprocess.run(argv, input=b"", capture_output=True, timeout=60)
    out = (r.stdout + r.stderr).decode(errors="replace")
    m = re.search(r"Protocol\s*:\s*(TLSv[\d.]+)", out) or \
        re.search(r"New, (TLSv[\d.]+), Cipher is (\S+)", out)
    cipher = re.search(r"Cipher is (\S+)", out)
    proto = m.group(1) if m and cipher and cipher.group(1) != "(NONE)" \
        else None
    return proto, out


# ---- the full scans, run side by side ----
results = {}


# Under the sanitizers every handshake costs several times more: two modes
# get the scan there (STARTTLS and implicit TLS, two programs); the
# others, which share the same SSL_CTX code, only the s_client checks
# below. Plain runs scan every mode.
if os.environ.get("POPSTORE_SANITIZED"):
    FULL = ("pop3d STLS", "imapd -s (imaps)")
else:
    FULL = tuple(label for label, _, _ in MODES)


def scan_mode(label, starttls):
    results[label] = sslscan(servers[label].port, starttls)


threads = [threading.Thread(target=scan_mode, args=(label, starttls))
           for label, _, starttls in MODES if label in FULL]
for th in threads:
    th.start()
for th in threads:
    th.join()

summary = []
full = []
full_label = None
for label, _, starttls in MODES:
    if label not in FULL:
        t.diag("%s: scanned by the plain run of the suite only" % label)
        continue
    doc, raw = results[label]
    if not t.ok(doc is not None and doc.find("ssltest") is not None,
                "%s: sslscan produced a report" % label, raw[-3000:]):
        for _ in range(9):
            t.ok(False, "%s: (no report)" % label)
        continue
    test = doc.find("ssltest")
    protos = {"%s%s" % (p.get("type"), p.get("version")): p.get("enabled")
              for p in test.findall("protocol")}
    t.ok(all(protos.get(p) == "0" for p in ("ssl2", "ssl3", "tls1.0",
                                             "tls1.1")),
         "%s: SSLv2, SSLv3, TLS 1.0 and 1.1 disabled" % label, protos)
    t.ok(protos.get("tls1.2") == "1" and protos.get("tls1.3") == "1",
         "%s: TLS 1.2 and 1.3 enabled" % label, protos)
    reneg = test.find("renegotiation")
    t.ok(reneg is not None and (reneg.get("supported") == "0" or
                                reneg.get("secure") == "1"),
         "%s: no insecure renegotiation (supported=%s secure=%s)" %
         (label, reneg.get("supported") if reneg is not None else "?",
          reneg.get("secure") if reneg is not None else "?"))
    hb = test.findall("heartbleed")
    t.ok(hb and all(h.get("vulnerable") == "0" for h in hb),
         "%s: not vulnerable to heartbleed (%d versions probed)" %
         (label, len(hb)))
    comp = test.find("compression")
    t.ok(comp is None or comp.get("supported") == "0",
         "%s: no TLS compression in the scan" % label,
         ET.tostring(comp) if comp is not None else None)
    ciphers = [(c.get("sslversion"), c.get("cipher"), int(c.get("bits")),
                c.get("status"), c.get("strength"))
               for c in test.findall("cipher")]
    t12 = [c for c in ciphers if c[0] == "TLSv1.2"]
    t13 = [c for c in ciphers if c[0] == "TLSv1.3"]
    t.ok(t12 and t13 and all(c[0] in ("TLSv1.2", "TLSv1.3")
                             for c in ciphers),
         "%s: ciphers only in TLS 1.2 and 1.3" % label, ciphers)
    weakest = min(ciphers, key=lambda c: c[2]) if ciphers else \
        ("", "(none)", 0, "", "")
    t.ok(weakest[2] >= 128, "%s: no cipher below 128 bits (weakest %s, "
         "%d bits)" % (label, weakest[1], weakest[2]))
    t.ok(not [c for c in ciphers if WEAK.search(c[1]) or
              c[4] in ("weak", "insecure", "anonymous", "null")],
         "%s: no NULL/EXPORT/RC4/DES/3DES/MD5/anon cipher" % label,
         [c for c in ciphers if WEAK.search(c[1])])
    nofs = [c[1] for c in t12 if not re.match(r"(ECDHE|DHE)-", c[1])]
    t.ok(not nofs, "%s: forward secrecy (ECDHE/DHE) on all %d TLS 1.2 "
         "ciphers" % (label, len(t12)), nofs)
    pref12 = [c[1] for c in t12 if c[3] == "preferred"]
    pref13 = [c[1] for c in t13 if c[3] == "preferred"]
    summary.append(
        "%-17s TLSv1.2+TLSv1.3 only; %d TLS1.3 + %d TLS1.2 ciphers, all "
        "ECDHE/DHE; preferred %s / %s; weakest %s (%d bits); "
        "renegotiation %s; heartbleed no; compression %s; scan %ss" %
        (label, len(t13), len(t12), pref13[0] if pref13 else "?",
         pref12[0] if pref12 else "?", weakest[1], weakest[2],
         "off" if reneg is not None and reneg.get("supported") == "0"
         else "secure only",
         "not reported" if comp is None else "off", doc.get("elapsed")))
    if not full:
        full_label = label
        full = ["  TLS1.2 %-32s %3d bits" % (c[1], c[2]) for c in t12] + \
            ["  TLS1.3 %-32s %3d bits" % (c[1], c[2]) for c in t13]

docs = [d for d, _ in results.values() if d is not None]
t.diag("sslscan %s, RSA 2048 certificate, default TLS_* options:" %
       (docs[0].get("version") if docs else "?"))
for line in summary:
    t.diag(line)
if full:
    t.diag("accepted ciphers (%s):" % full_label)
    for line in full:
        t.diag(line)

# ---- openssl s_client: the server, not the client, refuses TLS 1.1 ----
for label, _, starttls in MODES:
    port = servers[label].port
    proto, out = s_client(port, starttls, "-tls1_1", "-cipher",
                          "DEFAULT:@SECLEVEL=0")
    t.ok(proto is None and re.search(r"alert protocol version|unsupported "
                                     r"protocol|wrong version", out),
         "%s: s_client -tls1_1 refused by the server" % label, out[-1500:])
    proto, out = s_client(port, starttls, "-tls1_2")
    t.ok(proto == "TLSv1.2" and re.search(r"Compression: NONE", out),
         "%s: s_client -tls1_2 accepted, no compression" % label,
         out[-1500:])
    proto, out = s_client(port, starttls, "-tls1_3")
    t.is_(proto, "TLSv1.3", "%s: s_client -tls1_3 accepted" % label)

# A TLS 1.2 client that offers only RSA key exchange finds no cipher.
proto, out = s_client(servers[MODES[0][0]].port, None, "-tls1_2",
                      "-cipher", "AES128-GCM-SHA256:AES256-GCM-SHA384:"
                      "AES128-SHA:AES256-SHA")
t.ok(proto is None and re.search(r"handshake failure|no shared cipher",
                                 out),
     "RSA key exchange only (no forward secrecy): refused", out[-1500:])

# The server's order wins over the client's (SSL_OP_CIPHER_SERVER_PREFERENCE).
proto, out = s_client(servers[MODES[0][0]].port, None, "-tls1_2",
                      "-cipher", "ECDHE-RSA-AES128-GCM-SHA256:"
                      "ECDHE-RSA-AES256-GCM-SHA384")
t.like(out, r"Cipher is ECDHE-RSA-AES256-GCM-SHA384", "the server's cipher "
       "order wins over the client's")

# ---- the options configure it (tcpserver starts a new server per
# connection, so the next connection reads the changed file) ----
pt.set_option(st, "TLS_MIN_PROTOCOL", "TLSv1.3")
for label, _, starttls in (MODES[0], MODES[3]):
    port = servers[label].port
    proto, out = s_client(port, starttls, "-tls1_2")
    t.ok(proto is None and re.search(r"alert protocol version|unsupported "
                                     r"protocol", out),
         "TLS_MIN_PROTOCOL=TLSv1.3, %s: TLS 1.2 refused" % label,
         out[-1500:])
    proto, out = s_client(port, starttls, "-tls1_3")
    t.is_(proto, "TLSv1.3", "TLS_MIN_PROTOCOL=TLSv1.3, %s: TLS 1.3 "
          "accepted" % label)
pt.set_option(st, "TLS_MIN_PROTOCOL", "TLSv1.2")
pt.set_option(st, "TLS_CIPHERS", "ECDHE-RSA-AES128-GCM-SHA256:"
              "AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305")
pt.set_option(st, "TLS_CIPHERSUITES", "TLS_AES_256_GCM_SHA384")
doc, raw = sslscan(servers["pop3d STLS"].port, "pop3",
                   ("--no-heartbleed", "--no-renegotiation",
                    "--no-compression", "--no-fallback"))
got = sorted((c.get("sslversion"), c.get("cipher"))
             for c in doc.iter("cipher")) if doc is not None else raw
t.is_(got, [("TLSv1.2", "DHE-RSA-CHACHA20-POLY1305"),
            ("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256"),
            ("TLSv1.3", "TLS_AES_256_GCM_SHA384")],
      "TLS_CIPHERS and TLS_CIPHERSUITES restrict the scan's ciphers (the "
      "listed kRSA cipher is dropped)")
t.diag("restricted TLS_CIPHERS/TLS_CIPHERSUITES, pop3d STLS: %s" %
       ", ".join(c for _, c in got) if isinstance(got, list) else got)
pt.set_option(st, "TLS_CIPHERS", "AES256-GCM-SHA384")
c = servers["pop3d STLS"].connect()
c.sendline("CAPA")
c.line()
capa = c.multi()
t.ok(b"STLS" not in capa, "TLS_CIPHERS with only kRSA: STLS not offered",
     capa)
c.close()
for s in servers.values():
    s.stop()
log = st.log_lines()
t.ok(any(re.search(r"tls_config .*TLS_CIPHERS AES256-GCM-SHA384: .*no "
                   r"cipher match", x) for x in log),
     "the bad TLS_CIPHERS is logged", log[-5:])
t.is_(st.log_errors([r"tls_config"]), [], "no other errors logged")
pt.check_sanitizers(t)
t.done()
