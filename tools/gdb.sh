#!/usr/bin/env bash
# `make gdb`: boots build/esp in QEMU waiting for gdb, then attaches gdb with
# the kernel's symbols. A hardware breakpoint on kmain is set; type `c` to boot.
# QEMU's serial output goes to build/gdb-serial.log.
#
# QEMU runs in a process group of its own (so Ctrl-C in gdb interrupts the
# kernel, not QEMU), and the whole group is stopped when gdb exits, however it
# exits: the next `make gdb` finds the port free. A port already in use is
# refused before QEMU starts, and a QEMU that dies before it listens is
# reported with its log, so gdb never attaches to anything else.
#
# Usage: tools/gdb.sh [run-qemu.sh options], e.g. --cmdline "ktest=all"
# Environment: BUILD (default build), GDB_PORT (default 1234).
# Exit status: gdb's; 2 when refused before QEMU started; 1 when QEMU died.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
port=${GDB_PORT:-1234}
elf=$build/kernel/kernel.elf
log=$build/gdb-serial.log

command -v gdb >/dev/null || { echo "gdb.sh: gdb is not installed (Debian package gdb)" >&2; exit 2; }
[ -f "$elf" ] || { echo "gdb.sh: no $elf (run make)" >&2; exit 2; }

# run-qemu.sh checks the options and that the port is free, on this
# terminal, before anything starts.
BUILD=$build "$top/run-qemu.sh" --no-build --gdb-port "$port" --dry-run "$@" >/dev/null

# Is a TCP socket listening on the port (any address)? Read from /proc, not
# by connecting: a connection that closes would let QEMU start the kernel.
port_listening() { "$top/tools/port-listening.sh" "$port"; }

group=
# shellcheck disable=SC2317 # called by the EXIT trap
stop_qemu() {
	[ -n "$group" ] || return 0
	kill -TERM -- "-$group" 2>/dev/null || return 0
	for _ in $(seq 50); do
		kill -0 -- "-$group" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL -- "-$group" 2>/dev/null || true
}
trap stop_qemu EXIT
trap 'exit 129' HUP
trap 'exit 143' TERM

# setsid execs (the background child is no group leader), so $! is the
# group's id: run-qemu.sh, timeout and QEMU all in it.
BUILD=$build setsid "$top/run-qemu.sh" --no-build --gdb-port "$port" "$@" >"$log" 2>&1 </dev/null &
group=$!

# run-qemu.sh is still running (and no zombie)?
alive() { [ -r "/proc/$group/stat" ] && ! grep -q ') Z ' "/proc/$group/stat" 2>/dev/null; }

# Wait until QEMU listens, at most 30 s.
for _ in $(seq 300); do
	alive || break
	port_listening && break
	sleep 0.1
done
if ! alive || ! port_listening; then
	echo "gdb.sh: QEMU is not waiting for gdb on 127.0.0.1:$port; the end of $log:" >&2
	tail -n 5 "$log" | sed 's/^/  /' >&2
	exit 1
fi

status=0
gdb -q "$elf" \
	-ex "target remote 127.0.0.1:$port" \
	-ex "hbreak kmain" \
	-ex "echo Serial log: $log; breakpoint set on kmain; type c to continue\n" || status=$?
exit $status
