# comments, blank lines, tabs and CRLF

  default:	errno
read allow # inline
write allow
exit_group allow
open_tree_attr allow
