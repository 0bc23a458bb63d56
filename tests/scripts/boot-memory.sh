#!/usr/bin/env bash
# Boot writes no free memory (docs/03b-free-memory-untouched-at-boot.md): an
# 8 GiB guest booted to `ktest=smp` leaves QEMU with less than 400 MiB
# resident on the host (QEMU, OVMF, the kernel, its metadata and what the
# suite touched; under 5 % of the guest). The same boot with
# free_lists=eager writes a page of every free 4 MiB block: where the host
# backs guest RAM with transparent huge pages (QEMU asks for them, and
# Debian's default "madvise" grants it) that commits about half of the
# guest, and the check must see it there, or it proves nothing; with huge
# pages off the eager figure is only shown.
# Prints a line per boot, then one result line; exits 0 when all passed.
# Environment: BUILD (whose esp boots; default build).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/boot-memory.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
limit_kib=$((400 * 1024))

[ -x /usr/bin/time ] || { echo "boot-memory: FAILED: /usr/bin/time is missing (Debian package time)"; exit 1; }
[ -f "$build/esp/labyrinth/kernel.elf" ] || { echo "boot-memory: FAILED: no $build/esp (run make)"; exit 1; }
mkdir -p "$tmp/esp"
cp -r "$build/esp/." "$tmp/esp/"

# Boots with the cmdline $1; prints the peak resident KiB, or nothing if
# the boot did not end with the smp suite passed.
peak_kib() {
	printf '%s\n' "$1" >"$tmp/esp/labyrinth/cmdline.txt"
	/usr/bin/time -f '%M' -o "$tmp/rss" "$top/run-qemu.sh" --no-build \
		--esp "$tmp/esp" -m 8G --timeout 300 >"$tmp/log" 2>&1 </dev/null
	grep -q '^ok 1 smp' "$tmp/log" && tail -n 1 "$tmp/rss"
}

failed=0
deferred=$(peak_kib "ktest=smp")
if [ -z "$deferred" ]; then
	echo "boot-memory: FAILED: the 8 GiB boot did not pass ktest=smp"; tail -n 5 "$tmp/log"; failed=1
else
	echo "boot-memory: default (free_lists=deferred): $((deferred / 1024)) MiB resident (limit $((limit_kib / 1024)) MiB)"
	[ "$deferred" -lt "$limit_kib" ] || { echo "boot-memory: FAILED: boot touched free memory"; failed=1; }
fi
thp=$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)
eager=$(peak_kib "ktest=smp free_lists=eager")
if [ -z "$eager" ]; then
	echo "boot-memory: FAILED: the eager 8 GiB boot did not pass ktest=smp"; failed=1
else
	echo "boot-memory: free_lists=eager: $((eager / 1024)) MiB resident (host huge pages: ${thp:-unknown})"
	case "$thp" in
	*"[always]"* | *"[madvise]"*) # QEMU asks for them (madvise)
		[ "$eager" -ge "$limit_kib" ] || { echo "boot-memory: FAILED: the eager boot stayed under the limit: the check cannot tell"; failed=1; } ;;
	esac
fi
[ "$failed" = 0 ] && echo "boot-memory: ok (free memory untouched at boot)" || { echo "boot-memory: FAILED"; exit 1; }
