#!/usr/bin/env bash
# `make gdb`: boots build/esp in QEMU waiting for gdb, then attaches gdb with
# the kernel's symbols. A breakpoint on kmain is set; type `c` to boot.
# QEMU's serial output goes to build/gdb-serial.log.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/run-qemu.sh" --no-build --gdb "$@" >"$top/build/gdb-serial.log" 2>&1 &
qemu=$!
trap 'kill $qemu 2>/dev/null || true' EXIT
sleep 1
gdb -q "$top/build/kernel/kernel.elf" \
	-ex "target remote localhost:1234" \
	-ex "hbreak kmain" \
	-ex "echo Serial log: build/gdb-serial.log; breakpoint set on kmain; type c to continue\n"
