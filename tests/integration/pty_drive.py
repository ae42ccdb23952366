#!/usr/bin/env python3
"""pty_drive.py STEP... -- CMD ARG...: runs CMD on a new pseudo-terminal (as a user's terminal)
and plays the steps in order; exits 0 when all pass, else 1 with what was seen.

Steps:  expect:TEXT   wait (up to 10 s) until TEXT appears in the output since the last expect
        send:TEXT     type TEXT (Python escapes: \\x10 is ctrl-p, \\r is Enter)
        sleep:SECS
        drain:        read the output for 0.3 s and take it as seen (before a quiet step)
        exit:CODE     wait (up to 10 s) for CMD to exit with CODE; after a drain, nothing but
                      whitespace may have been printed since (a quiet detach)
        winsize:R,C   set the terminal's size (CMD gets SIGWINCH)
"""
import fcntl, os, pty, select, struct, sys, termios, time

def main():
    argv = sys.argv[1:]
    sep = argv.index("--")
    steps, cmd = argv[:sep], argv[sep + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    seen = b""
    mark = 0
    quiet_from = None  # set by drain: nothing may be printed after it
    status = None

    def pump(timeout):
        nonlocal seen
        r, _, _ = select.select([fd], [], [], timeout)
        if r:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            seen += data
            return bool(data)
        return True

    def fail(msg):
        sys.stderr.write("pty_drive: %s\n--- output ---\n%r\n" % (msg, seen.decode(errors="replace")))
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
        sys.exit(1)

    for step in steps:
        kind, _, arg = step.partition(":")
        if kind == "expect":
            want = arg.encode()
            end = time.time() + 10
            while want not in seen[mark:]:
                if time.time() > end or not pump(0.1) and want not in seen[mark:]:
                    fail("did not see %r" % arg)
            mark = seen.index(want, mark) + len(want)
            quiet_from = None
        elif kind == "send":
            os.write(fd, arg.encode().decode("unicode_escape").encode("latin-1"))
        elif kind == "drain":
            end = time.time() + 0.3
            while time.time() < end:
                pump(0.05)
            mark = quiet_from = len(seen)
        elif kind == "sleep":
            time.sleep(float(arg))
        elif kind == "winsize":
            rows, cols = (int(x) for x in arg.split(","))
            fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        elif kind == "exit":
            end = time.time() + 10
            while status is None:
                p, st = os.waitpid(pid, os.WNOHANG)
                if p == pid:
                    status = os.waitstatus_to_exitcode(st)
                    break
                if time.time() > end:
                    fail("did not exit")
                pump(0.05)
            while pump(0.05) and select.select([fd], [], [], 0)[0]:
                pass
            if status != int(arg):
                fail("exit status %s, want %s" % (status, arg))
            rest = seen[quiet_from:].strip() if quiet_from is not None else b""
            if rest:
                fail("printed %r after the last expect" % rest.decode(errors="replace"))
        else:
            fail("unknown step " + step)
    if status is None:
        os.kill(pid, 9)
        os.waitpid(pid, 0)

main()
