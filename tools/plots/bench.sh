#!/usr/bin/env bash
# Benchmark pictures from `make bench`'s output (`make plots`,
# docs/08-measuring.md):
#   OUTDIR/bench.png  bars per benchmark, one per allocator: the median,
#                     with the min..max of the runs as a whisker
#   OUTDIR/init.png   start-up time and metadata against memory size
#
#   tools/plots/bench.sh BENCHDIR OUTDIR
# BENCHDIR holds spread.tsv and init.tsv (build/bench/).
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 BENCHDIR OUTDIR" >&2; exit 2; }
in=$1 out=$2
for f in spread.tsv init.tsv; do
	[ -s "$in/$f" ] || { echo "$0: $in/$f missing: run make bench first" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# x position, median, min, max, colour, label; groups separated by a gap.
awk -F'\t' '
BEGIN {
	ng = split("order0_pair mixed_0_4 nearly_full_pair split10_pair", groups, " ")
	gname["order0_pair"] = "one page, alloc + free"
	gname["mixed_0_4"] = "mixed orders 0..4, per op"
	gname["nearly_full_pair"] = "nearly full, alloc + free"
	gname["split10_pair"] = "10 splits + 10 merges"
	nc = split("buddy pcp freelist freelist_nolock bitmap", conts, " ")
	colour["buddy"] = 1402304; colour["pcp"] = 6535423; colour["freelist"] = 10395294
	colour["freelist_nolock"] = 14737632; colour["bitmap"] = 16485376
}
/^#/ { next }
{ split($1, p, "."); if (p[1] == "host") v[p[2], p[3]] = $2 "\t" $3 "\t" $4 }
END {
	x = 0
	for (g = 1; g <= ng; g++) {
		first = x
		for (c = 1; c <= nc; c++)
			if ((groups[g], conts[c]) in v) {
				printf "%d\t%s\t%d\t%s\n", x, v[groups[g], conts[c]], colour[conts[c]], conts[c] > "/dev/stdout"
				x++
			}
		if (x > first)
			printf "set label \"%s\" at %.1f, graph -0.07 center\n", gname[groups[g]], (first + x - 1) / 2 > "'"$tmp"'/labels.gp"
		x++
	}
	printf "set xrange [-0.7:%.1f]\n", x - 1.3 > "'"$tmp"'/labels.gp"
}' "$in/spread.tsv" >"$tmp/bars.dat"

runs=$(awk -F'\t' '$1 == "host.order0_pair.buddy" { print $6 }' "$in/spread.tsv")
cat >"$tmp/bench.gp" <<EOF
set terminal pngcairo size 1000,520 font "DejaVu Sans,10"
set output "$out/bench.png"
set title "Page allocators on the host: ns per operation (median of ${runs:-?} runs; whisker: min..max)\n{/*0.85 Labyrinth's buddy allocator against an xv6 free list and a next-fit bitmap, same 128 MiB, same lock, same process}"
set style fill solid 1.0 noborder
set boxwidth 0.8
set ylabel "ns (lower is better)"
set yrange [0:*]
set offsets 0, 0, graph 0.18, 0
set grid ytics lc rgb "#dddddd"
unset xtics
set bmargin 4
set key top center reverse Left samplen 1.5 maxrows 2 width 2
load "$tmp/labels.gp"
plot "$tmp/bars.dat" using 1:2:5 with boxes lc rgb variable notitle, \\
     "" using 1:2:3:4 with yerrorbars pt 7 ps 0.4 lc rgb "#000000" notitle, \\
     "" using 1:(\$4):(sprintf("%.3g", \$2)) with labels offset 0,0.7 font ",9" notitle, \\
     keyentry with boxes lc rgb "#1565C0" title "Labyrinth buddy allocator", \\
     keyentry with boxes lc rgb "#63B8FF" title "the same, per-CPU page lists on", \\
     keyentry with boxes lc rgb "#9E9E9E" title "xv6 free list (locked)", \\
     keyentry with boxes lc rgb "#E0E0E0" title "the same without a lock (the floor)", \\
     keyentry with boxes lc rgb "#FB8C00" title "bitmap, next fit (locked)"
EOF
gnuplot "$tmp/bench.gp"

freelist=$(awk -F'\t' '$1 == "host.init_per_gib.freelist" { print $2 }' "$in/spread.tsv")
cat >"$tmp/init.gp" <<EOF
set terminal pngcairo size 1000,460 font "DejaVu Sans,10"
set output "$out/init.png"
set multiplot layout 1,2 title "Start-up time and metadata against memory size (synthetic maps, 1 GiB to 256 GiB)"
set logscale xy 2
set xrange [0.7:370]
set xtics ("1" 1, "4" 4, "16" 16, "64" 64, "256" 256)
set xlabel "RAM (GiB)"
set grid lc rgb "#dddddd"
set key top left reverse Left samplen 1.5 font ",9"
set title "pgdat\\\\_init() time (median; whisker min..max)"
set ylabel "ms"
set logscale y 10
set format y "%g"
plot "$in/init.tsv" using 1:5:6:7 with yerrorlines lw 2 lc rgb "#E65100" pt 7 ps 0.6 title "cold: first touch (host page faults)", \\
     "" using 1:2:3:4 with yerrorlines lw 2 lc rgb "#1565C0" pt 7 ps 0.6 title "warm: memory already touched", \\
     ${freelist:-0} * x with lines dt 2 lw 2 lc rgb "#757575" title sprintf("xv6 free list, warm (%.2g ms at 1 GiB, x size)", ${freelist:-0})
set title "metadata (MiB)"
set ylabel "MiB"
plot x * 1024 * 0.015625 with lines lw 2 lc rgb "#C62828" title "Linux: 64-byte struct page per frame (1.56 %)", \\
     "$in/init.tsv" using 1:(\$8 / 256.0) with linespoints lw 2 pt 7 ps 0.6 lc rgb "#1565C0" title "Labyrinth, measured (0.0245 %)", \\
     x * 1024 / 32768 with lines dt 2 lw 2 lc rgb "#FB8C00" title "bitmap: 1 bit per frame (0.003 %)"
unset multiplot
EOF
gnuplot "$tmp/init.gp"
