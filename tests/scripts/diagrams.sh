#!/usr/bin/env bash
# `make diagrams` cannot rot: build/host/diagrams runs, both DOT files are
# well formed (dot -Tsvg accepts them), and the drawing is the node's:
#   - free blocks drawn per zone and order = mm's own buddyinfo (node.txt),
#     pages drawn per CPU cache = meminfo's PerCPU lines, every block drawn
#     has its "next" (free lists) or "slot" (caches) arrow, the state-byte cells cover each section exactly
#     and show as many FREE heads as there are free blocks; both CPUs'
#     lists hold frames and free blocks come in at least six orders;
#   - the worked example shows chapter 03's numbers (docs/03-buddy-and-gfp.md);
#   - a planted change to the node (--alloc) changes the drawing, which
#     still matches the node;
#   - the checks catch planted faults: a block dropped from a drawing, a
#     list changed in the worked example;
#   - bad input is refused in one line, with nothing written.
# Prints a line per check, then one result line; exits 0 when all passed.
# Environment: BUILD (default build). See docs/03-buddy-and-gfp.md.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
tool=$build/host/diagrams
tmp=$(mktemp -d "${TMPDIR:-/tmp}/diagrams.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=tests/scripts/lib/check.sh
. "$top/tests/scripts/lib/check.sh"

# node_problems DIR: what in DIR/node.dot disagrees with DIR/node.txt.
node_problems() {
	local d=$1 zone counts o n drawn total=0 kb cpu
	[ -s "$d/node.txt" ] || { echo "no node.txt"; return; }
	while read -r zone counts; do
		o=0
		for n in $counts; do
			drawn=$(grep -c "id=\"free:$zone:$o:" "$d/node.dot")
			[ "$drawn" = "$n" ] || echo "zone $zone order $o: buddyinfo $n, drawn $drawn"
			total=$((total + n)) o=$((o + 1))
		done
		[ $o = 11 ] || echo "zone $zone: $o orders in buddyinfo"
	done < <(sed -n 's/^Node 0, zone *\([A-Za-z0-9]*\) *\(.*\)$/\1 \2/p' "$d/node.txt")
	[ "$total" -gt 0 ] || echo "no free blocks in buddyinfo"
	while read -r cpu kb; do
		# pages drawn: each parked block counts 2^order (its tag's
		# last field)
		drawn=$(grep -o "id=\"pcp:[A-Za-z0-9]*:$cpu:[0-9]*:[0-9]*:" "$d/node.dot" |
			awk -F: '{ s += 2 ^ $5 } END { print s + 0 }')
		[ $((drawn * 4)) = "$kb" ] || echo "CPU $cpu: meminfo $kb kB parked, drawn $drawn pages"
	done < <(sed -n 's/^PerCPU\([0-9]*\) *: *\([0-9]*\) kB.*/\1 \2/p' "$d/node.txt")
	# What the picture is for: frames on both CPUs' lists, a mix of orders.
	for cpu in 0 1; do
		grep -q "id=\"pcp:[A-Za-z0-9]*:$cpu:" "$d/node.dot" || echo "no frame drawn on CPU $cpu's list"
	done
	[ "$(grep -o 'id="free:[A-Za-z0-9]*:[0-9]*:' "$d/node.dot" | cut -d: -f3 | sort -u | grep -c .)" -ge 6 ] ||
		echo "free blocks of fewer than 6 orders"
	# Every block and parked frame drawn has its arrow.
	local blocks arrows
	blocks=$(grep -c 'id="\(free\|pcp\):' "$d/node.dot")
	arrows=$(grep -c -- '-> b[0-9a-f]* \[label="\(next\|slot [0-9]*\)"\]' "$d/node.dot")
	[ "$blocks" = "$arrows" ] || echo "$blocks blocks drawn, $arrows next and slot arrows"
	# The state bytes: cells cover each section's frames, one FREE head
	# per free block.
	local sec first nr sum heads
	while IFS=: read -r sec first nr; do
		sum=$(grep -o "ID=\"run:$sec:[^\"]*\"" "$d/node.dot" | awk -F: '{ s += $4 } END { print s + 0 }')
		[ "$sum" = "$nr" ] || echo "section $sec: $nr frames, cells cover $sum"
	done < <(grep -o 'id="section:[^"]*"' "$d/node.dot" | sed 's/id="section://; s/"$//')
	grep -q 'id="section:' "$d/node.dot" || echo "no section drawn"
	grep -q 'ID="run:[^"]*:0x01"' "$d/node.dot" && echo "tail bytes drawn without their head"
	heads=$(grep -o 'ID="run:[^"]*:0x8[0-9a-f]"' "$d/node.dot" | grep -c .)
	[ "$heads" = "$total" ] || echo "$total free blocks, $heads FREE heads among the state bytes"
}

# steps_problems DIR: chapter 03's worked example, as drawn.
steps_problems() {
	local f=$1/buddy-steps.dot
	want() { grep -q "ID=\"$1\"[^>]*>$2</TD>" "$f" || echo "$1 is not '$2'"; }
	want S0.o0 empty
	want S0.o1 empty
	want S0.o2 empty
	want S0.o3 40-47
	want S3.o0 41
	want S3.o1 42-43
	want S3.o2 44-47
	want S3.o3 empty
	grep -q '4. after the third split: pfn 40 (phys 0x28000) is returned' "$f" || echo "pfn 40 is not returned"
	grep -q 'node is panel 1 again' "$f" || echo "the free does not restore the start"
	grep -q 'stop: block 40 goes on\\lfree_area\[3\]' "$f" || echo "no stop at order 3"
}

# run_tool ARGS: the generator must exit 0 and print nothing on stderr
# (where mm/ reports warnings and bad frees).
run_tool() {
	local err rc
	err=$("$tool" "$@" 2>&1 >/dev/null)
	rc=$?
	[ $rc = 0 ] || echo "exit status $rc"
	[ -z "$err" ] || echo "stderr: $err"
}

svg_problems() {
	local f
	for f in "$1"/node.dot "$1"/buddy-steps.dot; do
		dot -Tsvg "$f" -o "$f.svg" 2>&1 | head -n 2
		[ -s "$f.svg" ] || echo "$(basename "$f"): no SVG"
	done
}

if [ ! -x "$tool" ]; then
	checks=$((checks + 1))
	bad "generator" "no $tool: run make first"
elif ! command -v dot >/dev/null; then
	checks=$((checks + 1))
	bad "graphviz" "dot is missing: run tools/deps.sh as root"
else
	mkdir -p "$tmp/a" "$tmp/b" "$tmp/c" "$tmp/bad"
	check "diagrams runs, silently" run_tool "$tmp/a"
	check "dot -Tsvg accepts both drawings" svg_problems "$tmp/a"
	check "the node drawn = buddyinfo and meminfo" node_problems "$tmp/a"
	check "the worked example has chapter 03's numbers" steps_problems "$tmp/a"

	# A planted change to the node: one more order-3 block taken, and
	# one more single page (from CPU 0's list).
	check "diagrams --alloc 3 --alloc 0 runs" run_tool "$tmp/b" --alloc 3 --alloc 0
	check "the changed node drawn = its buddyinfo and meminfo" node_problems "$tmp/b"
	differs() {
		cmp -s <(grep '^Node\|^PerCPU' "$tmp/a/node.txt") <(grep '^Node\|^PerCPU' "$tmp/b/node.txt") &&
			echo "buddyinfo and meminfo did not change"
		cmp -s <(grep -o 'id="[a-z]*:[^"]*"' "$tmp/a/node.dot") <(grep -o 'id="[a-z]*:[^"]*"' "$tmp/b/node.dot") &&
			echo "the drawing did not change"
	}
	check "--alloc changes the node and the drawing" differs

	# Planted faults: the checks above must see them.
	cp "$tmp/a/node.txt" "$tmp/c/"
	awk '/id="free:Normal:/ && !done { done = 1; next } { print }' "$tmp/a/node.dot" >"$tmp/c/node.dot"
	sed 's/ID="S3.o1"\([^>]*\)>42-43</ID="S3.o1"\1>40-41</' "$tmp/a/buddy-steps.dot" >"$tmp/c/buddy-steps.dot"
	caught() { # what, function: the function must report something
		[ -n "$("$2" "$tmp/c")" ] || echo "$1 not caught"
	}
	check "a block left out of the drawing is caught" caught "missing block" node_problems
	check "a wrong list in the worked example is caught" caught "wrong list" steps_problems

	refused() { # REGEX ARGS: exit 2, one line matching REGEX, nothing written
		local want=$1 err rc
		shift
		err=$("$tool" "$tmp/bad" "$@" 2>&1 >/dev/null)
		rc=$?
		[ $rc = 2 ] || echo "exit status $rc, not 2"
		[ "$(grep -c '' <<<"$err")" = 1 ] || echo "not one line: $err"
		grep -qE -- "^diagrams: $want" <<<"$err" || echo "message: $err"
		[ -z "$(ls "$tmp/bad")" ] || echo "wrote $(ls "$tmp/bad")"
	}
	check "--alloc 11 is refused, naming 11" refused "--alloc '11': ORDER must be 0..10" --alloc 11
	check "--alloc x is refused, naming x" refused "--alloc 'x': ORDER must be 0..10" --alloc x
	check "--alloc -1 is refused" refused "--alloc '-1': ORDER must be 0..10" --alloc -1
	check "--alloc without an order is refused" refused "--alloc needs an ORDER" --alloc
	check "an unknown argument is refused, named" refused "unknown argument '--bogus'" --bogus
	check "17 --allocs are refused" refused "--alloc given more than 16 times" $(printf -- '--alloc 0 %.0s' {1..17})
fi

if [ $failed = 0 ]; then
	echo "diagrams: all $checks checks passed"
else
	echo "diagrams: $failed of $checks checks FAILED"
fi
[ $failed = 0 ]
