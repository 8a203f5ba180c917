#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The source tree keeps its layers, read from the sources themselves (no
# build, no root). The layers, lowest first:
#
#   lib < kernel < nft, dns, tls, maillog (siblings) < core < cli < cmd < src/main.c
#
# 1. A file includes ("folder/name.h") only its own folder or a lower one:
#    siblings do not include each other. A project header is included in
#    quotes: <nft/plan.h> in angle brackets is refused (and checked all
#    the same), so that no include slips past.
# 2. No circle in the module graph. A module is a .c and its .h
#    (src/nft/plan.c with include/nft/plan.h); it depends on another when
#    either of its files includes the other's header.
# 3. Below cli/ nothing prints to the terminal or ends the process: no
#    printf, puts, perror, putchar, no err/warn/error(3) and their kin, no
#    exit, _exit, _Exit, quick_exit, abort; no stdout, stderr,
#    STDOUT_FILENO or STDERR_FILENO at all (fprintf(stderr, ...), a
#    FILE *f = stdout handed on); no write, writev, dprintf to fd 1 or 2.
#    Macro bodies (#define) are read as code: a printing macro is caught
#    where it is defined. Lower layers return -errno, fill a struct errmsg,
#    or hand findings back. Writing to a FILE * or fd the caller passes in
#    (the nft-syntax renderer) is no printing of their own, and is fine.
#    An abort() that is an assertion (a case no input can reach: a bug
#    here) is allowed when the comment on its line begins "assert-like:";
#    it ends the run as a kill would, which the state survives.
# 4. No hidden state below cmd/: no `static` variable inside a function
#    (a buffer, a struct, a cache). A constant table (`static const`) is
#    no state and may sit where it is used.
# 5. No file in src/ or include/ over 700 lines: a file that grows past
#    that holds more than one subject.
#
# Each broken rule names the file and line that breaks it. perl is
# Essential on Debian (perl-base); the checks need nothing else.
set -u
. "$(dirname "$0")/tap.sh"
src=${TESTS_SRCDIR:-$(dirname "$0")}/..

if ! command -v perl >/dev/null; then
	for what in "the checks find each fault of a tree made with them" \
		"includes go down the layers" "no circle in the module graph" \
		"no printing or exit below cli/" "no static variable inside a function below cmd/" \
		"no file over 700 lines"; do
		skip "$what" "no perl here"
	done
	tap_end
	exit
fi

checker='
use strict;
use warnings;

my %rank = (lib => 0, kernel => 1, nft => 2, dns => 2, tls => 2, maillog => 2, core => 3, cli => 4,
	    cmd => 5, main => 6);
my $max_lines = 700;
my @files = sort(glob("src/*.c src/*/*.c include/*/*.h"));
my (%deps, %modules);

# The folder (layer) and the module of a path.
sub layer_of {
	my ($path) = @_;
	return "main" if $path eq "src/main.c";
	return $path =~ m{^(?:src|include)/([^/]+)/} ? $1 : "?";
}
sub module_of {
	my ($path) = @_;
	return "main" if $path eq "src/main.c";
	$path =~ m{^(?:src|include)/(.+)\.[ch]$};
	return $1;
}

