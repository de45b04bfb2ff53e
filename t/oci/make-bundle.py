#!/usr/bin/env python3
# t/oci/make-bundle.py BUNDLE ROOTFS CGROUP_PATH [--tty] [--set KEY=JSON]... -- ARGS...
#
# An OCI bundle for the tests: containerd's config.json as ctr gave it
# (t/oci/containerd-config.json), with the test's root (read-only), cgroup
# path and process. --set changes one field, by a dotted path: a test of
# bad input breaks the config one field at a time.
import json
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
bundle, rootfs, cgroup = sys.argv[1:4]
rest = sys.argv[4:]
args = rest[rest.index("--") + 1:] if "--" in rest else []
opts = rest[:rest.index("--")] if "--" in rest else rest
c = json.load(open(os.path.join(here, "containerd-config.json")))
c["root"] = {"path": rootfs, "readonly": True}
c["linux"]["cgroupsPath"] = cgroup
c["process"]["args"] = args or ["true"]
c["process"]["terminal"] = "--tty" in opts
c["hostname"] = "oci-test"
i = 0
while i < len(opts):
    if opts[i] == "--set":
        key, value = opts[i + 1].split("=", 1)
        node, parts = c, key.split(".")
        for p in parts[:-1]:
            node = node[int(p)] if isinstance(node, list) else node.setdefault(p, {})
        last = parts[-1]
        if value == "DELETE":
            del node[last]
        elif isinstance(node, list):
            node[int(last)] = json.loads(value)
        else:
            node[last] = json.loads(value)
        i += 2
    else:
        i += 1
os.makedirs(bundle, exist_ok=True)
with open(os.path.join(bundle, "config.json"), "w") as f:
    json.dump(c, f, indent=1)
