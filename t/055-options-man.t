#!/bin/bash
# t/055-options-man.t: the option tables in src/options.c are the one list
# of options. Each option of a table is in its command's --help and in
# carapace(1), the man page made from the same tables (make man), which
# groff and man render without a warning. A bad option or a missing
# argument ends carapace with one line, `carapace: ...`, and exit 125.
. "$(dirname "$0")/tap.sh"
need_binary

MAN=$TOP/build/carapace.1
C=$CARAPACE
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT

# table NAME: "name letter arg" for each entry of the table NAME, read from
# the source, not from carapace: what the code lists is what must show.
table() {
	sed -n "/^static const struct option_def $1\[\] = {/,/^};/p" "$TOP/src/options.c" |
		sed -n "s/^\t{ \"\([a-z-]*\)\", \('\(.\)'\|0\), \(NULL\|\"\([^\"]*\)\"\).*/\1|\3|\5/p"
}

# starts_line FILE PREFIX: some line of FILE is PREFIX, then a space or its end.
starts_line() {
	awk -v p="$2" 'index($0, p) == 1 && (length($0) == length(p) ||
		substr($0, length(p) + 1, 1) == " ") { found = 1 } END { exit !found }' "$1"
}

# check_table TABLE COMMAND...: each of TABLE's options in those commands' --help and the man page.
check_table() {
	local tab=$1 name letter arg left missing cmd; shift
	table "$tab" >"$work/$tab"
	for cmd in "$@"; do
		"$C" "$cmd" --help >"$work/help-$cmd"
		missing=
		while IFS='|' read -r name letter arg; do
			left="${letter:+-$letter, }--$name${arg:+ $arg}"
			[ -n "$letter" ] || left="    $left"
			starts_line "$work/help-$cmd" "  $left" || missing="$missing --$name"
		done <"$work/$tab"
		is "$missing" "" "every option of $tab is in carapace $cmd --help"
		# And nothing else: the help's option lines are the table's.
		is "$(grep -cE '^  (-[a-zA-Z], |    )--[a-z]' "$work/help-$cmd")" \
			"$(wc -l <"$work/$tab")" "carapace $cmd --help lists as many options as $tab has"
	done
	missing=
	while IFS='|' read -r name letter arg; do
		grep -qF -- "\\fB\\-\\-${name//-/\\-}\\fR" "$MAN" || missing="$missing --$name"
	done <"$work/$tab"
	is "$missing" "" "every option of $tab is in the man page's roff"
	if [ ! -s "$work/man.txt" ]; then
		skip "no groff to render the man page"
		return
	fi
	missing=
	while IFS='|' read -r name letter arg; do
		starts_line "$work/man.txt" "       ${letter:+-$letter, }--$name${arg:+ $arg}" ||
			missing="$missing --$name"
	done <"$work/$tab"
	is "$missing" "" "every option of $tab is in the man page, as groff renders it"
}

# --- the man page: made, and rendered without a warning
run make -s -C "$TOP" build/carapace.1
is "$RC:$ERR" "0:" "make man makes build/carapace.1"
like "$(head -n 1 "$MAN")" '^\.TH CARAPACE 1 ' "it is a roff man page, carapace(1)"
if command -v groff >/dev/null; then
	groff -man -Tascii -ww -P-cbou "$MAN" >"$work/man.txt" 2>"$work/groff.err"
	is "$?:$(cat "$work/groff.err")" "0:" "groff renders it without a warning"
else
	skip "no groff (package groff-base)"
fi
if command -v man >/dev/null; then
	run env LC_ALL=C MANWIDTH=80 man -P cat -l "$MAN"
	is "$RC:$ERR" "0:" "man -l renders it"
	like "$OUT" '^ +carapace run \[OPTIONS\] \[--\] COMMAND \[ARG\.\.\.\]$' "  with run's synopsis"
else
	skip "no man (package man-db)"; skip "no man (package man-db)"
fi

# --- the tables, the help and the man page list the same options
is "$(table run_options | wc -l)" 51 "run_options has the 51 options of run and inspect"
is "$(table init_options | wc -l)" 5 "init_options has the 5 options of init"
check_table run_options run inspect
check_table init_options init
check_table spec_options spec
check_table help_only_options features start state pause resume wait
check_table logs_options logs
check_table stop_options stop
check_table rm_options rm
is "$(table ps_options | wc -l)" 2 "ps_options has the 2 options of ps"
check_table ps_options ps
is "$(table exec_options | wc -l)" 13 "exec_options has the 13 options of exec"
check_table exec_options exec
is "$(table update_options | wc -l)" 12 "update_options has runc's 11 update flags and --help"
check_table update_options update
check_table events_options events
if [ -s "$work/man.txt" ]; then
	for cmd in run inspect init; do
		like "$(cat "$work/man.txt")" "^   carapace $cmd\$" "the man page has a section for $cmd"
	done
	like "$(cat "$work/man.txt")" '^EXIT STATUS$' "the man page says the exit status"
	like "$(tr -s ' \n' '  ' <"$work/man.txt")" ' 125 if carapace failed, ' \
		"  as carapace --help does"
else
	for i in $(seq 5); do skip "no groff to render the man page"; done
fi

# --- bad options: one line, exit 125, nothing on stdout
bad() {
	local desc=$1 ere=$2; shift 2
	run "$@"
	is "$RC" 125 "$desc: exit 125"
	is "$(printf '%s\n' "$ERR" | wc -l):$OUT" "1:" "$desc: one line on stderr, none on stdout"
	like "$ERR" "$ere" "$desc: the message says what is wrong"
}
bad "init: unknown long option" '^carapace: init: unknown option: --bogus$' "$C" init --bogus true
bad "init: unknown short option" '^carapace: init: unknown option: -x$' "$C" init -gx true
bad "init: no program" '^carapace: init: no program given \(see carapace init --help\)$' \
	"$C" init -g
bad "init: an argument to a flag" '^carapace: init: option --subreaper takes no argument$' \
	"$C" init --subreaper=1 true
bad "inspect: unknown option" '^carapace: inspect: unknown option: --bogus$' "$C" inspect --bogus
bad "inspect: missing argument" '^carapace: inspect: option --cpus needs an argument$' \
	"$C" inspect --cpus
bad "run: missing argument of -e" '^carapace: run: option -e needs an argument$' "$C" run -q -e
bad "run: an argument to --tty" '^carapace: run: option --tty takes no argument$' \
	"$C" run --tty=1 true
bad "run: an argument to --help" '^carapace: run: option --help takes no argument$' \
	"$C" run --help=x
bad "run: an ambiguous prefix" '^carapace: run: unknown option: --cpu$' "$C" run --cpu 1 true

done_testing