# Comments, string and character literals blanked, newlines kept: what is
# left is code, and its line numbers are the file`s. Preprocessor lines
# (with their continuations) are not code either, but for the bodies of
# #define when $defines is true.
sub code_of {
	my ($text, $defines) = @_;
	$text =~ s{/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\x27(?:\\.|[^\x27\\\n])*\x27}{
		my $m = $&; my $n = ($m =~ tr/\n//);
		($m =~ m{^"} ? q("") : $m =~ m{^\x27} ? q(\x27 \x27) : " ") . ("\n" x $n)
	}gse;
	$text =~ s{^[ \t]*#(?:[^\n]*\\\n)*[^\n]*}{
		my $m = $&; my $n = ($m =~ tr/\n//);
		$defines && $m =~ m{^[ \t]*#\s*define\b} ? $m : "\n" x $n
	}gme;
	return $text;
}

# The argument list of the call whose "(" ends at $at in $code.
sub args_at {
	my ($code, $at) = @_;
	my ($depth, $end) = (1, $at);
	$end++ while $end < length($code) &&
		     ($depth += (substr($code, $end, 1) eq "(") -
				(substr($code, $end, 1) eq ")")) > 0;
	return substr($code, $at, $end - $at);
}

sub line_at { my ($code, $at) = @_; return 1 + (substr($code, 0, $at) =~ tr/\n//); }

# 3: what prints to the terminal or ends the process, in $code (macro
# bodies read); @raw, the file`s lines, for the "assert-like:" comments.
sub printing {
	my ($file, $code, @raw) = @_;
	my $calls = qr{\b(printf|vprintf|puts|perror|putchar|putchar_unlocked|psignal|psiginfo|
			  exit|_exit|_Exit|quick_exit|abort|err|errx|verr|verrx|warn|warnx|vwarn|
			  vwarnx|error|error_at_line|write|writev|pwrite|dprintf|vdprintf)\s*\(}x;
	while ($code =~ m{$calls}g) {
		my ($name, $at) = ($1, pos($code));
		my $line = line_at($code, $at);
		my ($first) = split(/,/, args_at($code, $at));
		next if $name =~ m{^(?:write|writev|pwrite|dprintf|vdprintf)$} &&
			$first !~ m{^\s*\(*\s*[12]\s*\)*\s*$};
		next if $name eq "abort" && $raw[$line - 1] =~ m{abort\s*\(\s*\)\s*;\s*/\*\s*assert-like:};
		say_found(3, "$file:$line", "calls $name: only cmd/ and cli/ print or exit");
	}
	while ($code =~ m{\b(stdout|stderr|STDOUT_FILENO|STDERR_FILENO)\b}g) {
		say_found(3, "$file:" . line_at($code, pos($code)),
			  "uses $1: only cmd/ and cli/ print");
	}
}

sub say_found { my ($rule, $where, $what) = @_; print "$rule\t$where: $what\n"; }

for my $file (@files) {
	open(my $fh, "<", $file) or die "$file: $!";
	my $text = do { local $/; <$fh> };
	close($fh);
	my $layer = layer_of($file);
	my $module = module_of($file);
	$modules{$module} = 1;
	$deps{$module} //= {};

	# 5: its length
	my $lines = ($text =~ tr/\n//);
	say_found(5, $file, "$lines lines, more than $max_lines") if $lines > $max_lines;

	# 1, 2: its includes
	my $n = 0;
	for my $line (split(/\n/, $text)) {
		$n++;
		next unless $line =~ m{^\s*#\s*include\s*([<"])([^">]+)[">]};
		my ($quote, $inc) = ($1, $2);
		my ($folder) = $inc =~ m{^([^/]+)/};
		next if $quote eq "<" && (!defined($folder) || !exists($rank{$folder}));
		say_found(1, "$file:$n", "includes <$inc>: a header of redirect`s own is included " .
			  "as \"$inc\"") if $quote eq "<";
		if (!defined($folder) || !exists($rank{$folder})) {
			say_found(1, "$file:$n", "includes \"$inc\", which names no layer");
			next;
		}
		(my $target = $inc) =~ s/\.h$//;
		$deps{$module}{$target} = "$file:$n" if $target ne $module;
		next if $folder eq $layer || $rank{$folder} < $rank{$layer};
		say_found(1, "$file:$n", "includes \"$inc\": $folder is not below $layer");
	}

	my $code = code_of($text);
	my @code = split(/\n/, $code, -1);

	# 3: printing and exit below cli/ (a call may span lines: its whole
	# argument list is read)
	printing($file, code_of($text, 1), split(/\n/, $text, -1)) if $rank{$layer} < $rank{cli};

	# 4: static variables inside functions below cmd/
	if ($rank{$layer} < $rank{cmd}) {
		my ($depth, $in_function, $last) = (0, 0, "");
		for my $i (0 .. $#code) {
			my $l = $code[$i];
			while ($l =~ m{(\{|\}|\bstatic\b(?:\s+const\b)?|[^\s{}])}g) {
				my $tok = $1;
				if ($tok eq "{") {
					$in_function = 1 if $depth == 0 && $last eq ")";
					$depth++;
				} elsif ($tok eq "}") {
					$depth-- if $depth;
					$in_function = 0 if $depth == 0;
				} elsif ($tok eq "static" && $in_function) {
					say_found(4, "$file:" . ($i + 1),
						  "a static variable inside a function (hidden state)");
				}
				$last = $tok;
			}
		}
	}
}

# 2: circles, as the strongly connected components of the module graph
my (%index, %low, %on, @stack, @circles);
my $next = 0;
sub visit {
	my ($m) = @_;
	$index{$m} = $low{$m} = $next++;
	push(@stack, $m);
	$on{$m} = 1;
	for my $d (sort keys %{$deps{$m}}) {
		next unless exists $modules{$d};
		if (!exists $index{$d}) {
			visit($d);
			$low{$m} = $low{$d} if $low{$d} < $low{$m};
		} elsif ($on{$d}) {
			$low{$m} = $index{$d} if $index{$d} < $low{$m};
		}
	}
	return if $low{$m} != $index{$m};
	my @scc;
	my $w;
	do { $w = pop(@stack); $on{$w} = 0; push(@scc, $w); } while ($w ne $m);
	push(@circles, [sort @scc]) if @scc > 1;
}
for my $m (sort keys %modules) { visit($m) unless exists $index{$m}; }

# One way round each circle, with the include that makes each step.
sub path_to {
	my ($from, $to, $in) = @_;
	my %seen = ($from => 1);
	my @queue = ([$from]);
	while (my $p = shift @queue) {
		for my $d (sort keys %{$deps{$p->[-1]}}) {
			return [@$p, $d] if $d eq $to && @$p > 0;
			next if $seen{$d} || !$in->{$d};
			$seen{$d} = 1;
			push(@queue, [@$p, $d]);
		}
	}
	return [$from];
}
for my $c (@circles) {
	my %in = map { $_ => 1 } @$c;
	my $start = $c->[0];
	my ($first) = grep { $in{$_} } sort keys %{$deps{$start}};
	my $p = path_to($first, $start, \%in);
	my @steps = ($start, @$p);
	my @why = map { "$steps[$_] -> $steps[$_ + 1] ($deps{$steps[$_]}{$steps[$_ + 1]})" }
		  0 .. $#steps - 1;
	say_found(2, "{" . join(", ", @$c) . "}", join("; ", @why));
}
'
found=$(cd "$src" && perl -e "$checker")

# The checks themselves, on a tree of known faults: each one is found, on
# its line, and nothing that is allowed.
fixture=$(mktemp -d)
trap 'rm -rf "$fixture"' EXIT
mkdir -p "$fixture/src/core" "$fixture/include/cmd" "$fixture/include/lib"
: >"$fixture/include/cmd/top.h"
: >"$fixture/include/lib/low.h"
cat >"$fixture/src/core/faults.c" <<'EOF'
#include <stdio.h>
#include <cmd/top.h>
#include <lib/low.h>
#define SAY(...) printf(__VA_ARGS__)
static FILE *where(void)
{
	return stderr;
}
void faults(int fd, FILE *f)
{
	dprintf(2, "x");
	write(1, "x", 1);
	write(STDERR_FILENO, "x", 1);
	error(1, 0, "x");
	abort();
	abort();	/* assert-like: allowed */
	write(fd, "x", 1);
	fprintf(f, "x");
	dprintf(fd, "x");
}
EOF
got=$(cd "$fixture" && perl -e "$checker" | sort -t: -k2,2n -s |
	sed -E 's/^([0-9])\t([^:]+:[0-9]+): ([a-z]+ [^ :]+).*/\1 \2 \3/')
want='1 src/core/faults.c:2 includes <cmd/top.h>
1 src/core/faults.c:2 includes "cmd/top.h"
1 src/core/faults.c:3 includes <lib/low.h>
3 src/core/faults.c:4 calls printf
3 src/core/faults.c:7 uses stderr
3 src/core/faults.c:11 calls dprintf
3 src/core/faults.c:12 calls write
3 src/core/faults.c:13 uses STDERR_FILENO
3 src/core/faults.c:14 calls error
3 src/core/faults.c:15 calls abort'
is "the checks find each fault of a tree made with them (and nothing allowed)" "$got" "$want"

rule() {	# rule N DESCRIPTION
	local hits
	hits=$(awk -F '\t' -v n="$1" '$1 == n { print $2 }' <<<"$found")
	if [ -z "$hits" ]; then ok "$2"; else not_ok "$2" "$hits"; fi
}
rule 1 "includes go down the layers (lib < kernel < nft, dns, tls < core < cli < cmd)"
rule 2 "no circle in the module graph"
rule 3 "no printing or exit below cli/"
rule 4 "no static variable inside a function below cmd/"
rule 5 "no file over 700 lines in src/ or include/"
tap_end
