#!/usr/bin/env bash
# The two pictures of fragmentation in `make plots` cannot rot
# (tools/plots/pageblocks.sh, tools/plots/antifrag.sh; docs/10):
#   - build/host/antifrag-tool runs both churns; its rows are consistent
#     (whole blocks never more than the free memory, whole pageblocks
#     counted in 512s) and its end is the mm_migratetype suite's result
#     (grouping on: at least 50 % and twice the share with it off);
#   - both scripts draw a PNG from the tool and from a real boot's log
#     (tests/fixtures/pageblocks-demo.log);
#   - bad input is refused in one line naming it: a log without maps, a
#     log with the "after" map missing, an unknown zone, a failing tool, a
#     bad EVERY for the tool.
# And the two NUMA pictures (tools/plots/numa-nodes.sh, numa-free.sh;
# docs/11-numa.md) on real boots' logs (tests/fixtures/numa-4node-dist.log,
# numa-memoryless.log): what their parsers read (--tables) matches what the
# fixtures say, counted here independently (nodes, ranges, distances, CPUs,
# samples, drains), both draw, and cut or empty logs are refused.
# Prints a line per check, then one result line; exits 0 when all passed.
# Environment: BUILD (default build). See docs/10-fragmentation-and-compaction.md.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
tool=$build/host/antifrag-tool
fixture=$top/tests/fixtures/pageblocks-demo.log
tmp=$(mktemp -d "${TMPDIR:-/tmp}/plots.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=tests/scripts/lib/check.sh
. "$top/tests/scripts/lib/check.sh"

# A PNG written, and nothing on stderr.
png() { # out, command...
	local out=$1
	shift
	"$@" "$out" 2>"$tmp/err" >/dev/null || { echo "exit status $?: $(head -c 300 "$tmp/err")"; return; }
	[ -s "$tmp/err" ] && echo "stderr: $(head -c 300 "$tmp/err")"
	[ "$(head -c 4 "$out" | tail -c 3)" = PNG ] || echo "$out is not a PNG"
}

# Refused: exit status `want`, one line on stderr containing `text`,
# nothing written to out.
refused() { # want text out command...
	local want=$1 text=$2 out=$3 st
	shift 3
	"$@" >/dev/null 2>"$tmp/err"
	st=$?
	[ "$st" = "$want" ] || echo "exit status $st, not $want"
	[ "$(wc -l <"$tmp/err")" = 1 ] || echo "$(wc -l <"$tmp/err") lines on stderr: $(head -c 300 "$tmp/err")"
	grep -qF -- "$text" "$tmp/err" || echo "no '$text' in: $(head -c 300 "$tmp/err")"
	[ -e "$out" ] && echo "$out written"
}

tool_rows() {
	"$tool" 5000 >"$tmp/rows" 2>/dev/null || { echo "antifrag-tool: exit status $?"; return; }
	awk '
	/^#/ { next }
	NF != 7 || ($1 != "on" && $1 != "off") { print "bad row: " $0; next }
	$5 > $4 { print "more whole than free: " $0 }
	$6 % 512 { print "whole_if_dropped not whole pageblocks: " $0 }
	$2 == "churn" { n[$1]++ }
	$2 == "dropped" { d[$1] = 100 * $5 / $4 }
	END {
		if (n["on"] != 40 || n["off"] != 40)
			print "churn rows: on " n["on"] ", off " n["off"] ", not 40 each"
		if (!("on" in d) || !("off" in d))
			print "no dropped row"
		else if (d["on"] < 50 || d["on"] < 2 * d["off"])
			printf "after the drop: on %.0f%%, off %.0f%%: not at least 50%% and twice\n", d["on"], d["off"]
	}' "$tmp/rows"
}

if [ ! -x "$tool" ]; then
	bad "antifrag-tool is built" "no $tool (make host)"
elif ! command -v gnuplot >/dev/null; then
	bad "gnuplot is installed" "run tools/deps.sh (gnuplot-nox)"
else
	check "antifrag-tool's rows agree with each other and with the suite" tool_rows
	check "antifrag-tool 0 is refused" refused 2 "EVERY" "$tmp/none" "$tool" 0
	check "antifrag-tool x is refused" refused 2 "EVERY" "$tmp/none" "$tool" x
	check "antifrag.sh draws" png "$tmp/antifrag.png" "$top/tools/plots/antifrag.sh" "$tool"
	printf '#!/bin/sh\necho "stand-in: no arena" >&2\nexit 1\n' >"$tmp/failing-tool"
	chmod +x "$tmp/failing-tool"
	check "antifrag.sh refuses a failing tool" refused 1 "failed" "$tmp/af.png" "$top/tools/plots/antifrag.sh" "$tmp/failing-tool" "$tmp/af.png"
	check "pageblocks.sh draws the fixture's DMA32" png "$tmp/pb.png" "$top/tools/plots/pageblocks.sh" "$fixture"
	pb_dma() { "$top/tools/plots/pageblocks.sh" "$fixture" "$1" DMA; }
	check "pageblocks.sh draws the fixture's DMA" png "$tmp/pb-dma.png" pb_dma
	grep -v '^pageblocks:' "$fixture" >"$tmp/nomaps.log"
	check "a log without maps is refused" refused 1 "demo_pageblocks=1" "$tmp/x.png" \
		"$top/tools/plots/pageblocks.sh" "$tmp/nomaps.log" "$tmp/x.png"
	grep -v '^pageblocks: after' "$fixture" >"$tmp/noafter.log"
	check "a log without the after map is refused" refused 1 "no 'after' map of zone DMA32" "$tmp/x.png" \
		"$top/tools/plots/pageblocks.sh" "$tmp/noafter.log" "$tmp/x.png"
	check "an unknown zone is refused, named" refused 1 "zone Highmem" "$tmp/x.png" \
		"$top/tools/plots/pageblocks.sh" "$fixture" "$tmp/x.png" Highmem
fi

numa4=$top/tests/fixtures/numa-4node-dist.log
numaml=$top/tests/fixtures/numa-memoryless.log
nodes_sh=$top/tools/plots/numa-nodes.sh
free_sh=$top/tools/plots/numa-free.sh

# numa-nodes.sh --tables against the fixture's own lines, counted with grep
# and sed here, and a few values written out (the asymmetric 3 -> 0).
nodes_tables() { # fixture, then "want" lines that must be among the tables
	local f=$1 t n r d
	shift
	t=$("$nodes_sh" --tables "$f" 2>&1) || { echo "exit status $?: $t"; return; }
	n=$(grep -c '^numa: node [0-9]* (domain' "$f")
	r=$(grep -c '^numa:   0x' "$f")
	d=$(sed -n 's/^numa:   node *[0-9]* //p' "$f" | wc -w)
	[ "$(grep -c '^node ' <<<"$t")" = "$n" ] || echo "$(grep -c '^node ' <<<"$t") nodes read, the log has $n"
	[ "$(grep -c '^range ' <<<"$t")" = "$r" ] || echo "$(grep -c '^range ' <<<"$t") ranges read, the log has $r"
	[ "$(grep -c '^dist ' <<<"$t")" = "$d" ] || echo "$(grep -c '^dist ' <<<"$t") distances read, the log has $d"
	[ "$d" = $((n * n)) ] || echo "the fixture has $d distances for $n nodes"
	for want in "$@"; do
		grep -qx -- "$want" <<<"$t" || echo "no '$want' in the tables"
	done
}

# numa-free.sh --tables: every sample read, the drains in order.
free_tables() { # fixture, drains as "NODE GOT" words
	local f=$1 t s
	shift
	t=$("$free_sh" --tables "$f" 2>&1) || { echo "exit status $?: $t"; return; }
	s=$(grep -c '^numa-free: ' "$f")
	[ "$(grep -c '^sample ' <<<"$t")" = "$s" ] || echo "$(grep -c '^sample ' <<<"$t") samples read, the log has $s"
	[ "$(awk '$1 == "drain" { printf "%s%s:%s", n++ ? " " : "", $3, $4 }' <<<"$t")" = "$*" ] ||
		echo "drains '$(awk '$1 == "drain" { printf "%s:%s ", $3, $4 }' <<<"$t")', not '$*'"
}

if ! command -v gnuplot >/dev/null; then
	bad "gnuplot is installed (NUMA pictures)" "run tools/deps.sh (gnuplot-nox)"
else
	check "numa-nodes.sh reads the 4-node fixture" nodes_tables "$numa4" \
		"srat 4 5 4 slit" "node 3 67108864 1 3 -" "range 3 201326592 268435456" \
		"range 0 0 655360" "dist 3 0 26" "dist 0 3 25" "dist 2 3 12"
	check "numa-nodes.sh reads the memoryless fixture" nodes_tables "$numaml" \
		"srat 3 3 3 slit" "node 1 0 1 0 2" "node 2 67108864 1 2 -" "dist 1 2 15"
	check "numa-nodes.sh draws the 4-node fixture" png "$tmp/nodes4.png" "$nodes_sh" "$numa4"
	check "numa-nodes.sh draws the memoryless fixture" png "$tmp/nodesml.png" "$nodes_sh" "$numaml"
	check "numa-free.sh reads the 4-node fixture" free_tables "$numa4" 0:1 1:0 2:3 3:2
	check "numa-free.sh reads the memoryless fixture" free_tables "$numaml" 0:2 2:0
	check "numa-free.sh draws the 4-node fixture" png "$tmp/free4.png" "$free_sh" "$numa4"
	check "numa-free.sh draws the memoryless fixture" png "$tmp/freeml.png" "$free_sh" "$numaml"
	grep -v '^numa: SRAT' "$numa4" >"$tmp/nosrat.log"
	check "a log without the SRAT line is refused" refused 1 "no 'numa: SRAT:' line" "$tmp/x.png" \
		"$nodes_sh" "$tmp/nosrat.log" "$tmp/x.png"
	grep -v '^numa: node 3 (domain\|^numa:   0x000000000c\|^numa:   node  3' "$numa4" >"$tmp/cut.log"
	check "a log missing node 3 is refused" refused 1 "read 3 nodes, 4 ranges, 12 of 16 distances" "$tmp/x.png" \
		"$nodes_sh" "$tmp/cut.log" "$tmp/x.png"
	grep -v '^numa-free' "$numa4" >"$tmp/nosamples.log"
	check "a log without samples is refused" refused 1 "numa_trace_ms" "$tmp/x.png" \
		"$free_sh" "$tmp/nosamples.log" "$tmp/x.png"
fi

if [ $failed = 0 ]; then
	echo "plots: all $checks checks passed"
else
	echo "plots: $failed of $checks checks FAILED"
fi
[ $failed = 0 ]
