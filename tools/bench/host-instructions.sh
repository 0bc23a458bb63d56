#!/usr/bin/env bash
# The instruction half of `make bench`: callgrind counts the instructions
# of the per-CPU order-0 pair and of the split pair (one page from a lone
# 4 MiB block and back, zone path), through pair_driver.c built against
# this tree and against BENCH_OLD_REV, with mm-bench --quick (5,000 and
# 500 pairs; the driver's loop included), and appends them per pair to
# RESULTS_TSV (docs/08-measuring.md, "Before and after"). Skipped, with a
# message, when valgrind is not installed (Debian package valgrind).
# Usage: host-instructions.sh MM_BENCH RESULTS_TSV
set -uo pipefail
bench=$1 tsv=$2
if ! command -v valgrind >/dev/null || ! command -v callgrind_annotate >/dev/null; then
	echo "host-instructions: skipped: valgrind is not installed (apt-get install valgrind)" >&2
	exit 0
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/host-instr.XXXXXX")
trap 'rm -rf "$work"' EXIT

# count ONLY FUNCTION PAIRS NAME: runs the contenders whose name holds ONLY
# under callgrind, collecting inside FUNCTION and old_FUNCTION (this tree's
# driver and BENCH_OLD_REV's, one run), and prints NAME and NAME_before
# with the instructions per pair of each.
count() {
	local only=$1 fn=$2 pairs=$3 name=$4
	BENCH_ONLY=$only valgrind --tool=callgrind --toggle-collect="$fn" \
		--toggle-collect="old_$fn" --callgrind-out-file="$work/cg" \
		"$bench" "$work" --quick >/dev/null 2>"$work/err" ||
		{ echo "host-instructions: callgrind failed:" >&2; tail -5 "$work/err" >&2; exit 1; }
	callgrind_annotate --inclusive=yes "$work/cg" 2>/dev/null |
		awk -v fn="$fn" -v n="$pairs" -v name="$name" '
		$NF ~ /^\[/ && $3 ~ (":" fn "$") { gsub(",", "", $1); now = $1 }
		$NF ~ /^\[/ && $3 ~ (":old_" fn "$") { gsub(",", "", $1); old = $1 }
		END {
			if (!now || !old) { print "host-instructions: no count for " fn > "/dev/stderr"; exit 1 }
			printf "%s\t%.0f\tinstructions\n%s_before\t%.0f\tinstructions\n", name, now / n, name, old / n
		}' || exit 1
}

{
	count order0_pair.pcp_ pair_run 5000 host.order0_pair.instructions
	count split10_pair.driver split_run 500 host.split10_pair.instructions
} >"$work/out" || exit 1
cat "$work/out" >>"$tsv"
echo "Host instructions per pair (callgrind, mm-bench --quick, the driver's loop included)"
awk -F'\t' '{ printf "  %-40s %10s %s\n", $1, $2, $3 }' "$work/out"
