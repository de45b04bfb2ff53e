#!/usr/bin/env python3
"""t/tar-bomb.py OUT PATH MIB: a tar at OUT holding PATH, MIB MiB of zeros
(its folders before it), written as a stream: the zeros are never in
memory, and OUT is as big as they are (gzip makes a bomb of it)."""
import sys
import tarfile


class Zeros:
    def __init__(self, n):
        self.n = n

    def read(self, k=-1):
        k = self.n if k < 0 else min(k, self.n)
        self.n -= k
        return bytes(k)


out, path, mib = sys.argv[1], sys.argv[2], int(sys.argv[3])
with tarfile.open(out, 'w') as t:
    parts = path.split('/')
    for i in range(1, len(parts)):
        d = tarfile.TarInfo('/'.join(parts[:i]))
        d.type = tarfile.DIRTYPE
        t.addfile(d)
    f = tarfile.TarInfo(path)
    f.size = mib << 20
    t.addfile(f, Zeros(f.size))
