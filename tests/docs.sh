#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The documentation does not drift from the tool: the man page has no groff
# warnings and names every command and option --help knows; the README's
# quick start commands exist; bash completion offers what --help lists.
set -u
. "$(dirname "$0")/tap.sh"
src=${TESTS_SRCDIR:-$(dirname "$0")}/..
redirect=${REDIRECT:-$src/src/redirect}
man=$src/man/redirect.8

if out=$(LC_ALL=C.UTF-8 groff -man -ww -z "$man" 2>&1) && [ -z "$out" ]; then
	ok "the man page has no groff warnings"
else
	not_ok "the man page has no groff warnings" "$out"
fi
# An option's paragraph needs its .TP, or the option runs into the paragraph
# before when rendered: a .B/.BI option line after a sentence's end and
# before a sentence's start is such a tag.
untagged=$(awk '{ if (opt != "" && $0 ~ /^[A-Z]/) print "line " NR - 1 ": " opt
	opt = ""; if ($0 ~ /^\.BI? \\-\\-/ && last ~ /\.$/) opt = $0; last = $0 }' "$man")
is "every option's paragraph in the man page starts with .TP" "$untagged" ""
commands=$("$redirect" --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }')
text=$(LC_ALL=C.UTF-8 MANWIDTH=200 groff -man -Tutf8 -P-cbou "$man" 2>/dev/null | tr -s ' ')
for cmd in $commands; do
	[ "$cmd" = help ] && continue
	grep -qE -- "^ *$cmd( |$)" <<<"$text" && ok "the man page has a section on $cmd" ||
		not_ok "the man page has a section on $cmd"
	for opt in $("$redirect" help "$cmd" | awk '/^  --/ { print $1 }'); do
		grep -qF -- "$opt" <<<"$text" && ok "the man page documents $cmd $opt" ||
			not_ok "the man page documents $cmd $opt"
	done
done
for word in "EXIT STATUS" "FILES" "EXAMPLES" "SEE ALSO" "ENVIRONMENT"; do
	grep -q "^$word" <<<"$text" && ok "the man page has $word" || not_ok "the man page has $word"
done
for cmd in ./scripts/demo ./scripts/test; do
	grep -qE -- "^ +${cmd//./\\.}( |$)" "$src/README" && ok "the README's quick start says $cmd" ||
		not_ok "the README's quick start says $cmd"
done
grep -q '^As root' "$src/README" && ok "the README says the quick start runs as root" ||
	not_ok "the README says the quick start runs as root"
# `help --options COMMAND` is the same table `help COMMAND` prints.
for cmd in $commands; do
	[ "$cmd" = help ] && continue
	listed=$("$redirect" help --options "$cmd" | awk '{ print $1 }')
	shown=$("$redirect" help "$cmd" | awk '/^  --/ { print $1 }')
	is "help --options $cmd lists the options help $cmd shows" "$listed" "$shown"
done

# complete WORD...: what bash completion offers for the last word (may be "").
complete_words() {
	local line="$*"
	bash -c '. /usr/share/bash-completion/bash_completion; . "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_redirect; echo "${COMPREPLY[*]}"' _ "$src/scripts/redirect.bash-completion" \
		"$redirect" "$@"
}

if [ -r /usr/share/bash-completion/bash_completion ]; then
	got=$(complete_words enable --dr)
	[ "$got" = "--dry-run" ] && ok "bash completion asks the tool for enable's options" ||
		not_ok "bash completion asks the tool for enable's options" "got: $got"
	# after an option that takes an address, a duration, a number...: nothing
	for cmd in $commands; do
		[ "$cmd" = help ] && continue
		while read -r opt value; do
			case $value in "" | DIR | FILE | 'NAME|PORT') continue ;; esac
			got=$(complete_words "$cmd" "$opt" "")
			is "bash completion offers nothing after $cmd $opt $value" "$got" ""
		done < <("$redirect" help --options "$cmd")
	done
	like "bash completion offers the services after --service" \
		"$(complete_words enable --service "")" "(^| )smtp( |$)"
	like "bash completion offers the commands after help --options" \
		"$(complete_words help --options "")" "(^| )enable( |$)"
	got=$(complete_words --state-dir /tmp stats --nu)
	is "bash completion skips a global option's value before the command" "$got" "--numeric"
	# --option=VALUE, and DIR options offer directories only
	dir=$(mktemp -d)
	mkdir "$dir/adir"
	: >"$dir/abc.log"
	is "bash completion: --mail-log=FILE offers files (and directories to go into)" \
		"$(complete_words stats --mail-log="$dir/a")" "$dir/abc.log $dir/adir"
	is "... --journal-dir=DIR offers directories only" \
		"$(complete_words stats --journal-dir="$dir/a")" "$dir/adir"
	is "... and so does --journal-dir DIR" "$(complete_words stats --journal-dir "$dir/a")" \
		"$dir/adir"
	is "... --state-dir=DIR too, before the command" "$(complete_words --state-dir="$dir/a")" \
		"$dir/adir"
	like "... --service=NAME offers the services" "$(complete_words enable --service=sm)" \
		"(^| )smtp( |$)"
	is "... a flag given a value: nothing" "$(complete_words stats --json=)" ""
	is "... a global option's --option=VALUE before the command is skipped" \
		"$(complete_words --state-dir="$dir" stats --nu)" "--numeric"
	rm -r "$dir"
else
	skip "bash completion" "no bash-completion package"
fi
tap_end
