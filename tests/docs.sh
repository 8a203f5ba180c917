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
if [ -r /usr/share/bash-completion/bash_completion ]; then
	got=$(bash -c ". /usr/share/bash-completion/bash_completion; . '$src/scripts/redirect.bash-completion'
		COMP_WORDS=('$redirect' enable --dr); COMP_CWORD=2; COMP_LINE='redirect enable --dr'; COMP_POINT=\${#COMP_LINE}
		_redirect; echo \"\${COMPREPLY[*]}\"")
	[ "$got" = "--dry-run" ] && ok "bash completion asks the tool for enable's options" ||
		not_ok "bash completion asks the tool for enable's options" "got: $got"
else
	ok "bash completion # SKIP no bash-completion package"
fi
tap_end
