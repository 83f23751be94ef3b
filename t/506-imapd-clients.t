#!/usr/bin/env python3
"""Real clients against imapd behind tcpserver on loopback: mbsync
(isync) and offlineimap3 two-way sync round trips with no duplicates on
the next run, and neomutt driven without a terminal of its own (under
script(1)) copying a message between folders."""
import glob
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import imapt  # noqa: E402
import pstest  # noqa: E402

if not shutil.which("tcpserver"):
    pstest.Tap().skip_all("tcpserver (ucspi-tcp) not installed")
t, st = imapt.setup()
for u in ("mbs", "oimap", "mutt"):
    st.user(u)
    for i in range(3):
        st.deliver(u, imapt.msg(subject="%s %d" % (u, i)))
srv = imapt.TcpServer(st)
home = os.path.join(st.tmp, "home")
os.makedirs(home)
env = dict(os.environ, HOME=home)


def server_count(user, folder="INBOX"):
    c = st.imap()
    c.login(user)
    tag, un = c.cmd("STATUS %s (MESSAGES)" % folder)
    c.cmd("LOGOUT")
    c.close()
    m = re.search(rb"MESSAGES (\d+)", b"".join(un))
    return int(m.group(1)) if m else -1


def server_flags(user, folder="INBOX"):
    c = st.imap()
    c.login(user)
    c.ok("EXAMINE %s" % folder)
    un = c.ok("FETCH 1:* (FLAGS)")
    c.cmd("LOGOUT")
    c.close()
    return b" ".join(un)


# ---- mbsync ----
if shutil.which("mbsync"):
    md = os.path.join(st.tmp, "mbsync")
    os.makedirs(md)
    cfg = os.path.join(st.tmp, "mbsyncrc")
    with open(cfg, "w") as f:
        f.write("""IMAPAccount pop
Host 127.0.0.1
Port %d
User mbs
Pass %s
SSLType None
AuthMechs LOGIN

IMAPStore remote
Account pop

MaildirStore local
Path %s/
Inbox %s/INBOX
SubFolders Verbatim

Channel ch
Far :remote:
Near :local:
Patterns *
Create Both
Expunge Both
SyncState *
""" % (srv.port, imapt.PASSWORD, md, md))

    def mbsync():
        return subprocess.run(["mbsync", "-q", "-c", cfg, "-a"],
                              capture_output=True, env=env, timeout=120)
    r = mbsync()
    t.is_(r.returncode, 0, "mbsync: first run" + (" " + r.stderr.decode()
                                                  if r.returncode else ""))
    local = glob.glob(os.path.join(md, "INBOX", "*", "*"))
    t.is_(len(local), 3, "mbsync: three messages pulled")
    t.ok(os.path.isdir(os.path.join(md, "Sent")), "mbsync: folders created")
    # Local changes: a new message, a flag, a new folder.
    newf = os.path.join(md, "INBOX", "new", "%d.1.host" % time.time())
    with open(newf, "wb") as f:
        f.write(imapt.msg(subject="from mbsync").replace(b"\r\n", b"\n"))
    cur = sorted(glob.glob(os.path.join(md, "INBOX", "cur", "*")) +
                 glob.glob(os.path.join(md, "INBOX", "new", "*")))
    first = [p for p in cur if p != newf][0]
    flagged = first.split(":2,")[0] + ":2,FS"
    os.rename(first, os.path.join(md, "INBOX", "cur",
                                  os.path.basename(flagged)))
    os.makedirs(os.path.join(md, "Local", "cur"))
    os.makedirs(os.path.join(md, "Local", "new"))
    os.makedirs(os.path.join(md, "Local", "tmp"))
    r = mbsync()
    t.is_(r.returncode, 0, "mbsync: second run (push)")
    t.is_(server_count("mbs"), 4, "mbsync: the new message is on the server")
    t.ok(b"\\Flagged" in server_flags("mbs"), "mbsync: flag pushed")
    t.is_(server_count("mbs", "Local"), 0, "mbsync: folder created remotely")
    st.deliver("mbs", imapt.msg(subject="later"))
    r = mbsync()
    r = mbsync()
    t.is_(r.returncode, 0, "mbsync: third and fourth run")
    t.is_(server_count("mbs"), 5, "mbsync: no duplicates on the server")
    local = glob.glob(os.path.join(md, "INBOX", "*", "*"))
    t.is_(len(local), 5, "mbsync: no duplicates locally")
