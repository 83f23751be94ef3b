#!/usr/bin/env python3
"""imapd through pipes: greeting, CAPABILITY, LOGIN and AUTHENTICATE,
SELECT/EXAMINE, every FETCH item, STORE, EXPUNGE, COPY/MOVE with
COPYUID, APPEND with APPENDUID, LIST/LSUB/STATUS/NAMESPACE,
CREATE/DELETE/RENAME, SUBSCRIBE, ID, ENABLE, UNSELECT, CLOSE, literals."""
import base64
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import imapt  # noqa: E402

t, st = imapt.setup()
st.user("jdoe")
st.user("other")
m1 = imapt.msg(subject="first", body="Line one.\r\nLine two.\r\n")
mime = (b"From: Bob <bob@example.org>\r\nTo: jdoe@example.com\r\n"
        b"Subject: =?UTF-8?B?w6RwZmVs?=\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n"
        b"preamble\r\n--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        b"part one\r\n--XX\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nAAECAwQ=\r\n--XX--\r\n")
st.deliver("jdoe", m1)
st.deliver("jdoe", mime)
st.deliver("jdoe", imapt.msg(subject="third"))

c = st.imap()
t.like(c.greeting.decode(), r"^\* OK \[CAPABILITY IMAP4rev1 .*AUTH=PLAIN",
       "greeting carries CAPABILITY")
tag, un = c.cmd("CAPABILITY")
t.ok(tag.startswith(b"OK") and b"SASL-IR" in un[0] and
     b"LOGINDISABLED" not in un[0], "CAPABILITY before login (pipe is local)")
tag, _ = c.cmd("SELECT INBOX")
t.like(tag.decode(), r"^NO", "SELECT before login refused")
tag, _ = c.cmd('LOGIN jdoe "wrong"')
t.like(tag.decode(), r"^NO \[AUTHENTICATIONFAILED\]", "bad password")
tag = c.login("jdoe")
t.like(tag.decode(), r"^OK \[CAPABILITY .*QUOTA.*ACL", "LOGIN OK has CAPABILITY")
tag, _ = c.cmd("LOGIN jdoe x")
t.like(tag.decode(), r"^BAD", "LOGIN twice is BAD")

tag, un = c.cmd("SELECT INBOX")
t.like(tag.decode(), r"^OK \[READ-WRITE\]", "SELECT INBOX")
joined = b"\n".join(un).decode()
for pat in (r"\* 3 EXISTS", r"\* 3 RECENT", r"\[UIDVALIDITY \d+\]",
            r"\[UIDNEXT 4\]", r"\[PERMANENTFLAGS \(.*\\\*\)\]",
            r"\* FLAGS \(", r"\[HIGHESTMODSEQ \d+\]", r"\[UNSEEN 1\]"):
    t.like(joined, pat, "SELECT response " + pat)

un = c.ok("FETCH 1:* (FLAGS UID RFC822.SIZE INTERNALDATE)")
fm = imapt.fetch_map(un)
t.is_(sorted(fm), [1, 2, 3], "FETCH 1:* answers 3 messages")
t.like(fm[1].decode(), r"FLAGS \(\\Recent\) UID 1 RFC822.SIZE \d+ "
       r'INTERNALDATE "\d\d-\w\w\w-\d{4} \d\d:\d\d:\d\d [+-]\d{4}"',
       "FLAGS UID RFC822.SIZE INTERNALDATE")
un = c.ok("FETCH 2 (ENVELOPE BODYSTRUCTURE BODY)")
t.like(un[0].decode(), r'ENVELOPE \(NIL "=\?UTF-8\?B\?w6RwZmVs\?=" '
       r'\(\("Bob" NIL "bob" "example.org"\)\)', "ENVELOPE")
t.like(un[0].decode(), r'BODYSTRUCTURE \(\("text" "plain" \("charset" '
       r'"utf-8"\).*"mixed" \("boundary" "XX"\)', "BODYSTRUCTURE")
t.like(un[0].decode(), r'BODY \(\("text" "plain"', "BODY")
un = c.ok("FETCH 2 (BODY.PEEK[1] BODY.PEEK[2] BODY.PEEK[2.MIME] "
          "BINARY.PEEK[2] BINARY.SIZE[2] BODY.PEEK[HEADER.FIELDS (Subject)])")
s = un[0]
t.ok(b"BODY[1] {8}\r\npart one " in s, "BODY[1]", s)
t.ok(b"BODY[2] {8}\r\nAAECAwQ= " in s, "BODY[2]", s)
t.ok(b"BODY[2.MIME] {" in s and b"Content-Transfer-Encoding: base64" in s,
     "BODY[2.MIME]", s)
t.ok(b"BINARY[2] ~{5}\r\n\x00\x01\x02\x03\x04" in s, "BINARY[2] decoded",
     s)
t.ok(b"BINARY.SIZE[2] 5" in s, "BINARY.SIZE[2]", s)
t.ok(b"BODY[HEADER.FIELDS (Subject)] {" in s and
     b"Subject: =?UTF-8?B?w6RwZmVs?=\r\n\r\n" in s, "HEADER.FIELDS", s)
un = c.ok("FETCH 1 (BODY.PEEK[TEXT]<5.3> RFC822.HEADER)")
t.ok(b"BODY[TEXT]<5> {3}\r\none" in un[0], "partial fetch", un[0])
t.ok(b"RFC822.HEADER {" in un[0], "RFC822.HEADER")
un = c.ok("FETCH 1 BODY.PEEK[HEADER.FIELDS.NOT (Received Return-Path "
          "Delivered-To Date Message-ID)]")
t.ok(un[0].endswith(b"From: Alice <alice@example.org>\r\nTo: "
                    b"jdoe@example.com\r\nSubject: first\r\n\r\n)"),
     "HEADER.FIELDS.NOT", un[0])
un = c.ok("FETCH 1 (FLAGS)")
t.ok(b"\\Seen" not in un[0], "PEEK did not set \\Seen")
un = c.ok("FETCH 1 BODY[]")
t.ok(b"Line one.\r\nLine two.\r\n" in un[0] and b"FLAGS (\\Seen \\Recent)"
     in un[0], "BODY[] sets \\Seen and reports FLAGS", un[0])
un = c.ok("FETCH 3 RFC822")
t.ok(b"RFC822 {" in un[0], "RFC822")
un = c.ok("FETCH 1 FAST")
t.like(un[0].decode(), r"FLAGS .* INTERNALDATE .* RFC822.SIZE", "FAST macro")
un = c.ok("UID FETCH 2:* FLAGS")
t.is_(len(un), 2, "UID FETCH 2:* gives two")
t.like(un[0].decode(), r"UID 2", "UID FETCH includes UID")
tag, _ = c.cmd("FETCH 9 FLAGS")
t.like(tag.decode(), r"^BAD", "FETCH past the end is BAD")
un = c.ok("UID FETCH 9:10 FLAGS")
t.is_(un, [], "UID FETCH of nothing is OK and empty")
tag, _ = c.cmd("FETCH 1 (FLAGS")
t.like(tag.decode(), r"^BAD", "unbalanced parenthesis is BAD")

un = c.ok("STORE 1 +FLAGS (\\Flagged $Label1)")
t.like(un[0].decode(), r"FLAGS \(\\Seen \\Flagged \\Recent \$Label1\)",
       "STORE +FLAGS with keyword")
un = c.ok("STORE 1 -FLAGS.SILENT (\\Flagged)")
t.is_(un, [], "STORE .SILENT is silent")
un = c.ok("UID STORE 3 FLAGS (\\Deleted)")
t.like(un[0].decode(), r"\* 3 FETCH \(UID 3 FLAGS \(\\Deleted \\Recent\)\)",
       "UID STORE replaces flags")
tag, _ = c.cmd("STORE 1 +FLAGS (\\Recent)")
t.like(tag.decode(), r"^BAD", "\\Recent cannot be stored")

tag, _ = c.cmd("COPY 1:2 Trash")
t.like(tag.decode(), r"^OK \[COPYUID \d+ 1:2 1:2\]", "COPY with COPYUID")
tag, _ = c.cmd("COPY 1 Nosuch")
t.like(tag.decode(), r"^NO \[TRYCREATE\]", "COPY to a missing mailbox")
tag, un = c.cmd("EXPUNGE")
t.ok(tag.startswith(b"OK") and un == [b"* 3 EXPUNGE"], "EXPUNGE", un)
tag, un = c.cmd("MOVE 2 Drafts")
t.ok(tag.startswith(b"OK") and re.match(rb"\* OK \[COPYUID \d+ 2 1\]", un[0])
     and un[1] == b"* 2 EXPUNGE", "MOVE: COPYUID then EXPUNGE", un)

tag, un = c.cmd("STATUS Trash (MESSAGES UIDNEXT UNSEEN RECENT SIZE "
                "HIGHESTMODSEQ UIDVALIDITY)")
t.like(un[0].decode(), r'\* STATUS "Trash" \(MESSAGES 2 UIDNEXT 3 UNSEEN 1 '
       r'RECENT 2 SIZE \d+ HIGHESTMODSEQ \d+ UIDVALIDITY \d+\)', "STATUS")
tag, _ = c.cmd("STATUS Trash (BOGUS)")
t.like(tag.decode(), r"^BAD", "STATUS with an unknown item")

# APPEND: synchronizing and non-synchronizing literals, flags, date.
data = imapt.msg(subject="appended")
c.send('a1 APPEND Drafts (\\Draft $X) "01-Jan-2020 10:00:00 +0100" {%d}\r\n'
       % len(data))
t.like(c.line().decode(), r"^\+ ", "APPEND: continuation")
c.send(data + b"\r\n")
tag, _ = c.wait("a1")
t.like(tag.decode(), r"^OK \[APPENDUID \d+ 2\]", "APPEND with APPENDUID")
c.send(b"a2 APPEND Drafts {%d+}\r\n" % len(data) + data + b"\r\n")
tag, _ = c.wait("a2")
t.like(tag.decode(), r"^OK \[APPENDUID \d+ 3\]", "APPEND with LITERAL+")
c.send(b"a3 APPEND Nosuch {%d+}\r\n" % len(data) + data + b"\r\n")
tag, _ = c.wait("a3")
t.like(tag.decode(), r"^NO \[TRYCREATE\]", "APPEND to a missing mailbox, "
       "literal+ discarded")
c.send(b"a4 APPEND Nosuch {10}\r\n")
tag, _ = c.wait("a4")
t.like(tag.decode(), r"^NO \[TRYCREATE\]", "APPEND refused before '+'")
tag, un = c.cmd("EXAMINE Drafts")
t.like(tag.decode(), r"^OK \[READ-ONLY\]", "EXAMINE is read-only")
un = c.ok("FETCH 2:3 (FLAGS INTERNALDATE)")
t.like(un[0].decode(), r'FLAGS \(\\Draft \$X\) INTERNALDATE '
       r'"01-Jan-2020 10:00:00 \+0100"', "APPEND flags, keyword and date")
tag, _ = c.cmd("STORE 1 +FLAGS (\\Seen)")
t.like(tag.decode(), r"^NO \[READ-ONLY\]", "STORE in EXAMINE refused")

# Mailboxes.
t.like(c.cmd("CREATE Work/Projects/2026")[0].decode(), r"^OK", "CREATE deep")
t.like(c.cmd("CREATE Work")[0].decode(), r"^NO \[ALREADYEXISTS\]",
       "CREATE created the superior level")
t.like(c.cmd("CREATE Archive2 (USE (\\Archive))")[0].decode(), r"^OK",
       "CREATE-SPECIAL-USE")
t.like(c.cmd("CREATE INBOX")[0].decode(), r"^NO", "CREATE INBOX")
tag, un = c.cmd('LIST "" "*"')
names = [re.sub(rb'^\* LIST \(.*?\) "/" ', b"", x).decode() for x in un]
t.ok('"Work/Projects/2026"' in names and '"INBOX"' in names,
     "LIST * names", names)
t.ok(any(rb"\HasChildren" in x and x.endswith(b'"Work"') for x in un),
     "LIST \\HasChildren", un)
t.ok(any(rb"\Archive" in x for x in un), "special-use in LIST", un)
tag, un = c.cmd('LIST "" "%"')
t.ok(not any(b"Projects" in x for x in un), "LIST % stays at the top")
tag, un = c.cmd('LIST "Work/" "%"')
t.ok(len(un) == 1 and un[0].endswith(b'"Work/Projects"'), "LIST with reference",
     un)
tag, un = c.cmd('LIST "" ""')
t.is_(un, [b'* LIST (\\Noselect) "/" ""'], "LIST \"\" \"\"")
tag, un = c.cmd('LIST (SPECIAL-USE) "" "*" RETURN (STATUS (MESSAGES))')
t.ok(tag.startswith(b"OK") and all(b"\\" in x for x in un if x.startswith(
     b"* LIST")) and any(x.startswith(b"* STATUS") for x in un),
     "LIST-EXTENDED with SPECIAL-USE and LIST-STATUS", un)
t.like(c.cmd("RENAME Work Job")[0].decode(), r"^OK", "RENAME")
tag, un = c.cmd('LIST "" "Job*"')
t.is_(len(un), 3, "RENAME moved the subfolders")
t.like(c.cmd("RENAME Job INBOX")[0].decode(), r"^NO", "RENAME onto INBOX")
t.like(c.cmd("DELETE Job/Projects/2026")[0].decode(), r"^OK", "DELETE")
t.like(c.cmd("DELETE Job/Projects/2026")[0].decode(), r"^NO \[NONEXISTENT\]",
       "DELETE twice")
t.like(c.cmd("DELETE INBOX")[0].decode(), r"^NO", "DELETE INBOX")
t.like(c.cmd("SUBSCRIBE Job")[0].decode(), r"^OK", "SUBSCRIBE")
t.like(c.cmd("SUBSCRIBE Nowhere")[0].decode(), r"^OK",
       "SUBSCRIBE a name that does not exist")
tag, un = c.cmd('LSUB "" "*"')
t.is_(sorted(un), [b'* LSUB () "/" "Job"', b'* LSUB () "/" "Nowhere"'],
      "LSUB")
tag, un = c.cmd('LIST (SUBSCRIBED) "" "*"')
t.ok(any(b"\\NonExistent" in x and b"Nowhere" in x for x in un),
     "LIST (SUBSCRIBED) marks names that do not exist", un)
t.like(c.cmd("UNSUBSCRIBE Nowhere")[0].decode(), r"^OK", "UNSUBSCRIBE")
tag, un = c.cmd("NAMESPACE")
t.is_(un, [b'* NAMESPACE (("" "/")) (("Other Users/" "/")) '
           b'(("Public Folders/" "/"))'], "NAMESPACE")
tag, un = c.cmd('ID ("name" "test")')
t.like(un[0].decode(), r'^\* ID \("name"', "ID")
tag, un = c.cmd("ENABLE CONDSTORE")
t.is_(un, [b"* ENABLED CONDSTORE"], "ENABLE")

# Literals in ordinary arguments, UNSELECT and CLOSE.
c.send(b"l1 SELECT {5}\r\n")
t.like(c.line().decode(), r"^\+ ", "literal continuation")
c.send(b"INBOX\r\n")
tag, un = c.wait("l1")
t.like(tag.decode(), r"^OK", "SELECT with a literal name")
t.like(c.cmd("UNSELECT")[0].decode(), r"^OK", "UNSELECT")
c.ok("SELECT INBOX")
c.ok("STORE 1 +FLAGS (\\Deleted)")
tag, un = c.cmd("CLOSE")
t.ok(tag.startswith(b"OK") and un == [], "CLOSE expunges silently", un)
tag, un = c.cmd("STATUS INBOX (MESSAGES)")
t.like(un[0].decode(), r"MESSAGES 0", "CLOSE expunged")
tag, _ = c.cmd("FETCH 1 FLAGS")
t.like(tag.decode(), r"^BAD", "FETCH after CLOSE")
tag, un = c.cmd("LOGOUT")
t.ok(tag.startswith(b"OK") and un[0].startswith(b"* BYE"), "LOGOUT")
t.is_(c.close(), 0, "imapd exits 0")

# AUTHENTICATE PLAIN with SASL-IR and without; cancel.
c = st.imap()
ir = base64.b64encode(b"\0jdoe\0" + imapt.PASSWORD.encode()).decode()
tag, _ = c.cmd("AUTHENTICATE PLAIN " + ir)
t.like(tag.decode(), r"^OK \[CAPABILITY", "AUTHENTICATE PLAIN with SASL-IR")
c.close()
c = st.imap()
c.send("x AUTHENTICATE PLAIN\r\n")
t.is_(c.line(), b"+ ", "AUTHENTICATE: empty challenge")
c.send("*\r\n")
tag, _ = c.wait("x")
t.like(tag.decode(), r"^BAD", "AUTHENTICATE cancelled")
c.send("y AUTHENTICATE PLAIN\r\n")
c.line()
c.send(ir + "\r\n")
tag, _ = c.wait("y")
t.like(tag.decode(), r"^OK", "AUTHENTICATE PLAIN after a challenge")
c.close()

# PLAINTEXT_LOGIN=never over a pipe: LOGINDISABLED.
never = os.path.join(st.tmp, "never.conf")
with open(st.conf) as f, open(never, "w") as g:
    g.write(f.read() + "PLAINTEXT_LOGIN=never\n")
c = st.imap("-C", never)
t.ok(b"LOGINDISABLED" in c.greeting and b"AUTH=PLAIN" not in c.greeting,
     "LOGINDISABLED when plaintext is refused", c.greeting)
tag, _ = c.cmd("LOGIN jdoe " + imapt.PASSWORD)
t.like(tag.decode(), r"^NO \[PRIVACYREQUIRED\]", "LOGIN refused")
c.close()

# Too many failures end the session; each failure is logged once.
c = st.imap()
for i in range(3):
    tag, un = c.cmd("LOGIN jdoe bad%d" % i)
un = c.pending()
t.ok(any(x.startswith(b"* BYE") for x in un), "BYE after LOGIN_MAX_FAILURES",
     un)
c.close()
fails = [x for x in st.log_lines() if "event=auth_failed" in x]
t.ok(len(fails) >= 4, "one log line per failed login (%d)" % len(fails))
t.ok(not any("bad0" in x or "wrong" in x for x in st.log_lines()),
     "no password in the log")
t.is_(st.log_errors(), [], "no errors logged")
t.is_(st.reconstruct_clean(), "", "reconstruct finds nothing to fix")
t.done()
