#!/usr/bin/env python3
"""imapd against hostile input: mailbox-name attacks ("..", "/", "%2e",
control characters, 8-bit names, modified UTF-7 errors), over-long lines
and literals ([TOOBIG]), NUL bytes, unbalanced and deeply nested
parentheses, very long sequence sets, deep MIME nesting, bad-command
counting."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import imapt  # noqa: E402

t, st = imapt.setup("IMAP_MAX_LINE=8K\nMAX_MESSAGE_SIZE=100K\n")
st.user("jdoe")
st.deliver("jdoe", imapt.msg(subject="plain"))
deep = b"From: x@y\r\nSubject: deep\r\nMIME-Version: 1.0\r\n"
for i in range(200):
    deep += b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (
        i, i)
deep += b"Content-Type: text/plain\r\n\r\nbottom\r\n"
for i in reversed(range(200)):
    deep += b"--b%d--\r\n" % i
st.deliver("jdoe", deep)
c = st.imap()
c.login("jdoe")


def create(name):
    if isinstance(name, str):
        name = name.encode()
    c.send(b"c CREATE {%d+}\r\n" % len(name) + name + b"\r\n")
    return c.wait("c")[0].decode()


for name, why in ((b"/abs", "leading slash"), (b"a//b", "empty level"),
                  (b"a\x01b", "control character"),
                  ("caf\u00e9".encode(), "raw 8-bit name"),
                  (b"&AGE-", "encoded printable ASCII"),
                  (b"&AOQ", "unterminated shift"),
                  (b"&AOQ-&APY-", "two shifted runs"),
                  (b"&A-", "bad padding"),
                  (b"a*b", "wildcard"), (b"%2e%2e", "percent"), (b"x" * 1001, "over 1000 bytes"),
                  (b"/".join([b"d"] * 40), "too deep"),
                  (b"Other Users", "namespace root"),
                  (b"Other Users/nosuch/x", "unknown user"),
                  (b"Public Folders/x", "public top level")):
    t.like(create(name), r"^NO", "CREATE refused: " + why)
for name in ("..", "../../etc", "a/../b", "&AOQ-"):
    t.like(create(name), r"^OK", "CREATE %r is just a name" % name)
tag, un = c.cmd('LIST "" "*"')
t.ok(any(x.endswith(b'"&AOQ-"') for x in un), "modified UTF-7 round trip")
t.ok(any(x.endswith(b'"../../etc"') for x in un), "'..' kept as a name")
leaked = [p for p in os.listdir(st.tmp) if p not in ("store", "store.conf",
                                                       "store.log")]
t.is_(leaked, [], "nothing created outside the store")
t.like(c.cmd('SELECT "../../etc"')[0].decode(), r"^OK", "SELECT '..' folder")

# NUL bytes, parentheses, sequence sets.
c.ok("SELECT INBOX")
tag, _ = c.cmd(b"FETCH 1 (FLAGS\x00)")
t.like(tag.decode(), r"^BAD", "NUL byte in a command")
tag, _ = c.cmd(b"FETCH 1 (FLAGS")
t.like(tag.decode(), r"^BAD", "unbalanced parenthesis")
tag, _ = c.cmd(b"FETCH 1 FLAGS)")
t.like(tag.decode(), r"^BAD", "stray parenthesis")
tag, _ = c.cmd(b"STATUS INBOX " + b"(" * 100 + b"MESSAGES" + b")" * 100)
t.like(tag.decode(), r"^BAD", "deep nesting refused")
tag, _ = c.cmd(b"ID (" + b'"a" ' * 3 + b")")
t.like(tag.decode(), r"^BAD", "malformed ID")
seq = b",".join([b"1:2"] * 1500)
tag, un = c.cmd(b"FETCH " + seq + b" (UID)")
t.ok(tag.startswith(b"OK") and len(un) == 2, "long sequence set merged",
     tag)
tag, _ = c.cmd(b"FETCH 0 (UID)")
t.like(tag.decode(), r"^BAD", "sequence number 0")
tag, _ = c.cmd(b"FETCH 1:4294967296 (UID)")
t.like(tag.decode(), r"^BAD", "sequence number overflow")
tag, un = c.cmd(b"UID FETCH 4294967295:* (UID)")
t.ok(tag.startswith(b"OK"), "UID set at the top of the range")

# Deep MIME nesting: bounded by the parser, still served.
tag, un = c.cmd("FETCH 2 (BODYSTRUCTURE BODY[1.1.1.1.1])")
run = re.search(rb"BODYSTRUCTURE (\(*)", un[0]).group(1)
t.ok(tag.startswith(b"OK") and len(run) <= 52,
     "deeply nested message: BODYSTRUCTURE bounded", tag)

# Literals: too long for a command, too long for APPEND, +literal.
tag, _ = c.cmd(b"LOGIN {100000}")
t.like(tag.decode(), r"^BAD", "oversized literal in a command")
c.send(b"a1 APPEND INBOX {200000}\r\n")
t.like(c.wait("a1")[0].decode(), r"^NO \[TOOBIG\]", "APPEND over "
       "MAX_MESSAGE_SIZE: [TOOBIG] before the literal")
blob = b"x" * 150000
c.send(b"a2 APPEND INBOX {%d+}\r\n" % len(blob) + blob + b"\r\n")
t.like(c.wait("a2")[0].decode(), r"^NO \[TOOBIG\]", "over-long literal+ "
       "APPEND discarded")
tag, _ = c.cmd("NOOP")
t.like(tag.decode(), r"^OK", "the session is in step afterwards")
c.send(b"x" * 9000 + b"\r\n")
ln = c.pending(2)
t.ok(any(x.startswith(b"* BYE [TOOBIG]") for x in ln), "over-long line: "
     "BYE [TOOBIG]", ln)
c.close()

# Bad commands are counted.
c = st.imap()
lines = []
for i in range(25):
    c.send(b"x%d BOGUS\r\n" % i)
lines = c.pending(2)
t.ok(any(x.startswith(b"* BYE") for x in lines), "BYE after too many bad "
     "commands")
c.close()
# Garbage before login, a tag-less line.
c = st.imap()
c.send(b"\r\n\xff\xfe garbage\r\n")
ln = c.pending(1)
t.ok(all(x.startswith(b"* BAD") or b"BAD" in x for x in ln) and ln,
     "garbage answered BAD", ln)
t.like(c.cmd("NOOP")[0].decode(), r"^OK", "then the session goes on")
c.close()
t.is_(st.log_errors(), [], "no errors logged")
t.is_(st.reconstruct_clean(), "", "reconstruct finds nothing to fix")
t.done()
