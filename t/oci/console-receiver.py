#!/usr/bin/env python3
# t/oci/console-receiver.py SOCKET OUT: an engine's console socket. Takes
# one connection, its fd (SCM_RIGHTS), and copies what the pty says to
# OUT until the other side closes, as conmon and the shim relay it.
import os
import socket
import sys

path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(1)
open(out + ".ready", "w").close()
c, _ = s.accept()
msg, fds, _, _ = socket.recv_fds(c, 256, 1)
with open(out, "wb") as f:
    f.write(("got %d fd, payload %s, isatty %s\n" % (len(fds), msg, os.isatty(fds[0]))).encode())
    f.flush()
    while True:
        try:
            data = os.read(fds[0], 4096)
        except OSError:
            break
        if not data:
            break
        f.write(data)
        f.flush()
