#!/usr/bin/env bash
# Runs the host stress (tests/stress/stress.c) in one of its four ways and
# ends with one result line; exit 0 when the run did what it must:
#   --short [SEC]   the clean build for SEC seconds of wall time (default
#                   30; as many operations as fit): must PASS
#   --planted       the planted build (one irqsave removed from mm/, see
#                   stress.mk) for up to 30 s: must FAIL, naming what it
#                   caught (a self-deadlock, the watchdog, a bad stamp, a
#                   warning or pgdat_check problems); a pass, a timeout or
#                   an unrelated failure is a failure of this check
#   --long OPS      the clean build, OPS operations (make stress)
#   --tsan OPS      the ThreadSanitizer build, OPS operations (make stress)
# Further options (--threads N, --tick-us N, --seed N) go to the program.
# `make test` runs --short and --planted; tests/stress/README.md.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
mode=${1:-}
shift || true
ops=
case "$mode" in
--short) ops=30 ;; # seconds, not operations
--planted) ops=100000000000 ;;
--long | --tsan) ;;
*)
	echo "run-stress.sh: unknown or missing mode '$mode' (--short [SECONDS], --planted, --long OPS, --tsan OPS)" >&2
	exit 2
	;;
esac
if [ $# -gt 0 ] && [[ $1 != --* ]]; then
	ops=$1
	shift
fi
if ! [[ $ops =~ ^[1-9][0-9]*$ ]]; then
	what="a number of operations"
	[ "$mode" = --short ] && what="a number of seconds"
	echo "run-stress.sh: $mode wants $what, not '$ops'" >&2
	exit 2
fi
bound=(--ops "$ops")
[ "$mode" = --short ] && bound=(--seconds "$ops")

case "$mode" in
--planted) bin=$build/stress/stress-planted ;;
--tsan) bin=$build/stress/stress-tsan ;;
*) bin=$build/stress/stress ;;
esac
if [ ! -x "$bin" ]; then
	echo "run-stress.sh: $bin is missing (make stress-build)" >&2
	exit 2
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$(date +%s.%N)
if [ "$mode" = --planted ]; then
	(timeout 30 "$bin" "${bound[@]}" "$@" >"$log" 2>&1; exit $?) 2>/dev/null
else
	# TSan's reports must end the run as failures.
	TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1 exitcode=66} "$bin" "${bound[@]}" "$@" >"$log" 2>&1
fi
status=$?
secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
grep -E '^(stress|BUG|WARNING|WARNING: ThreadSanitizer|SUMMARY)' "$log"

if [ "$mode" = --planted ]; then
	# What only a detection prints (the summary line always names its
	# counters, so only non-zero ones count).
	caught=$(grep -m1 -E 'BUG: spinlock self-deadlock|stress: watchdog|stress: CPU [0-9]+: (bad stamp|__GFP_ZERO)|WARNING: at |[1-9][0-9]* pgdat_check problems|[1-9][0-9]* bad stamps|[1-9][0-9]* warnings' "$log")
	if [ $status -ne 0 ] && [ $status -ne 124 ] && [ -n "$caught" ]; then
		echo "stress planted: caught in $secs s (exit $status): ${caught:0:100}"
		exit 0
	fi
	echo "stress planted: NOT caught: exit $status after $secs s (124: ran out its 30 s); the stress cannot see a missing irqsave"
	tail -n 20 "$log"
	exit 1
fi
if [ $status -eq 0 ] && grep -q '^stress: PASS$' "$log"; then
	echo "stress ${mode#--}: PASS in $secs s"
	exit 0
fi
echo "stress ${mode#--}: FAILED with exit $status"
tail -n 40 "$log"
exit 1
