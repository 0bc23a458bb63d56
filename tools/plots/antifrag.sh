#!/usr/bin/env bash
# What grouping by mobility buys, over time (`make plots`,
# docs/10-fragmentation-and-compaction.md): build/host/antifrag-tool runs
# the anti-fragmentation churn of the mm_migratetype suite
# (tests/support/antifrag.c) with grouping on and off; this draws, against
# the churn's steps, the share of free memory that is whole 2 MiB blocks
# (what an order-9 request gets without compaction) now, and the share it
# would be if the page cache were dropped (reclaimed) at that step. The
# markers at the end are the drop itself.
#
#   tools/plots/antifrag.sh ANTIFRAG_TOOL OUT.png [EVERY]
set -euo pipefail

[ $# -eq 2 ] || [ $# -eq 3 ] || { echo "usage: $0 ANTIFRAG_TOOL OUT.png [EVERY]" >&2; exit 2; }
tool=$1 out=$2 every=${3:-1000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$tool" "$every" >"$tmp/raw" 2>"$tmp/err" || { echo "$0: $tool failed: $(grep -v '^page_owner:' "$tmp/err" | tail -n 1)" >&2; exit 1; }
# Per grouping: step(thousands) share_now% share_if_dropped%.
for g in on off; do
	awk -v g="$g" '$1 == g && $2 == "churn" {
		printf "%g %.2f %.2f\n", $3 / 1000, $4 ? 100 * $5 / $4 : 0, 100 * $6 / ($4 + $7)
	}' "$tmp/raw" >"$tmp/$g.dat"
	awk -v g="$g" '$1 == g && $2 == "dropped" { printf "%g %.2f\n", $3 / 1000, 100 * $5 / $4 }' "$tmp/raw" >"$tmp/$g.drop"
	[ -s "$tmp/$g.dat" ] && [ -s "$tmp/$g.drop" ] || { echo "$0: no rows for grouping $g from $tool" >&2; exit 1; }
done
summary=$(awk '/^# grouping (on|off):/ { sub(/^# /, ""); printf "%s%s", sep, $0; sep = "\\n" }' "$tmp/raw")
last=$(awk '{ l = $1 } END { print l }' "$tmp/on.drop")

cat >"$tmp/plot.gp" <<EOF
set terminal pngcairo size 1000,640 font "DejaVu Sans,10"
set output "$out"
set title "Anti-fragmentation: the share of free memory that is whole 2 MiB blocks\n{/*0.85 a page cache churns 28 of 32 MiB (movable pages) while the kernel takes and frees blocks of 1 to 8 pages (unmovable) among it}"
set xlabel "churn steps (thousands; each frees or fills one slot)"
set ylabel "% of free memory in blocks of order >= 9"
set xrange [0:$last * 1.04]
set yrange [0:105]
set grid lc rgb "#dddddd"
set key outside below center horizontal maxrows 3 samplen 2.5 width 3 Left reverse font ",9"
set bmargin 8
set label "$summary" at graph 0.98, graph 0.1 right font ",9" front
set label "the cache dropped " at $last, graph 0.97 right font ",9"
set arrow from $last, graph 0 to $last, graph 0.94 nohead dt 3 lc rgb "#888888"
plot "$tmp/on.dat" using 1:3 with lines lw 2 dt 2 lc rgb "#1565c0" title "grouping on: if the cache were dropped now", \\
     "$tmp/off.dat" using 1:3 with lines lw 2 dt 2 lc rgb "#c62828" title "grouping off: if the cache were dropped now", \\
     "$tmp/on.dat" using 1:2 with lines lw 2 lc rgb "#1565c0" title "grouping on: now", \\
     "$tmp/off.dat" using 1:2 with lines lw 2 lc rgb "#c62828" title "grouping off: now", \\
     "$tmp/on.drop" using 1:2 with points pt 7 ps 1.6 lc rgb "#1565c0" title "grouping on: after the drop", \\
     "$tmp/off.drop" using 1:2 with points pt 5 ps 1.6 lc rgb "#c62828" title "grouping off: after the drop"
EOF
gnuplot "$tmp/plot.gp"
