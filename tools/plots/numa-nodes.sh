#!/usr/bin/env bash
# The nodes of a NUMA boot (`make plots`, docs/11-numa.md "Pictures of the
# nodes"): each node's memory ranges as bars along the physical address
# axis, to scale, with its CPUs, and the distance table as a heat map with
# each node's fallback order beside it. Reads the serial log's "numa:" lines
# (kernel/numa/topology.c numa_topology_print, kernel/numa/numa.c
# numa_print_cpus):
#   numa: SRAT: N node(s), R memory range(s), C CPU(s); ...
#   numa: node N (domain D): SIZE, K CPU(s), APIC IDs ...
#   numa:   0xSTART-0xEND SIZE            (one per range, under its node)
#   numa: distance   0   1 ...  then  numa:   node  i  d d ...
#   numa: node N: K CPU(s) online: LIST   (after the APs are up)
#
#   tools/plots/numa-nodes.sh SERIAL.log OUT.png
#   tools/plots/numa-nodes.sh --tables SERIAL.log   (what was read, as text:
#       "node ID BYTES NCPUS CPUS NEAREST", "range NODE START END",
#       "dist FROM TO D", "srat NODES RANGES CPUS slit|default")
set -euo pipefail

usage() { echo "usage: $0 SERIAL.log OUT.png | $0 --tables SERIAL.log" >&2; exit 2; }
tables_only=0
if [ "${1:-}" = --tables ]; then
	[ $# -eq 2 ] || usage
	tables_only=1 log=$2 out=
else
	[ $# -eq 2 ] || usage
	log=$1 out=$2
fi
[ -r "$log" ] || { echo "$0: cannot read $log" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

tr -d '\r' <"$log" | awk '
function hex(s,   i, v) {
	s = tolower(s); sub(/^0x/, "", s); v = 0
	for (i = 1; i <= length(s); i++)
		v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
	return v
}
$1 != "numa:" { next }
$2 == "SRAT:" && $4 == "node(s)," { print "srat", $3, $5, $8, /no SLIT/ ? "default" : "slit"; next }
# numa: node N (domain D): 64 MiB, 1 CPU(s), APIC IDs 1
# numa: node N (domain D): no memory (nearest: node 2), 1 CPU(s), APIC IDs 0
$2 == "node" && $4 == "(domain" {
	node = $3; nodes[node] = 1; order[++nn] = node
	near[node] = "-"
	if ($6 == "no" && $7 == "memory") { n = $10; sub(/\).*/, "", n); near[node] = n }
	for (i = 6; i <= NF; i++)
		if ($i == "CPU(s)," || $i == "CPU(s)") { ncpu[node] = $(i - 1); break }
	apic[node] = "-"
	if (match($0, /APIC IDs [^ ]+/)) apic[node] = "apic:" substr($0, RSTART + 9, RLENGTH - 9)
	next
}
# numa: node N: K CPU(s) online: LIST
$2 == "node" && $3 ~ /^[0-9]+:$/ && $6 == "online:" { n = $3; sub(/:/, "", n); online[n] = $7; next }
$2 ~ /^0x[0-9a-fA-F]+-0x[0-9a-fA-F]+$/ && nn {
	split($2, a, "-"); s = hex(a[1]); e = hex(a[2]) + 1
	bytes[node] += e - s
	ranges[++nr] = sprintf("range %d %.0f %.0f", node, s, e)
	next
}
$2 == "distance" { indist = 1; for (i = 3; i <= NF; i++) col[i - 3] = $i; ncol = NF - 2; next }
indist && $2 == "node" && NF == ncol + 3 {
	for (i = 4; i <= NF; i++) dist[++nd] = sprintf("dist %d %d %d", $3, col[i - 4], $i)
	next
}
END {
	for (k = 1; k <= nn; k++) {
		n = order[k]
		printf "node %d %.0f %d %s %s\n", n, bytes[n] + 0, ncpu[n] + 0, (n in online) ? online[n] : apic[n], near[n]
	}
	for (k = 1; k <= nr; k++) print ranges[k]
	for (k = 1; k <= nd; k++) print dist[k]
}' >"$tmp/tables"

grep -q '^srat ' "$tmp/tables" || { echo "$0: no 'numa: SRAT:' line in $log (boot with QEMU -numa options: a SRAT)" >&2; exit 1; }
read -r _ want_nodes want_ranges _ slit <<<"$(grep -m1 '^srat ' "$tmp/tables")"
got_nodes=$(grep -c '^node ' "$tmp/tables" || true)
got_ranges=$(grep -c '^range ' "$tmp/tables" || true)
got_dist=$(grep -c '^dist ' "$tmp/tables" || true)
if [ "$got_nodes" != "$want_nodes" ] || [ "$got_ranges" != "$want_ranges" ] || [ "$got_dist" != $((want_nodes * want_nodes)) ]; then
	echo "$0: $log is cut short: its SRAT line says $want_nodes nodes and $want_ranges ranges, read $got_nodes nodes, $got_ranges ranges, $got_dist of $((want_nodes * want_nodes)) distances" >&2
	exit 1
fi
if [ $tables_only = 1 ]; then
	cat "$tmp/tables"
	exit 0
fi

# Per node: its colour, its label on the address axis, its fallback order
# (nodes with memory, nearest first, ties by id: mm/node.c's order).
awk -v tmp="$tmp" '
BEGIN { split("1565c0 c62828 2e7d32 ef6c00 6a1b9a 00838f ad1457 5d4037", colour, " ") }
$1 == "node" { id[++n] = $2; mem[$2] = $3; ncpu[$2] = $4; cpus[$2] = $5; near[$2] = $6 }
$1 == "range" { if ($4 > top) top = $4 }
$1 == "dist" { d[$2, $3] = $4 }
function mib(b) { return b >= 1048576 * 1024 ? sprintf("%.1f GiB", b / 1073741824) : sprintf("%.1f MiB", b / 1048576) }
END {
	for (k = 1; k <= n; k++) {
		a = id[k]
		c = cpus[a]; sub(/^apic:/, "APIC ", c)
		what = ncpu[a] == 0 ? "no CPU" : (ncpu[a] == 1 ? "CPU " c : "CPUs " c)
		if (cpus[a] ~ /^apic:/ && ncpu[a]) what = ncpu[a] " CPU(s), " c
		memtext = mem[a] ? mib(mem[a]) : "no memory (uses node " near[a] ")"
		printf "%d %s \"node %d: %s\\n%s\"\n", a, colour[(a % 8) + 1], a, what, memtext > (tmp "/labels")
		# fallback order: selection sort by (distance, id) over nodes with memory
		line = ""; delete used
		for (m = 1; m <= n; m++) {
			best = -1
			for (j = 1; j <= n; j++) {
				b = id[j]
				if ((b in used) || !mem[b]) continue
				if (best < 0 || d[a, b] < d[a, best] || (d[a, b] == d[a, best] && b < best)) best = b
			}
			if (best < 0) break
			used[best] = 1
			line = line (line == "" ? "" : " → ") best " (" d[a, best] ")"
		}
		printf "node %d: %s\n", a, line > (tmp "/fallback")
	}
	printf "%d %.0f\n", n, top > (tmp "/shape")
}' "$tmp/tables"
read -r nnodes top <<<"$(cat "$tmp/shape")"
grep '^range ' "$tmp/tables" | awk '
function hex(s,   i, v) {
	for (i = 1; i <= length(s); i++)
		v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
	return v
}
NR == FNR { c[$1] = hex($2); next }
{ printf "%d %.4f %.4f %d\n", $2, $3 / 1048576, $4 / 1048576, c[$2] }' \
	<(awk '{ print $1, $2 }' "$tmp/labels") - >"$tmp/ranges"
grep '^dist ' "$tmp/tables" | awk '{ print $2, $3, $4 }' >"$tmp/dist"
read -r dmin dmax <<<"$(awk 'NR == 1 { lo = hi = $3 } { if ($3 < lo) lo = $3; if ($3 > hi) hi = $3 } END { print lo, hi }' "$tmp/dist")"
[ "$dmax" -gt "$dmin" ] || dmax=$((dmin + 1))
topmib=$(awk -v t="$top" 'BEGIN { printf "%.4f", t / 1048576 }')

{
	cat <<EOF
set terminal pngcairo size 1100,760 font "DejaVu Sans,10"
set output "$out"
set multiplot title "The NUMA nodes of one boot: $nnodes nodes, from the SRAT and SLIT (kernel/numa/)"
# Top: memory along the physical address axis, a row per node.
set origin 0,0.52
set size 1,0.44
set lmargin 26
set rmargin 4
set xrange [0:$topmib]
set yrange [$nnodes - 0.5:-0.5]
set xlabel "physical address (MiB)"
set format x "%.0f"
set grid xtics lc rgb "#dddddd"
set style fill solid 1.0 border lc rgb "#ffffff"
unset key
set title "Memory ranges by node, to scale (from the SRAT; which of it is RAM is the UEFI memory map's business)"
EOF
	awk '{ n = $1; $1 = ""; $2 = ""; sub(/^  /, ""); printf "%s%s %d", NR == 1 ? "set ytics scale 0 (" : ", ", $0, n } END { print ")" }' "$tmp/labels"
	echo "plot '$tmp/ranges' using ((\$2 + \$3) / 2):1:((\$3 - \$2) / 2):(0.32):4 with boxxyerror lc rgb variable, \\"
	echo "     '' using ((\$2 + \$3) / 2):(\$1):(\$3 - \$2 > $topmib / 16 ? sprintf('%.0f MiB', \$3 - \$2) : '') with labels tc rgb '#ffffff' font ',9'"
	cat <<EOF
# Bottom left: the distance table as a heat map.
set origin 0.02,0.0
set size 0.5,0.5
set lmargin 12
set rmargin 2
unset grid
set size ratio -1
set xrange [-0.5:$nnodes - 0.5]
set yrange [$nnodes - 0.5:-0.5]
set xtics 1 scale 0
set ytics 1 scale 0
set format x "%.0f"
set xlabel "to node"
set ylabel "from node"
set cbrange [$dmin:$dmax]
set palette defined (0 "#fff8e1", 1 "#ffb74d", 2 "#c62828")
set colorbox user origin 0.5,0.08 size 0.015,0.34
set cbtics font ",8"
set title "$([ "$slit" = slit ] && echo 'Distances (the SLIT; 10 = a node to itself)' || echo 'Distances (no SLIT: the default, 10 local, 20 remote)')"
plot '$tmp/dist' using 2:1:3 with image, \\
     '' using 2:1:(sprintf('%d', \$3)) with labels font ",11"
EOF
	# Bottom right: the fallback orders, in text.
	echo "unset colorbox"
	echo "set label 1 \"Where each node's requests go, nearest first\\n(distance in brackets; only nodes with memory):\" at screen 0.6, screen 0.42 left font ',10'"
	awk '{ gsub(/"/, ""); printf "set label %d \"%s\" at screen 0.6, screen %.3f left font \",10\"\n", NR + 1, $0, 0.34 - (NR - 1) * 0.045 }' "$tmp/fallback"
	echo "unset xtics; unset ytics; unset border; unset xlabel; unset ylabel; unset title"
	echo "set origin 0.55,0; set size 0.4,0.05"
	echo "plot [0:1][0:1] NaN notitle"
	echo "unset multiplot"
} >"$tmp/plot.gp"
gnuplot "$tmp/plot.gp"
