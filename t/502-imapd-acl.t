#!/usr/bin/env python3
"""imapd ACL (RFC 4314): each right letter on another user's folder,
SETACL/DELETEACL/GETACL/LISTRIGHTS/MYRIGHTS, "Other Users/..." and
"Public Folders/..." namespaces, per-user \\Seen in shared folders."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import imapt  # noqa: E402

t, st = imapt.setup()
st.user("jdoe")
st.user("bob")
st.user("boss", imapt.PASSWORD, "-flags=manage")
own = st.imap()
own.login("jdoe")
own.ok("CREATE Shared")
data = imapt.msg(subject="shared one")
for i in range(3):
    own.send(b"a APPEND Shared {%d+}\r\n" % len(data) + data + b"\r\n")
    own.wait("a")
bob = st.imap()
bob.login("bob")
S = '"Other Users/jdoe/Shared"'


def setacl(rights):
    tag, _ = own.cmd("SETACL Shared bob %s" % (rights or '""'))
    return tag.startswith(b"OK")


def bob_cmd(text):
    return bob.cmd(text)[0].decode()


# No rights: invisible.
tag, un = bob.cmd('LIST "" "Other Users/*"')
t.ok(not any(b"Shared" in x for x in un), "without l the folder is not listed")
t.like(bob_cmd("SELECT " + S), r"^NO \[NONEXISTENT\]",
       "without rights SELECT says nonexistent")
t.ok(setacl("l"), "SETACL l")
tag, un = bob.cmd('LIST "" "Other Users/*"')
t.ok(any(x.endswith(b'"Other Users/jdoe/Shared"') for x in un),
     "l: listed", un)
t.like(bob_cmd("SELECT " + S), r"^NO \[NOPERM\]", "l without r: NOPERM")
t.ok(setacl("lr"), "SETACL lr")
t.like(bob_cmd("SELECT " + S), r"^OK \[READ-ONLY\]", "r: read-only SELECT")
un = bob.ok("FETCH 1 (FLAGS BODY[])")
t.ok(b"\\Seen" not in un[0], "r without s: \\Seen not kept", un[0])
bob.ok("UNSELECT")
t.ok(setacl("+s"), "SETACL +s")
t.like(bob_cmd("SELECT " + S), r"^OK \[READ-WRITE\]", "s: read-write")
un = bob.ok("FETCH 1 (FLAGS BODY[])")
t.ok(re.search(rb"FLAGS \(\\Seen", un[0]), "s: \\Seen set for bob", un[0])
un = bob.ok("STORE 1 +FLAGS (\\Flagged)")
t.ok(b"\\Flagged" not in un[0], "without w: \\Flagged ignored", un)
own.ok("SELECT Shared")
un = own.ok("FETCH 1 FLAGS")
t.ok(b"\\Seen" not in un[0], "per-user \\Seen: the owner's flags untouched",
     un)
own.ok("UNSELECT")
tag, un = bob.cmd("STATUS %s (UNSEEN MESSAGES)" % S)
t.like(un[0].decode(), r"UNSEEN 2 MESSAGES 3", "STATUS UNSEEN is per user")
t.ok(setacl("+w"), "SETACL +w")
bob.ok("NOOP")
un = bob.ok("STORE 1 +FLAGS (\\Flagged $Bob)")
t.ok(b"\\Flagged" in un[0] and b"$Bob" in un[0], "w: flags and keywords",
     un)
un = bob.ok("STORE 2 +FLAGS (\\Deleted)")
t.ok(b"\\Deleted" not in un[0], "without t: \\Deleted ignored", un)
t.ok(setacl("+t"), "SETACL +t")
bob.ok("NOOP")
un = bob.ok("STORE 2 +FLAGS (\\Deleted)")
t.ok(b"\\Deleted" in un[0], "t: \\Deleted set", un)
t.like(bob_cmd("EXPUNGE"), r"^NO \[NOPERM\]", "without e: EXPUNGE refused")
t.ok(setacl("+e"), "SETACL +e")
bob.ok("NOOP")
tag, un = bob.cmd("EXPUNGE")
t.ok(tag.startswith(b"OK") and b"* 2 EXPUNGE" in un, "e: EXPUNGE", un)
bob.ok("CREATE Mine")
t.like(bob_cmd("COPY 1 Mine"), r"^OK \[COPYUID", "COPY out of a shared "
       "folder into one's own")
c = bob.cmd("APPEND %s {%d+}\r\n" % (S, len(data)) + data.decode())[0]
t.like(c.decode(), r"^NO \[NOPERM\]", "without i: APPEND refused")
t.ok(setacl("+i"), "SETACL +i")
c = bob.cmd("APPEND %s {%d+}\r\n" % (S, len(data)) + data.decode())[0]
t.like(c.decode(), r"^OK \[APPENDUID", "i: APPEND")
t.like(bob_cmd("COPY 1 " + S), r"^OK \[COPYUID", "i: COPY into it")
t.like(bob_cmd('CREATE "Other Users/jdoe/Shared/Sub"'), r"^NO \[NOPERM\]",
       "without k: CREATE refused")
t.ok(setacl("+k"), "SETACL +k")
t.like(bob_cmd('CREATE "Other Users/jdoe/Shared/Sub"'), r"^OK",
       "k: CREATE below it")
t.like(bob_cmd('DELETE "Other Users/jdoe/Shared/Sub"'), r"^NO \[NOPERM\]",
       "without x: DELETE refused")
t.ok(setacl("+x"), "SETACL +x")
own.ok('SETACL Shared/Sub bob lrx')
t.like(bob_cmd('DELETE "Other Users/jdoe/Shared/Sub"'), r"^OK",
       "x: DELETE")
t.like(bob_cmd("GETACL " + S), r"^NO \[NOPERM\]", "without a: GETACL")
t.like(bob_cmd("SETACL %s bob lrswipkxtea" % S), r"^NO \[NOPERM\]",
       "without a: SETACL")
tag, un = bob.cmd("MYRIGHTS " + S)
t.is_(un, [b'* MYRIGHTS "Other Users/jdoe/Shared" "lrswikxte"'],
      "MYRIGHTS")
t.ok(setacl("+a"), "SETACL +a")
tag, un = bob.cmd("GETACL " + S)
t.like(un[0].decode(), r'^\* ACL "Other Users/jdoe/Shared" "jdoe" '
       r'"lrswipkxtea" "bob" "lrswikxtea"', "a: GETACL")
tag, un = bob.cmd("LISTRIGHTS %s bob" % S)
t.like(un[0].decode(), r'LISTRIGHTS .* "bob" "" l r s w i p k x t e a',
       "LISTRIGHTS")
t.like(bob_cmd("SETACL %s anyone +l" % S), r"^OK", "a: SETACL anyone")
t.like(bob_cmd("DELETEACL %s anyone" % S), r"^OK", "a: DELETEACL")
t.like(bob_cmd("SETACL %s bob lrz" % S), r"^BAD", "unknown right letter")
own.ok("SETACL Shared bob -a")
t.like(bob_cmd("SETACL %s bob +a" % S), r"^NO \[NOPERM\]", "-a removed")
own.ok("SETACL Shared -bob r")
tag, un = bob.cmd("MYRIGHTS " + S)
t.ok(b'"lswikxte"' in un[0], "negative right removes r", un)
own.ok("DELETEACL Shared -bob")
tag, un = own.cmd("MYRIGHTS Shared")
t.like(un[0].decode(), r'"lrswipkxtea"', "the owner has every right")

# Public folders: created by a manager, governed by ACL.
boss = st.imap()
boss.login("boss")
t.like(bob_cmd('CREATE "Public Folders/News"'), r"^NO \[NOPERM\]",
       "only a manager creates a top-level public folder")
t.like(boss.cmd('CREATE "Public Folders/News"')[0].decode(), r"^OK",
       "manager creates a public folder")
boss.ok('SETACL "Public Folders/News" anyone lrsi')
c = boss.cmd('APPEND "Public Folders/News" {%d+}\r\n' % len(data) +
             data.decode())[0]
t.like(c.decode(), r"^OK \[APPENDUID", "APPEND to a public folder")
c = bob.cmd('APPEND "Public Folders/News" (\\Seen) {%d+}\r\n' % len(data) +
            data.decode())[0]
t.like(c.decode(), r"^OK \[APPENDUID", "APPEND \\Seen to a public folder")
tag, un = bob.cmd('LIST "" "Public Folders/*"')
t.ok(any(x.endswith(b'"Public Folders/News"') for x in un),
     "anyone l: listed", un)
t.like(bob_cmd('SELECT "Public Folders/News"'), r"^OK", "anyone r: SELECT")
un = bob.ok("FETCH 1:2 (FLAGS BODY[TEXT])")
t.ok(b"\\Seen" in un[0] and b"\\Seen" in un[1], "public: \\Seen for bob "
     "(fetched, and appended with \\Seen)", un)
tag, un = boss.cmd('STATUS "Public Folders/News" (UNSEEN)')
t.like(un[0].decode(), r"UNSEEN 2", "public: still unseen for boss")
t.like(bob_cmd('DELETE "Public Folders/News"'), r"^NO \[NOPERM\]",
       "anyone without x cannot delete")
tag, un = bob.cmd('GETQUOTAROOT "Public Folders/News"')
t.like(b"\n".join(un).decode(), r'QUOTAROOT "Public Folders/News" '
       r'"Public Folders"', "quota root of a public folder")
r = st.popmgr("show", "post")
t.like(r.stdout, r"(?i)disuser", "public account 'post' cannot log in")
c = st.imap()
t.like(c.cmd("LOGIN post x")[0].decode(), r"^NO", "LOGIN as post refused")
c.close()
for x in (own, bob, boss):
    x.cmd("LOGOUT")
    x.close()
t.is_(st.log_errors(), [], "no errors logged")
t.is_(st.reconstruct_clean(), "", "reconstruct finds nothing to fix")
t.done()
