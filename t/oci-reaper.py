#!/usr/bin/env python3
# t/oci-reaper.py PIDFILE STATUSFILE CREATE-COMMAND...
#
# What conmon and containerd's shim do around an OCI runtime's create: be
# a child subreaper, run create, read the pid file, and wait for that pid,
# which create leaves behind as our child. Writes "created PID", then
# "exit CODE" (128+N for signal N), or "create CODE" if create failed,
# to STATUSFILE, one line each, and exits with the code.
import ctypes
import os
import sys

PR_SET_CHILD_SUBREAPER = 36


def status_line(path, text):
    with open(path, "a") as f:
        f.write(text + "\n")


def main():
    pidfile, statusfile, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0):
        sys.exit("oci-reaper: prctl failed")
    pid = os.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    _, st = os.waitpid(pid, 0)
    rc = os.waitstatus_to_exitcode(st)
    if rc:
        status_line(statusfile, "create %d" % rc)
        sys.exit(rc if rc > 0 else 128 - rc)
    init = int(open(pidfile).read())
    status_line(statusfile, "created %d" % init)
    while True:
        try:
            got, st = os.waitpid(-1, 0)
        except ChildProcessError:
            status_line(statusfile, "lost %d" % init)
            sys.exit(1)
        if got == init:
            code = os.waitstatus_to_exitcode(st)
            code = code if code >= 0 else 128 - code
            status_line(statusfile, "exit %d" % code)
            sys.exit(code)


main()
