#!/usr/bin/env bash
# The start-up half of `make bench` (issue 16, "Touch no free memory at
# boot"; docs/03b-free-memory-untouched-at-boot.md): boots the kernel to
# the end of `ktest=smp` with 256 MiB and with 16 GiB of guest RAM, with
# the host's transparent huge pages behind guest RAM (QEMU asks for them)
# and without (NOTHP, which turns them off for QEMU), ROUNDS times each,
# interleaved, and reads QEMU's peak resident memory (VmHWM, through
# /usr/bin/time) and the wall time of each boot. A boot with
# free_lists=eager, which writes a page of every free 4 MiB block, shows
# what the figures look like when boot does touch free memory (skipped
# when the host has under 12 GiB available: it commits about half of the
# guest). Appends medians to RESULTS_TSV and prints them.
# Usage: boot-rss.sh ESP_DIR RESULTS_TSV NOTHP [ROUNDS]
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
esp=$1 tsv=$2 nothp=$3 rounds=${4:-3}
work=$(mktemp -d "${TMPDIR:-/tmp}/boot-rss.XXXXXX")
trap 'rm -rf "$work"' EXIT
[ -x /usr/bin/time ] || { echo "boot-rss: /usr/bin/time is missing (Debian package time)" >&2; exit 1; }
cp -r "$esp" "$work/esp"

# boot NAME MEM CMDLINE [WRAPPER]: one boot; appends "KiB seconds" to
# $work/NAME, or fails with the log's end.
boot() {
	local name=$1 mem=$2 cmdline=$3 wrap=${4:-}
	printf '%s\n' "$cmdline" >"$work/esp/labyrinth/cmdline.txt"
	if ! /usr/bin/time -f '%M %e' -o "$work/time" $wrap "$top/run-qemu.sh" \
		--no-build --esp "$work/esp" -m "$mem" --timeout 300 \
		>"$work/log" 2>&1 </dev/null || ! grep -q '^ok 1 smp' "$work/log"; then
		echo "boot-rss: the $name boot did not pass ktest=smp; log:" >&2
		tail -n 12 "$work/log" >&2
		exit 1
	fi
	tail -n 1 "$work/time" >>"$work/$name"
}

# median FILE COLUMN
median() {
	awk -v c="$2" '{ print $c }' "$1" | sort -g |
		awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

avail_kib=$(awk '$1 == "MemAvailable:" { print $2 }' /proc/meminfo)
eager=1
if [ "${avail_kib:-0}" -lt $((12 * 1024 * 1024)) ]; then
	eager=0
	echo "boot-rss: skipping the free_lists=eager boot: $((avail_kib / 1024)) MiB available, it needs about 12 GiB" >&2
fi
for ((r = 0; r < rounds; r++)); do
	boot small 256M "ktest=smp"
	boot big 16G "ktest=smp"
	boot big_nothp 16G "ktest=smp" "$nothp"
	[ "$eager" = 1 ] && boot eager 16G "ktest=smp free_lists=eager"
done

small_kib=$(median "$work/small" 1)
big_kib=$(median "$work/big" 1)
{
	printf 'target.boot_256m.rss\t%s\tKiB\n' "$small_kib"
	printf 'target.boot_16g.rss\t%s\tKiB\n' "$big_kib"
	printf 'target.boot_16g.rss_nothp\t%s\tKiB\n' "$(median "$work/big_nothp" 1)"
	awk -v a="$big_kib" -v b="$small_kib" 'BEGIN {
		printf "target.boot_16g.rss_growth\t%.3f\t%% of the guest\n", (a - b) * 100 / (16 * 1024 * 1024) }'
	printf 'target.boot_256m.startup\t%s\ts\n' "$(median "$work/small" 2)"
	printf 'target.boot_16g.startup\t%s\ts\n' "$(median "$work/big" 2)"
	printf 'target.boot_16g.startup_nothp\t%s\ts\n' "$(median "$work/big_nothp" 2)"
	# Run by run: huge pages on / off.
	paste "$work/big" "$work/big_nothp" | awk '{ print $2 / $4 }' >"$work/ratio"
	printf 'target.boot_16g.startup_thp_vs_nothp\t%s\tx\n' "$(median "$work/ratio" 1)"
	if [ "$eager" = 1 ]; then
		printf 'target.boot_16g_eager.rss\t%s\tKiB\n' "$(median "$work/eager" 1)"
		printf 'target.boot_16g_eager.startup\t%s\ts\n' "$(median "$work/eager" 2)"
	fi
} >"$work/out"
cat "$work/out" >>"$tsv"
echo "Start-up and host memory (QEMU's peak resident set; medians of $rounds interleaved boots to the end of ktest=smp)"
awk -F'\t' '{ printf "  %-40s %12s %s\n", $1, $2, $3 }' "$work/out"
awk -F'\t' '$1 == "target.boot_16g.rss_growth" {
	printf "  16 GiB guest over 256 MiB: %s %% of the guest resident (goal: under 1 %%): %s\n",
		$2, ($2 < 1) ? "met" : "MISSED" }' "$work/out"
