#!/usr/bin/env python3
"""popmgr at a terminal (driven through a pty): the prompt, the
confirmation of wildcard commands, passwords read without echo."""
import os
import pty
import re
import select
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
import pstest  # noqa: E402

t = pstest.Tap()
st = pstest.Store(t, conf="LOGIN_FAIL_DELAY=0\n")


class Term:
    """popmgr on a pseudo-terminal."""

    def __init__(self, *args):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execve(pstest.program("popmgr"), ["popmgr"] + list(args),
                      st.env)
        self.seen = ""

    def expect(self, pattern, timeout=10):
        """Read until pattern matches; return the text read up to it."""
        end = time.time() + timeout
        while True:
            m = re.search(pattern, self.seen)
            if m:
                got, self.seen = self.seen[:m.end()], self.seen[m.end():]
                return got
            left = end - time.time()
            if left <= 0:
                return None
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                try:
                    data = os.read(self.fd, 4096)
                except OSError:
                    data = b""
                if not data:
                    return None
                self.seen += data.decode("utf-8", "replace")

    def send(self, line):
        os.write(self.fd, (line + "\n").encode())

    def wait(self):
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        return os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1


PROMPT = r"popstore> "
st.popmgr("add", "q1,q2,q3,keep1")

term = Term()
t.ok(term.expect(PROMPT) is not None, "prompt at a terminal")
term.send("delete q*")
t.ok(term.expect(r"Delete account q1\? \[N\]: ") is not None,
     "asks for each account")
term.send("y")
t.ok(term.expect(r"q1: deleted\r\n") is not None, "yes deletes")
t.ok(term.expect(r"Delete account q2\? \[N\]: ") is not None, "next one")
term.send("n")
t.ok(term.expect(r"Delete account q3\? \[N\]: ") is not None,
     "no skips to the next")
term.send("q")
t.ok(term.expect(PROMPT) is not None, "quit ends the command")
t.is_(st.popmgr("show", "q2").returncode, 0, "q2 kept")
t.is_(st.popmgr("show", "q3").returncode, 0, "q3 kept")

term.send("delete q* -noconfirm")
t.ok(term.expect(r"Delete 2 accounts\? \[N\]: ") is not None,
     "-noconfirm: one question")
term.send("")
t.ok(term.expect(PROMPT) is not None, "the default answer is no")
t.is_(st.popmgr("show", "q2").returncode, 0, "nothing deleted")
term.send("delete q* -noconfirm")
term.expect(r"\[N\]: ")
term.send("yes")
got = term.expect(PROMPT)
t.ok(got is not None and "q2: deleted" in got and "q3: deleted" in got,
     "yes deletes all", got)

term.send("modify keep* -owner=K")
t.ok(term.expect(r"Modify account keep1\? \[N\]: ") is not None,
     "modify asks too")
term.send("a")
t.ok(term.expect(r"keep1: modified") is not None, "all")

# passwords without echo
term.send("add pw1 -prompt")
t.ok(term.expect(r"Password: ") is not None, "password prompt")
term.send("Hidden.Pass1")
t.ok(term.expect(r"Retype password: ") is not None, "asked twice")
term.send("Hidden.Pass1")
got = term.expect(PROMPT)
t.ok(got is not None and "Hidden" not in got, "no echo", got)
term.send("add pw2 -prompt")
term.expect(r"Password: ")
term.send("Hidden.Pass1")
term.expect(r"Retype password: ")
term.send("Other.Pass22")
got = term.expect(PROMPT)
t.ok(got is not None and "passwords differ" in got, "mismatch refused", got)

# login prompts for the password
term.send("modify pw1 -flags=manage")
term.expect(PROMPT)
term.send("login pw1")
t.ok(term.expect(r"Password: ") is not None, "login asks the password")
term.send("Hidden.Pass1")
got = term.expect(PROMPT)
t.ok(got is not None and "Login succeeded" in got and "Hidden" not in got,
     "login succeeded", got)
term.send("logout")
t.ok(term.expect(r"Logged out") is not None, "logout")

# continuation prompt, help, exit
term.send("show \\")
t.ok(term.expect(r"_> ") is not None, "continuation prompt")
term.send("pw1")
t.ok(term.expect(r"Username:\s+pw1") is not None, "continued command")
term.send("help")
t.ok(term.expect(r"add NAME\[,NAME\.\.\.\]") is not None, "help")
term.send("exit")
t.is_(term.wait(), 1 and 65, "exit status: the first failure (65)")

# a one-shot command at a terminal may ask too
term = Term("delete", "keep*")
t.ok(term.expect(r"Delete account keep1\? \[N\]: ") is not None,
     "one-shot wildcard asks at a terminal")
term.send("y")
t.is_(term.wait(), 0, "and exits 0")
t.is_(st.popmgr("show", "keep1").returncode, 67, "keep1 deleted")

# end of input at the prompt
term = Term()
term.expect(PROMPT)
os.write(term.fd, b"\x04")
t.is_(term.wait(), 0, "end of input leaves with 0")

t.ok(not any("Hidden" in l for l in st.log_lines()), "no password logged")
t.is_(st.log_errors(), [], "no errors logged")
t.done()
