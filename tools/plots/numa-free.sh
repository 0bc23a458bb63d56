#!/usr/bin/env bash
# Free pages per node over a ktest run (`make plots`, docs/11-numa.md
# "Pictures of the nodes"): one line per node, from the samples a boot with
# numa_trace_ms=N prints (tests/target/numa_trace.c):
#   numa-free: ms=T node0=F0 node1=F1 ...
# The KTAP lines between the samples mark the cases ("    ok 3 NAME": the
# case ended by the last sample before it), shaded in turn, and the
# numa_alloc suite's "# node N: P pages taken ... got node M" lines mark
# each node's drain in test_fallback_is_nearest_first.
#
#   tools/plots/numa-free.sh SERIAL.log OUT.png
#   tools/plots/numa-free.sh --tables SERIAL.log   (what was read, as text:
#       "nodes NAME...", "sample T F...", "case START END NAME",
#       "drain T NODE GOT")
set -euo pipefail

usage() { echo "usage: $0 SERIAL.log OUT.png | $0 --tables SERIAL.log" >&2; exit 2; }
tables_only=0
[ $# -eq 2 ] || usage
if [ "$1" = --tables ]; then
	tables_only=1 log=$2 out=
else
	log=$1 out=$2
fi
[ -r "$log" ] || { echo "$0: cannot read $log" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# samples: T F0 F1 ... (the nodes of the first sample, in its order; a line
# cut by another CPU's output, or with other nodes, is skipped); cases:
# START END NAME; drains: T NODE GOT.
tr -d '\r' <"$log" | awk -v tmp="$tmp" '
/^numa-free: ms=[0-9]+( node[0-9]+=[0-9]+)+$/ {
	t = substr($2, 4); key = ""; row = t
	for (i = 3; i <= NF; i++) {
		split($i, kv, "="); key = key " " kv[1]; row = row " " kv[2]
	}
	if (nodes == "") { nodes = key; printf "%s\n", substr(key, 2) > (tmp "/nodes") }
	if (key != nodes) { skipped++; next }
	if (!have) start = t
	print row > (tmp "/samples")
	last = t; have = 1
	next
}
have && /^    (not )?ok [0-9]+ / {
	name = $0; sub(/^    (not )?ok [0-9]+ /, "", name); sub(/ #.*/, "", name)
	if (last > start) printf "%s %s %s\n", start, last, name > (tmp "/cases")
	start = last
	next
}
have && /^ +# node [0-9]+: [0-9]+ pages taken/ {
	got = $0; sub(/.* got node /, "", got); sub(/ .*/, "", got)
	n = $3; sub(/:/, "", n)
	printf "%s %s %s\n", last, n, got > (tmp "/drains")
}
END { if (skipped) printf "%d\n", skipped > (tmp "/skipped") }'

[ -s "$tmp/samples" ] || { echo "$0: no 'numa-free: ms=' lines in $log (boot with numa_trace_ms=N and ktest=...)" >&2; exit 1; }
read -r -a names <"$tmp/nodes"
nsamples=$(wc -l <"$tmp/samples")
[ "$nsamples" -ge 2 ] || { echo "$0: only one 'numa-free:' sample in $log: nothing to draw over time" >&2; exit 1; }
read -r tlast <<<"$(tail -n 1 "$tmp/samples" | awk '{ print $1 }')"
# The usual gap between samples (the median: a busy CPU 0 stretches some).
every=$(awk 'NR > 1 { print $1 - p } { p = $1 }' "$tmp/samples" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
ymax=$(awk '{ for (i = 2; i <= NF; i++) if ($i > m) m = $i } END { print int(m * 1.2) + 1 }' "$tmp/samples")
touch "$tmp/cases" "$tmp/drains"
if [ $tables_only = 1 ]; then
	echo "nodes ${names[*]}"
	sed 's/^/sample /' "$tmp/samples"
	sed 's/^/case /' "$tmp/cases"
	sed 's/^/drain /' "$tmp/drains"
	exit 0
fi

{
	cat <<EOF
set terminal pngcairo size 1100,560 font "DejaVu Sans,10"
set output "$out"
set title "Free pages per node during the ktest run ($nsamples samples, about every $every ms: numa\\\\_trace\\\\_ms)\n{/*0.85 shaded: one test case each; labels at the top: test\\\\_fallback\\\\_is\\\\_nearest\\\\_first took that node down to its minimum with \\\\_\\\\_GFP\\\\_THISNODE, then asked again: the node that served it}"
set xlabel "ms since the run started"
set ylabel "free pages (4 KiB)"
set format y "%.0f"
set xrange [0:$tlast]
set yrange [0:$ymax]
set grid ytics lc rgb "#dddddd"
set key outside right top
set rmargin 14
EOF
	awk 'NR % 2 { printf "set object %d rect from %s, graph 0 to %s, graph 1 back fc rgb \"#eeeeee\" fs solid 1.0 noborder\n", NR, $1, $2 }
		{ name = $3; sub(/^test_/, "", name)
		  printf "set label %d \"%s\" at %g, graph 0.03 rotate by 90 left font \",8\" tc rgb \"#555555\" noenhanced front\n", NR, name, ($1 + $2) / 2 }' "$tmp/cases"
	# Each drain's label above the node's lowest sample since the last drain.
	awk -v nodes="${names[*]}" '
	FNR == NR { t[NR] = $1; for (i = 2; i <= NF; i++) v[NR, i] = $i; ns = NR; next }
	{
		for (i = 1; i <= split(nodes, nm, " "); i++)
			if (nm[i] == "node" $2) c = i + 1
		best = -1
		for (k = 1; k <= ns; k++)
			if (t[k] > prev && t[k] <= $1 && (best < 0 || v[k, c] < v[best, c]))
				best = k
		if (best > 0)
			printf "set label %d \"node %s\\n→ node %s\" at %s, graph 0.93 center font \",8\" front\n", 100 + FNR, $2, $3, t[best]
		prev = $1
	}' "$tmp/samples" "$tmp/drains"
	printf "plot "
	for i in "${!names[@]}"; do
		[ "$i" -gt 0 ] && printf ", \\\\\n     "
		printf "'%s' using 1:%d with linespoints pt 7 ps 0.5 lw 2 title '%s'" "$tmp/samples" $((i + 2)) "${names[$i]/node/node }"
	done
	echo
} >"$tmp/plot.gp"
gnuplot "$tmp/plot.gp"
