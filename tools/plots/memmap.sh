#!/usr/bin/env bash
# The physical memory map of a boot drawn to scale (`make plots`,
# docs/08-measuring.md): one panel per zone (DMA < 16 MiB, DMA32 < 4 GiB,
# Normal), each with two rows: what the firmware said each range is (its UEFI
# type) and what Labyrinth's map policy made of it (usable pages per zone,
# memory below 1 MiB held back, the rest not the allocator's).
#
#   tools/plots/memmap.sh MEMMAP_TOOL INPUT OUT.png
#
# INPUT is a fixture map (tests/fixtures/*.map) or a serial log with the
# kernel's "UEFI memory map" lines, which are turned into the fixture format
# first; either way build/host/memmap-tool applies the policy.
set -euo pipefail

[ $# -eq 3 ] || { echo "usage: $0 MEMMAP_TOOL INPUT OUT.png" >&2; exit 2; }
tool=$1 input=$2 out=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Serial log -> "TYPE START PAGES ATTR" (type names as kernel/init/bootlog.c
# prints them).
if grep -q 'UEFI memory map:' "$input"; then
	tr -d '\r' <"$input" | awk '
	BEGIN {
		n = split("Reserved LoaderCode LoaderData BootServicesCode " \
			"BootServicesData RuntimeServicesCode RuntimeServicesData " \
			"Conventional Unusable ACPIReclaim ACPINVS MMIO " \
			"MMIOPortSpace PalCode Persistent Unaccepted", names, " ")
		for (i = 1; i <= n; i++) type[names[i]] = i - 1
		type["OS:Kernel"] = 2147483648; type["OS:PageTables"] = 2147483649
		type["OS:BootInfo"] = 2147483650; type["OS:BootStack"] = 2147483651
	}
	/UEFI memory map:/ { inmap = 1; next }
	inmap && /^  \[ *[0-9]+\]/ {
		sub(/^  \[ *[0-9]+\] */, "")
		t = ($1 in type) ? type[$1] : 2147483904
		split($2, r, "-")
		printf "%.0f %s 0x%x %s\n", t, r[1], $3, $6
		next
	}
	inmap { exit }' >"$tmp/map"
	[ -s "$tmp/map" ] || { echo "$0: no descriptor lines after 'UEFI memory map:' in $input" >&2; exit 1; }
	title="UEFI memory map of a boot ($(basename "$input"))"
else
	cp "$input" "$tmp/map"
	title="UEFI memory map $(basename "$input" .map)"
fi
"$tool" "$tmp/map" >"$tmp/policy"

# Firmware row: start_mib end_mib colour (decimal 0xRRGGBB) per descriptor.
awk '
function hex(s,   i, c, v) {
	s = tolower(s); sub(/^0x/, "", s); v = 0
	for (i = 1; i <= length(s); i++) {
		c = index("0123456789abcdef", substr(s, i, 1)) - 1
		v = v * 16 + c
	}
	return v
}
/^[ \t]*(#|$)/ { next }
{
	t = ($1 ~ /^0x/) ? hex($1) : $1 + 0
	s = hex($2); e = s + hex($3) * 4096
	if (t == 7) c = 4500036            # Conventional      #44AA44
	else if (t == 3 || t == 4) c = 11591830 # BootServices  #B0E096
	else if (t == 1 || t == 2) c = 6737151  # Loader        #66CCFF
	else if (t == 5 || t == 6) c = 14438474 # Runtime       #DC504A
	else if (t == 9 || t == 10) c = 10053324 # ACPI         #9966CC
	else if (t == 11 || t == 12) c = 8421504 # MMIO         #808080
	else if (t >= 2147483648) c = 16757575  # OS (loader)   #FFB347
	else c = 4210752                        # Reserved etc. #404040
	ram = (t >= 1 && t <= 7) || t == 9 || t == 10 || t >= 2147483648
	special = t == 1 || t == 2 || t == 5 || t == 6 || t == 9 || t == 10 || t >= 2147483648
	printf "%.6f %.6f %d %d %d\n", s / 1048576, e / 1048576, c, ram, special
}' "$tmp/map" >"$tmp/fw.dat"

# Allocator row, from memmap-tool's ranges.
awk '
function hex(s,   i, c, v) {
	s = tolower(s); sub(/^0x/, "", s); v = 0
	for (i = 1; i <= length(s); i++) {
		c = index("0123456789abcdef", substr(s, i, 1)) - 1
		v = v * 16 + c
	}
	return v
}
/^(held|DMA|DMA32|Normal) / {
	split($2, r, "-"); s = hex(r[1]); e = hex(r[2]) + 1
	c = $1 == "held" ? 12632256 : $1 == "DMA" ? 15787520 : $1 == "DMA32" ? 4367861 : 1402304
	printf "%.6f %.6f %d\n", s / 1048576, e / 1048576, c
}' "$tmp/policy" >"$tmp/alloc.dat"

top_mib=$(awk 'BEGIN { m = 0 } { if ($2 > m) m = $2 } END { printf "%d", m + 0.5 }' "$tmp/alloc.dat")
totals=$(awk -F'[= ]' '/^usable_pages=/ { printf "usable after the policy: %.1f MiB (DMA %.1f, DMA32 %.1f, Normal %.1f)", $2 / 256, $4 / 256, $6 / 256, $8 / 256 }' "$tmp/policy")
normal=0
# Zoom on the top of RAM below 4 GiB, from the lowest loader, kernel,
# runtime or ACPI range above 16 MiB: where firmware, loader and kernel sit.
zoom_hi=$(awk 'BEGIN { m = 0 } $4 == 1 && $2 <= 4096 && $2 > m { m = $2 } END { printf "%d", m + 0.999 }' "$tmp/fw.dat")
zoom_lo=$(awk -v hi="$zoom_hi" 'BEGIN { m = hi - 16 } $5 == 1 && $1 >= 16 && $1 < m { m = $1 } END { printf "%d", m < 16 ? 16 : m }' "$tmp/fw.dat")
bmargin=0.24 tmargin=0.86 height=620
[ "$top_mib" -gt 4096 ] && normal=1 bmargin=0.19 tmargin=0.89 height=800

{
	cat <<EOF
set terminal pngcairo size 1000,$height font "DejaVu Sans,10"
set output "$out"
set style fill solid 1.0 noborder
set yrange [0:2]
set ytics ("Labyrinth" 0.5, "UEFI type" 1.5) scale 0
set grid xtics lc rgb "#dddddd"
set border 1
unset key
set multiplot layout $((3 + normal)),1 title "$title\n{/*0.85 $totals}" margins 0.1,0.98,$bmargin,$tmargin spacing 0.13
fw(x) = x
EOF
	# The legend, once, at the top of the picture.
	cat <<'EOF'
set key at screen 0.5,0.01 center bottom horizontal maxrows 3 samplen 1.5 reverse Left font ",9"
EOF
	panel() { # title xmin xmax divisor unit
		cat <<EOF
set title "$1" offset 0,-0.6
set xrange [$2/$4:$3/$4]
set xlabel "physical address ($5)" offset 0,0.6
plot "$tmp/fw.dat" using ((\$1+\$2)/2/$4):(1.5):(\$1/$4):(\$2/$4):(1.1):(1.9):3 with boxxyerror lc rgb variable notitle, \\
     "$tmp/alloc.dat" using ((\$1+\$2)/2/$4):(0.5):(\$1/$4):(\$2/$4):(0.1):(0.9):3 with boxxyerror lc rgb variable notitle$6
unset key
EOF
	}
	keys=', keyentry w boxes lc rgb "#44AA44" t "Conventional", keyentry w boxes lc rgb "#B0E096" t "BootServices code/data", keyentry w boxes lc rgb "#66CCFF" t "Loader code/data", keyentry w boxes lc rgb "#FFB347" t "Labyrinth loader (OS types)", keyentry w boxes lc rgb "#DC504A" t "RuntimeServices", keyentry w boxes lc rgb "#9966CC" t "ACPI", keyentry w boxes lc rgb "#808080" t "MMIO", keyentry w boxes lc rgb "#404040" t "Reserved", keyentry w boxes lc rgb "#C0C0C0" t "held (< 1 MiB)", keyentry w boxes lc rgb "#F0E600" t "usable DMA", keyentry w boxes lc rgb "#42A5F5" t "usable DMA32", keyentry w boxes lc rgb "#1565C0" t "usable Normal"'
	panel "zone DMA: 0 to 16 MiB" 0 16 1 MiB "$keys"
	panel "zone DMA32: 16 MiB to 4 GiB" 16 4096 1024 GiB ""
	panel "zoom: $zoom_lo to $zoom_hi MiB, where firmware, loader and kernel sit" "$zoom_lo" "$zoom_hi" 1 MiB ""
	if [ $normal = 1 ]; then
		panel "zone Normal: 4 GiB and up" 4096 "$top_mib" 1024 GiB ""
	fi
	echo "unset multiplot"
} >"$tmp/plot.gp"
gnuplot "$tmp/plot.gp"
