#!/usr/bin/env bash
# The target half of `make bench`: boots the kernel with bench=order0 under
# QEMU's -icount (the TSC then counts instructions: repeatable, relative
# figures, not wall time) and appends its "bench:" lines to results.tsv.
# Usage: target-bench.sh ESP_DIR RESULTS_TSV
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
esp=$1 tsv=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$esp" "$work/esp"
printf 'bench=order0\n' >"$work/esp/labyrinth/cmdline.txt"
"$top/run-qemu.sh" --no-build --esp "$work/esp" --timeout 300 -m 256M \
	-- -icount shift=0 >"$work/serial.log" 2>&1 || {
	echo "target-bench: the boot failed; log:" >&2
	tail -20 "$work/serial.log" >&2
	exit 1
}
tr -d '\r' <"$work/serial.log" | awk '$1 == "bench:" && $4 == "cycles" {
	printf "%s\t%s\tcycles\n", $2, $3
	printf "  %-40s %10s cycles (-icount: instructions, not time)\n", $2, $3 > "/dev/stderr"
}' >>"$tsv"
