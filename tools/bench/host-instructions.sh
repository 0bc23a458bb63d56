#!/usr/bin/env bash
# The instruction half of `make bench`: callgrind counts the instructions
# of the per-CPU order-0 pair and of the split pair (one page from a lone
# 4 MiB block and back, zone path), through pair_driver.c built against
# this tree and against BENCH_OLD_REV, with mm-bench --quick (5,000 and
# 500 pairs; the driver's loop included), and appends them per pair to
# RESULTS_TSV (docs/08-measuring.md, "Before and after"); then, for the
# random orders 0..4 workload at 1 GiB, the instructions per operation
# inside Labyrinth's and tagbuddy's own allocation and free (the harness
# left out: docs/08c, "Where the random stream's time goes besides
# instructions"). Skipped, with a
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

# per_op ONLY ALLOC FREE NAME: one contender of the random 0..4 workload at
# 1 GiB under callgrind (--scale=100: 10,000 operations after the untimed
# warm-up, collected inside random_ops), and the instructions per operation
# spent inside its ALLOC and FREE callbacks: the allocator's own work.
per_op() {
	local only=$1 a=$2 f=$3 name=$4 ops=10000
	BENCH_ONLY=$only valgrind --tool=callgrind --toggle-collect=random_ops \
		--callgrind-out-file="$work/cgr" "$bench" "$work" --scale=100 \
		>/dev/null 2>"$work/err" ||
		{ echo "host-instructions: callgrind failed:" >&2; tail -5 "$work/err" >&2; exit 1; }
	callgrind_annotate --inclusive=yes --threshold=100 "$work/cgr" 2>/dev/null |
		awk -v a="$a" -v f="$f" -v n="$ops" -v name="$name" '
		$NF ~ /^\[/ && ($3 ~ (":" a "$") || $3 ~ (":" f "$")) { gsub(",", "", $1); sum += $1; seen++ }
		END {
			if (seen != 2) { print "host-instructions: no count for " a " and " f > "/dev/stderr"; exit 1 }
			printf "%s\t%.0f\tinstructions\n", name, sum / n
		}' || exit 1
}

{
	count order0_pair.pcp_ pair_run 5000 host.order0_pair.instructions
	count split10_pair.driver split_run 500 host.split10_pair.instructions
	per_op 'random0_4_1g.pcp$' lab_alloc lab_free host.random0_4_1g.pcp.instructions_per_op
	per_op 'random0_4_1g.tagbuddy$' peer_alloc_h peer_free_h host.random0_4_1g.tagbuddy.instructions_per_op
} >"$work/out" || exit 1
cat "$work/out" >>"$tsv"
echo "Host instructions (callgrind): per pair (mm-bench --quick, the driver's loop included); per operation of random 0..4 at 1 GiB (the allocator's own calls)"
awk -F'\t' '{ printf "  %-40s %10s %s\n", $1, $2, $3 }' "$work/out"
