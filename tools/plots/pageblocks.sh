#!/usr/bin/env bash
# A zone's pageblocks before and after compaction, side by side (`make
# plots`, docs/10-fragmentation-and-compaction.md): one cell per 2 MiB
# pageblock, its colour the migrate type, its shade how much of it is in
# use. Reads a serial log of a boot with `demo_pageblocks=1`
# (kernel/demo/demo_compaction.c), whose "pageblocks: before|after ZONE
# 0xPFN TYPES FILLS" lines mm/migratetype.c prints (pageblock_map_show):
# a letter per pageblock for its type (lowercase: partly not the zone's
# RAM, '.': none of it) and a digit for its used eighths.
#
#   tools/plots/pageblocks.sh SERIAL.log OUT.png [ZONE]
#
# ZONE (DMA, DMA32, Normal) defaults to the zone with the most pageblocks.
set -euo pipefail

[ $# -eq 2 ] || [ $# -eq 3 ] || { echo "usage: $0 SERIAL.log OUT.png [ZONE]" >&2; exit 2; }
log=$1 out=$2 zone=${3:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

tr -d '\r' <"$log" | awk '$1 == "pageblocks:" && ($2 == "before" || $2 == "after") && $4 ~ /^0x/ && NF == 6' >"$tmp/rows"
[ -s "$tmp/rows" ] || { echo "$0: no 'pageblocks: before|after' rows in $log (boot with demo_pageblocks=1)" >&2; exit 1; }
if [ -z "$zone" ]; then
	zone=$(awk '$2 == "before" { n[$3] += length($5) } END { for (z in n) if (n[z] > best) { best = n[z]; bz = z } print bz }' "$tmp/rows")
fi
for label in before after; do
	grep -q "^pageblocks: $label $zone " "$tmp/rows" || { echo "$0: no '$label' map of zone $zone in $log" >&2; exit 1; }
done

# Cells: label x y colour partial, the pageblocks re-wrapped into rows of
# W (16, 32 or 64: about square); and per label a summary.
total=$(awk -v z="$zone" '$2 == "before" && $3 == z { n += length($5) } END { print n }' "$tmp/rows")
w=16
[ "$total" -gt 256 ] && w=32
[ "$total" -gt 1024 ] && w=64
nrows=$(( (total + w - 1) / w ))
awk -v z="$zone" -v w="$w" -v tmp="$tmp" '
function hex(s,   i, v) {
	s = tolower(s); sub(/^0x/, "", s); v = 0
	for (i = 1; i <= length(s); i++)
		v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
	return v
}
BEGIN {
	base["U"] = "c62828"; base["M"] = "1565c0"; base["R"] = "2e7d32"
	base["H"] = "ef6c00"; base["I"] = "6a1b9a"
}
# The type colour, from a light tint (all free) to full (no frame free).
function shade(t, f,   c, k, r, a) {
	c = base[t]; a = 0.12 + 0.88 * f / 8; r = 0
	for (k = 0; k < 3; k++)
		r = r * 256 + int(255 - (255 - hex(substr(c, 2 * k + 1, 2))) * a + 0.5)
	return r
}
$3 == z {
	if (!($2 in first))
		first[$2] = hex($4)
	for (i = 1; i <= length($5); i++) {
		t = substr($5, i, 1); f = substr($6, i, 1); n = idx[$2]++
		x = n % w; y = int(n / w)
		if (t == ".") {
			printf "%s %d %d %d 0\n", $2, x, y, 14737632 > (tmp "/cells")
			continue
		}
		T = toupper(t)
		printf "%s %d %d %d %d\n", $2, x, y, shade(T, f), t != T > (tmp "/cells")
		pb[$2]++
		if (t == T && f == "0") whole[$2]++
		if (f == "8") full[$2]++
		if (f != "0" && f != "8") part[$2]++
	}
}
END {
	for (l in first)
		printf "%s 0x%x %d %d %d %d\n", l, first[l], pb[l], whole[l], full[l], part[l] > (tmp "/summary")
}' "$tmp/rows"

read -r _ first pbs whole_b full_b part_b <<<"$(grep '^before ' "$tmp/summary")"
read -r _ _ _ whole_a full_a part_a <<<"$(grep '^after ' "$tmp/summary")"
cell=$((480 / w))
height=$((70 + 40 + nrows * cell + 80))
read -r bmargin tmargin <<<"$(awk -v h="$height" 'BEGIN { printf "%.4f %.4f", 80 / h, 1 - 70 / h }')"
{
	cat <<EOF
set terminal pngcairo size 1100,$height font "DejaVu Sans,10"
set output "$out"
set multiplot layout 1,2 title "Zone $zone: its $pbs pageblocks (2 MiB each, from pfn $first) before and after compaction\n{/*0.85 one cell per pageblock, $w a row; colour: migrate type; shade: how much of it is in use}" margins 0.06,0.98,$bmargin,$tmargin spacing 0.08
set style fill solid 1.0 border lc rgb "#ffffff"
set size ratio -1
set xrange [-0.5:$w - 0.5]
set yrange [$nrows - 0.5:-0.5]
unset xtics
$(awk -v f="$((first * 4 / 1024))" -v w="$w" -v n="$nrows" 'BEGIN {
	step = n > 16 ? int(n / 8) : 1
	printf "set ytics scale 0 font \",8\" ("
	for (r = 0; r < n; r += step)
		printf "%s\"%d MiB\" %d", r ? ", " : "", f + r * w * 2, r
	print ")"
}')
set border 0
unset key
set ylabel "physical address (rows of $((w * 2)) MiB)" font ",9"
EOF
	echo "set title \"before: the page cache after every other page was dropped\\n{/*0.85 wholly free: $whole_b, full: $full_b, partly used: $part_b}\""
	echo "plot '$tmp/cells' using (strcol(1) eq 'before' ? \$2 : NaN):3:(0.5):(0.5):4 with boxxyerror lc rgb variable, \\"
	echo "     '' using (strcol(1) eq 'before' && \$5 > 0 ? \$2 : NaN):3 with points pt 7 ps 0.4 lc rgb '#000000'"
	echo "unset ylabel"
	echo "set title \"after: the whole zone compacted (compact\\\\_node)\\n{/*0.85 wholly free: $whole_a, full: $full_a, partly used: $part_a}\""
	# The legend, below both grids: labels and swatches at screen places
	# (a key would be as narrow as one grid).
	awk -v h="$height" 'BEGIN {
		n = split("Unmovable:c62828 Movable:1565c0 Reclaimable:2e7d32 HighAtomic:ef6c00 Isolate:6a1b9a", a, " ")
		for (i = 1; i <= n; i++) {
			split(a[i], f, ":"); x = 0.1 + (i - 1) * 0.17
			printf "set object rect from screen %.4f,%.4f to screen %.4f,%.4f fc rgb \"#%s\" fs solid 1.0 noborder front\n", x, 48 / h, x + 0.015, 62 / h, f[2]
			printf "set label \"%s\" at screen %.4f,%.4f left font \",9\" front\n", f[1], x + 0.02, 55 / h
		}
		n = split("e1ebf6|all free (the type pale);7fa6d8|half used;1565c0|full (the type deep);e0e0e0|no RAM of the zone", a, ";")
		for (i = 1; i <= n; i++) {
			split(a[i], f, "|"); x = 0.1 + (i - 1) * 0.17
			printf "set object rect from screen %.4f,%.4f to screen %.4f,%.4f fc rgb \"#%s\" fs solid 1.0 noborder front\n", x, 18 / h, x + 0.015, 32 / h, f[1]
			printf "set label \"%s\" at screen %.4f,%.4f left font \",9\" front\n", f[2], x + 0.02, 25 / h
		}
		printf "set label \"{/:Bold .}  partly not the zone'"'"'s RAM\" at screen %.4f,%.4f left font \",9\" front\n", 0.1 + 4 * 0.17, 25 / h
	}'
	echo "plot '$tmp/cells' using (strcol(1) eq 'after' ? \$2 : NaN):3:(0.5):(0.5):4 with boxxyerror lc rgb variable, \\"
	echo "     '' using (strcol(1) eq 'after' && \$5 > 0 ? \$2 : NaN):3 with points pt 7 ps 0.4 lc rgb '#000000'"
	echo "unset multiplot"
} >"$tmp/plot.gp"
gnuplot "$tmp/plot.gp"