else:
    t.ok(True, "# SKIP mbsync not installed")

# ---- offlineimap3 ----
if shutil.which("offlineimap"):
    od = os.path.join(st.tmp, "oimap")
    os.makedirs(od)
    cfg = os.path.join(st.tmp, "offlineimaprc")
    with open(cfg, "w") as f:
        f.write("""[general]
accounts = test
metadata = %s/meta
[Account test]
localrepository = local
remoterepository = remote
[Repository local]
type = Maildir
localfolders = %s/mail
[Repository remote]
type = IMAP
remotehost = 127.0.0.1
remoteport = %d
remoteuser = oimap
remotepass = %s
ssl = no
starttls = no
""" % (od, od, srv.port, imapt.PASSWORD))

    def offlineimap():
        return subprocess.run(["offlineimap", "-c", cfg, "-o", "-u",
                               "quiet"], capture_output=True, env=env,
                              timeout=180)
    r = offlineimap()
    t.is_(r.returncode, 0, "offlineimap: first run " + r.stderr.decode()[-300:])
    local = glob.glob(os.path.join(od, "mail", "INBOX", "*", "*"))
    t.is_(len(local), 3, "offlineimap: three messages pulled")
    newf = os.path.join(od, "mail", "INBOX", "new", "%d.2.host" % time.time())
    with open(newf, "wb") as f:
        f.write(imapt.msg(subject="from offlineimap").replace(b"\r\n", b"\n"))
    r = offlineimap()
    t.is_(r.returncode, 0, "offlineimap: second run (push)")
    t.is_(server_count("oimap"), 4, "offlineimap: message uploaded")
    r = offlineimap()
    t.is_(r.returncode, 0, "offlineimap: third run")
    t.is_(server_count("oimap"), 4, "offlineimap: no duplicates on the server")
    local = glob.glob(os.path.join(od, "mail", "INBOX", "*", "*"))
    t.is_(len(local), 4, "offlineimap: no duplicates locally")
else:
    t.ok(True, "# SKIP offlineimap not installed")

# ---- neomutt ----
mutt = shutil.which("neomutt") or shutil.which("mutt")
if mutt and shutil.which("script"):
    rc = os.path.join(st.tmp, "muttrc")
    with open(rc, "w") as f:
        f.write("""set folder="imap://mutt@127.0.0.1:%d/"
set imap_pass="%s"
set spoolfile="+INBOX"
set ssl_starttls=no
set ssl_force_tls=no
set confirmappend=no
set confirmcreate=no
set mail_check=0
set header_cache=""
set message_cachedir=""
""" % (srv.port, imapt.PASSWORD))
    keys = ("push '<tag-pattern>~A<enter><tag-prefix><copy-message>"
            "=Trash<enter><sync-mailbox><quit>'")
    r = subprocess.run(["script", "-qec", "%s -n -F %s -e \"%s\"" % (
        mutt, rc, keys), "/dev/null"], capture_output=True, timeout=60,
        env=dict(env, TERM="xterm"), stdin=subprocess.DEVNULL)
    t.is_(server_count("mutt", "Trash"), 3, "neomutt: copied three messages "
          "to Trash over IMAP")
else:
    t.ok(True, "# SKIP neomutt not installed")
srv.stop()
t.is_(st.log_errors(), [], "no errors logged")
t.is_(st.reconstruct_clean(), "", "reconstruct finds nothing to fix")
t.done()
