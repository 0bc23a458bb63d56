#!/usr/bin/env bash
# Boots Labyrinth in QEMU + OVMF with the serial console on this terminal.
# Installs missing Debian packages (as root) and builds first, unless told not
# to. Run with --help for the options. See docs/01-boot.md.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
memory=256M
cpus=1
machine=q35
cmdline=
cmdline_set=0
gdb=0
timeout_s=0
use_image=0
build=1
esp=
extra=()

usage() {
	cat <<'EOF'
Usage: ./run-qemu.sh [options] [-- extra QEMU arguments]

Boots build/esp (a folder QEMU serves as a FAT drive) with OVMF; the kernel's
serial console is this terminal. Press Ctrl-C to stop QEMU.

  -m, --memory SIZE   guest RAM, QEMU syntax (default 256M; try 8G for RAM above 4 GiB)
  -c, --cpus N        number of CPUs (default 1)
  --machine TYPE      q35 (default) or pc
  --cmdline "TEXT"    kernel command line, written to the ESP's cmdline.txt
                      (e.g. "ktest=all loglevel=7"); default: keep the ESP's
  --image             boot the disk image from `make image` instead of build/esp
  --esp DIR           boot this ESP folder instead of build/esp (test runner)
  --gdb               wait for gdb on localhost:1234 before starting (see `make gdb`)
  --timeout SEC       stop QEMU after SEC seconds (exit status 124)
  --no-build          do not run make first
  -h, --help          this text

Exit status: 0 when the kernel reported passing tests (ktest=...), 1 when
they failed, 3 when QEMU stopped without a verdict (a reset or triple fault),
124 on timeout, otherwise QEMU's own status.
EOF
}

while [ $# -gt 0 ]; do
	case "$1" in
	-m | --memory) memory=$2; shift 2 ;;
	-c | --cpus) cpus=$2; shift 2 ;;
	--machine) machine=$2; shift 2 ;;
	--cmdline) cmdline=$2; cmdline_set=1; shift 2 ;;
	--image) use_image=1; shift ;;
	--esp) esp=$2; shift 2 ;;
	--gdb) gdb=1; shift ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--no-build) build=0; shift ;;
	-h | --help) usage; exit 0 ;;
	--) shift; extra=("$@"); break ;;
	*) echo "run-qemu.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
done

case "$machine" in q35 | pc) ;; *) echo "run-qemu.sh: --machine must be q35 or pc, not '$machine'" >&2; exit 2 ;; esac
[[ "$cpus" =~ ^[0-9]+$ ]] || { echo "run-qemu.sh: --cpus needs a number, not '$cpus'" >&2; exit 2; }
[[ "$timeout_s" =~ ^[0-9]+$ ]] || { echo "run-qemu.sh: --timeout needs seconds, not '$timeout_s'" >&2; exit 2; }

"$here/tools/deps.sh"
if [ "$build" = 1 ]; then
	make -C "$here" --no-print-directory -j2 ${BUILD:+BUILD="$BUILD"} esp $([ "$use_image" = 1 ] && echo image) >&2
fi

build_dir=${BUILD:-$here/build}
if [ -z "$esp" ]; then esp="$build_dir/esp"; fi
if [ "$cmdline_set" = 1 ]; then
	[ "$use_image" = 0 ] || { echo "run-qemu.sh: --cmdline with --image: rebuild the image with make image CMDLINE='...'" >&2; exit 2; }
	printf '%s\n' "$cmdline" >"$esp/labyrinth/cmdline.txt"
fi

if [ "$use_image" = 1 ]; then
	drive=(-drive "format=raw,file=$build_dir/labyrinth.img")
else
	[ -f "$esp/EFI/BOOT/BOOTX64.EFI" ] || { echo "run-qemu.sh: no $esp/EFI/BOOT/BOOTX64.EFI (run make)" >&2; exit 2; }
	drive=(-drive "format=raw,file=fat:rw:$esp")
fi

args=(
	-machine "$machine" -cpu max -m "$memory" -smp "$cpus"
	-bios "${OVMF:-/usr/share/ovmf/OVMF.fd}"
	"${drive[@]}"
	-serial stdio -display none -net none -no-reboot
	-device isa-debug-exit,iobase=0xf4,iosize=0x04
)
[ "$gdb" = 1 ] && args+=(-s -S) && echo "run-qemu.sh: waiting for gdb on localhost:1234" >&2

status=0
if [ "$timeout_s" -gt 0 ]; then
	timeout --foreground "$timeout_s" qemu-system-x86_64 "${args[@]}" "${extra[@]}" || status=$?
else
	qemu-system-x86_64 "${args[@]}" "${extra[@]}" || status=$?
fi
# isa-debug-exit makes QEMU exit with (value << 1) | 1: see kernel/debug/panic.h.
case $status in
33) exit 0 ;;
35) exit 1 ;;
0) # QEMU stopped by itself without the kernel's verdict: with -no-reboot a
   # triple fault or reset ends QEMU this way. Never report that as success.
   echo "run-qemu.sh: QEMU exited without a verdict from the kernel (reset, triple fault or power-off)" >&2
   exit 3 ;;
*) exit $status ;;
esac
