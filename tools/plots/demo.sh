#!/usr/bin/env bash
# Free pages per block order over time during the boot demo, with the
# watermarks (`make plots`, docs/08-measuring.md). Reads a serial log of a
# boot with `demo_buddyinfo=1` (kernel/demo/demo.c): each "demo: Ns ..." line
# gives free pages and the min/low watermarks summed over the zones, and the
# buddyinfo lines after it the free blocks per order. Without buddyinfo
# lines only the total is drawn.
#
#   tools/plots/demo.sh SERIAL.log OUT.png
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 SERIAL.log OUT.png" >&2; exit 2; }
log=$1 out=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One row per second: start end phase free min low high floor c0..c10, where
# c_k = free pages in blocks of order <= k (so c10 is everything).
tr -d '\r' <"$log" | awk '
function flush(   k, c) {
	if (!have)
		return
	c = 0
	for (k = 0; k <= 10; k++) {
		c += pages[k]
		cum[k] = c
	}
	if (c == 0) # no buddyinfo: everything in one band
		for (k = 0; k <= 10; k++)
			cum[k] = k == 10 ? free : 0
	else
		orders = 1
	printf "%d %d %s %d %d %d %d %d", t - 1, t, phase, free, min, low, 2 * low - min, min - int(min / 2) - int(min / 8)
	for (k = 0; k <= 10; k++)
		printf " %d", cum[k]
	printf "\n"
	have = 0
}
/^demo: +[0-9]+s / {
	flush()
	t = $2; sub(/s$/, "", t); phase = $3
	for (i = 1; i <= NF; i++) {
		if ($i ~ /^free=/) { free = $i; sub(/free=/, "", free) }
		if ($i == "(min") { min = $(i + 1); sub(/,/, "", min) }
		if ($i == "low") { low = $(i + 1); sub(/\)/, "", low) }
	}
	for (k = 0; k <= 10; k++)
		pages[k] = 0
	have = 1; inblock = 1
	next
}
have && inblock && /^Node [0-9]+, zone/ {
	for (k = 0; k <= 10; k++)
		pages[k] += $(5 + k) * 2 ^ k
	next
}
have { inblock = 0 }
END {
	flush()
	if (!orders)
		print "# no buddyinfo" > "/dev/stderr"
}' >"$tmp/demo.dat"
[ -s "$tmp/demo.dat" ] || { echo "$0: no 'demo: Ns' lines in $log (boot with demo_seconds>0)" >&2; exit 1; }

read -r last high <<<"$(awk '{ l = $2; h = $7 } END { print l, h }' "$tmp/demo.dat")"
{
	cat <<EOF
set terminal pngcairo size 1000,640 font "DejaVu Sans,10"
set output "$out"
set multiplot layout 2,1 title "The boot demo: free pages by block order while the timer interrupt allocates\n{/*0.85 (squeeze: process context takes everything GFP\\\\_KERNEL gives; GFP\\\\_ATOMIC in the interrupt dips below min)}" margins 0.09,0.79,0.1,0.86 spacing 0.12
set style fill solid 1.0 noborder
set xrange [0:$last]
set xtics 1
set grid ytics lc rgb "#dddddd"
set key at graph 1.02, graph 1 left top Left reverse samplen 1.5 font ",9"
EOF
	# Squeeze seconds shaded.
	awk '$3 == "squeeze" { printf "set object rect from %d, graph 0 to %d, graph 1 back fc rgb \"#fde0dc\" fs solid 1.0 noborder\n", $1, $2 }' "$tmp/demo.dat"
	cat <<'EOF'
colour(k) = k == 0 ? 0xfff5b1 : k == 1 ? 0xffe082 : k == 2 ? 0xffc857 : k == 3 ? 0xffa726 : k == 4 ? 0xfb8c00 : k == 5 ? 0xe65100 : k == 6 ? 0xc2185b : k == 7 ? 0x8e24aa : k == 8 ? 0x5e35b1 : k == 9 ? 0x3949ab : 0x1a237e
size(k) = k < 8 ? sprintf("%d KiB", 4 * 2**k) : sprintf("%d MiB", 2**(k - 8))
EOF
	echo "set ylabel 'free pages (4 KiB)'"
	echo "set format y '%.0f'"
	echo "set title 'all of memory' offset 0,-0.5"
	echo "plot for [k=10:0:-1] '$tmp/demo.dat' using 1:(column(9 + k)) with fillsteps lc rgb colour(k) title sprintf('order %d (%s)', k, size(k))"
	echo "set yrange [0:$((high * 5 / 2))]"
	echo "set title 'zoom on the watermarks (sums over the zones)' offset 0,-0.5"
	echo "set xlabel 'seconds since the demo started (red: squeeze)'"
	awk -v high="$high" '$3 == "squeeze" { if (lo == "") lo = $1; hi = $2 }
		END { if (lo != "") printf "set label \"free < min: the atomic reserve in use;\\nonly GFP\\\\_ATOMIC may still allocate\" at %g, %g center front font \",9\"\n", (lo + hi) / 2, high * 1.5 }' "$tmp/demo.dat"
	echo "plot for [k=10:0:-1] '$tmp/demo.dat' using 1:(column(9 + k)) with fillsteps lc rgb colour(k) notitle, \\"
	echo "  '$tmp/demo.dat' using 1:7 with steps lw 2 lc rgb '#2e7d32' title 'high', \\"
	echo "  '$tmp/demo.dat' using 1:6 with steps lw 2 lc rgb '#f9a825' title 'low', \\"
	echo "  '$tmp/demo.dat' using 1:5 with steps lw 2 lc rgb '#c62828' title 'min', \\"
	echo "  '$tmp/demo.dat' using 1:8 with steps lw 2 dt 2 lc rgb '#000000' title 'atomic floor (3/8 min)'"
	echo "unset multiplot"
} >"$tmp/plot.gp"
# fillsteps draws each row's value from its x to the next row's: repeat the
# last second so that it gets its width too.
tail -n 1 "$tmp/demo.dat" | awk '{ $1 = $2; print }' >>"$tmp/demo.dat"
gnuplot "$tmp/plot.gp"
