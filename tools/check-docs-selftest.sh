#!/usr/bin/env bash
# shellcheck disable=SC2016 # the backquotes planted below are markdown
# Shows that tools/check-docs.sh catches what it is for: on a copy of the
# tree it must pass as it is, then fail naming the exact line of each
# planted fault: a path in a doc that names no file, a function no source
# has, a section reference to a heading that is not there, and a dead path
# in a source comment. A function that the text gives to Linux must not be
# reported. Run by `make test`.
#
# Usage: tools/check-docs-selftest.sh [ROOT]   (the tree to copy; default:
# this repository)
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
src=${1:-$top}
check=$top/tools/check-docs.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
problems=0
fail() { echo "check-docs selftest: $*"; problems=$((problems + 1)); }

copy_tree() { # dest
	mkdir -p "$1"
	local parts=() p
	for p in boot kernel mm tests tools docs README.md Makefile linker.ld run-qemu.sh; do
		[ -e "$src/$p" ] && parts+=("$p")
	done
	(cd "$src" && tar cf - --exclude=build "${parts[@]}") | (cd "$1" && tar xf -)
}

# plant FILE TEXT: appends a paragraph of its own to FILE, prints its line.
plant() {
	printf '\n%s\n' "$2" >>"$1"
	wc -l <"$1"
}

copy_tree "$tmp/clean"
if ! "$check" "$tmp/clean" >"$tmp/clean.out" 2>&1; then
	fail "the unchanged tree does not pass: $(grep -v '^docs: ' "$tmp/clean.out" | head -3 | paste -sd ';')"
fi

copy_tree "$tmp/planted"
t=$tmp/planted
# 1. A path in a doc that names no file.
l1=$(plant "$t/docs/02-memory-map.md" 'The old policy lived in `mm/memmap_old.c`.')
want1="docs/02-memory-map.md:$l1: mm/memmap_old.c does not exist"
# 2. A function that nothing in the sources defines, declares or calls.
l2=$(plant "$t/docs/03-buddy-and-gfp.md" 'Then `mm_no_such_function()` gives it back.')
want2="docs/03-buddy-and-gfp.md:$l2: mm_no_such_function() is not defined"
# 3. A section reference to a heading that does not exist.
l3=$(plant "$t/docs/05-smp-and-per-cpu-lists.md" 'See docs/01-boot.md ("No such heading").')
want3="docs/05-smp-and-per-cpu-lists.md:$l3: docs/01-boot.md has no heading \"No such heading\""
# 4. A dead path in a source comment.
l4=$(plant "$t/mm/pcp.h" '/* The lists used to live in mm/percpu_lists.c. */')
want4="mm/pcp.h:$l4: mm/percpu_lists.c does not exist"
# Not a fault: a function the same sentence gives to Linux.
l5=$(plant "$t/docs/03-buddy-and-gfp.md" 'Linux does this in `linux_only_function()`.')

if "$check" "$t" >"$tmp/planted.out" 2>&1; then
	fail "a tree with four planted faults passed"
fi
for want in "$want1" "$want2" "$want3" "$want4"; do
	grep -qF -- "$want" "$tmp/planted.out" || fail "not named: $want"
done
if grep -qF "docs/03-buddy-and-gfp.md:$l5:" "$tmp/planted.out"; then
	fail "a function given to Linux was reported (docs/03-buddy-and-gfp.md:$l5)"
fi
for kind in paths functions sections; do
	grep -q "^docs: $kind: FAILED" "$tmp/planted.out" || fail "the $kind summary does not say FAILED"
done

if [ $problems = 0 ]; then
	echo "docs: check-docs selftest: ok (clean tree passes; a dead path in a doc and in a comment, an unknown function and a missing heading are each named)"
	exit 0
fi
echo "docs: check-docs selftest: FAILED ($problems)"
exit 1
