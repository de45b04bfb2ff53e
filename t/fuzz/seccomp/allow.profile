default: allow
mkdir errno
ptrace kill
