#!/usr/bin/env python3
"""imapd SEARCH (every RFC 3501 key form), ESEARCH RETURN options,
SEARCHRES ($), MODSEQ, SORT (incl. DISPLAY) and THREAD through
lib/search, lib/sort and lib/thread."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import imapt  # noqa: E402

t, st = imapt.setup()
st.user("jdoe")
msgs = [
    ("alpha", "Zed <zed@example.org>", "Mon, 1 Jan 2024 10:00:00 +0000", "",
     "apples and pears\r\n"),
    ("Re: alpha", "Amy <amy@example.org>", "Tue, 2 Jan 2024 10:00:00 +0000",
     "In-Reply-To: <alpha.1@example.org>\r\n", "bananas\r\n"),
    ("beta", "Bob <bob@example.org>", "Wed, 3 Jan 2024 10:00:00 +0000", "",
     "x" * 3000 + "\r\n"),
    ("=?UTF-8?B?w6RwZmVs?=", "Cy <cy@example.org>",
     "Thu, 4 Jan 2024 10:00:00 +0000", "X-Custom: special value\r\n",
     "caf\u00e9 menu\r\n"),
]
for subj, frm, date, extra, body in msgs:
    m = ("From: %s\r\nTo: jdoe@example.com\r\nSubject: %s\r\nDate: %s\r\n"
         "Message-ID: <%s.1@example.org>\r\n%sMIME-Version: 1.0\r\n"
         "Content-Type: text/plain; charset=utf-8\r\n\r\n%s"
         % (frm, subj, date, re.sub(r"\W", "", subj), extra, body))
    st.deliver("jdoe", m.encode())
c = st.imap()
c.login("jdoe")
c.ok("SELECT INBOX")
c.ok("STORE 2 +FLAGS (\\Flagged $Work)")
c.ok("STORE 3 +FLAGS (\\Seen)")


def search(q):
    tag, un = c.cmd(q)
    if not tag.startswith(b"OK"):
        return tag.decode()
    line = [x for x in un if x.startswith((b"* SEARCH", b"* SORT",
                                           b"* THREAD", b"* ESEARCH"))]
    return line[0].decode() if line else ""


cases = [
    ("SEARCH ALL", "* SEARCH 1 2 3 4"),
    ("SEARCH FLAGGED", "* SEARCH 2"),
    ("SEARCH UNSEEN", "* SEARCH 1 2 4"),
    ("SEARCH KEYWORD $Work", "* SEARCH 2"),
    ("SEARCH UNKEYWORD $Work", "* SEARCH 1 3 4"),
    ("SEARCH KEYWORD $Never", "* SEARCH"),
    ("SEARCH FROM amy", "* SEARCH 2"),
    ("SEARCH SUBJECT alpha", "* SEARCH 1 2"),
    ('SEARCH SUBJECT "\xe4pfel"'.encode("utf-8"), None),
    ("SEARCH HEADER X-Custom special", "* SEARCH 4"),
    ("SEARCH BODY bananas", "* SEARCH 2"),
    ("SEARCH TEXT pears", "* SEARCH 1"),
    ("SEARCH LARGER 2000", "* SEARCH 3"),
    ("SEARCH SMALLER 2000", "* SEARCH 1 2 4"),
    ("SEARCH SENTBEFORE 3-Jan-2024", "* SEARCH 1 2"),
    ("SEARCH SENTON 3-Jan-2024", "* SEARCH 3"),
    ("SEARCH SENTSINCE 3-Jan-2024", "* SEARCH 3 4"),
    ("SEARCH OR FROM zed FROM bob", "* SEARCH 1 3"),
    ("SEARCH NOT (FROM zed)", "* SEARCH 2 3 4"),
    ("SEARCH 2:3", "* SEARCH 2 3"),
    ("SEARCH UID 1,4", "* SEARCH 1 4"),
    ("UID SEARCH FLAGGED", "* SEARCH 2"),
    ("SEARCH CHARSET UTF-8 FROM bob", "* SEARCH 3"),
    ("SEARCH RETURN (MIN MAX COUNT) UNSEEN",
     '* ESEARCH (TAG "tN") MIN 1 MAX 4 COUNT 3'),
    ("SEARCH RETURN () ALL", '* ESEARCH (TAG "tN") ALL 1:4'),
    ("SORT (SUBJECT) UTF-8 ALL", None),
    ("SORT (REVERSE SIZE) UTF-8 ALL", "* SORT 3 4 2 1"),
    ("SORT (DISPLAYFROM) UTF-8 ALL", "* SORT 2 3 4 1"),
    ("SORT (FROM) UTF-8 ALL", "* SORT 2 3 4 1"),
    ("THREAD REFERENCES UTF-8 ALL", "* THREAD (1 2)(3)(4)"),
    ("THREAD ORDEREDSUBJECT UTF-8 ALL", "* THREAD (1 2)(3)(4)"),
]
for q, want in cases:
    got = search(q)
    if isinstance(q, bytes):
        t.is_(got, "* SEARCH 4", "SEARCH SUBJECT with 8-bit UTF-8 string")
        continue
    if want is None:
        t.like(got, r"^\* SORT( \d)+$", q)
        continue
    t.is_(re.sub(r'TAG "t\d+"', 'TAG "tN"', got), want, q)
for q in ("SEARCH BOGUS", "SEARCH FROM", "SEARCH (", "SEARCH SINCE 32-Foo-2020",
          "SORT (NOSUCH) UTF-8 ALL", "THREAD NOSUCH UTF-8 ALL",
          "SEARCH " + "NOT " * 100 + "ALL"):
    tag, _ = c.cmd(q)
    t.like(tag.decode(), r"^BAD", "BAD: " + q[:40])
tag, _ = c.cmd("SEARCH CHARSET KOI8-R ALL")
t.like(tag.decode(), r"^NO \[BADCHARSET", "unknown charset")
# SEARCHRES and MODSEQ
c.ok("SEARCH RETURN (SAVE) FROM bob")
un = c.ok("FETCH $ (UID)")
t.ok(len(un) == 1 and b"UID 3" in un[0], "FETCH $ uses the saved result")
tag, un = c.cmd("SEARCH MODSEQ 1")
t.like(b"".join(un).decode(), r"\* SEARCH 1 2 3 4 \(MODSEQ \d+\)",
       "SEARCH MODSEQ reports the highest modseq")
c.cmd("LOGOUT")
c.close()
t.is_(st.log_errors(), [], "no errors logged")
t.done()
