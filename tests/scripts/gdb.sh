#!/usr/bin/env bash
# `make gdb` (tools/gdb.sh) without a terminal, as CI runs it (issue 17):
#   1. gdb stops at kmain (the hbreak), `bt 2`, `kill`, `quit`: exit 0 and
#      no QEMU left behind;
#   2. the same again at once: kmain again, so the port was given back;
#   3. `quit` without `kill` (gdb detaches and QEMU would run on): no QEMU left;
#   4. the port held by a leftover QEMU, then by another listener (python3,
#      if installed): refused within 5 s in one line naming the port, QEMU
#      not started, gdb never attached.
# Every run is under `timeout`, so nothing hangs. Prints a line per check,
# then one result line; exits 0 when all passed.
# Environment: BUILD (whose kernel boots; default build), GDB_SH (the script
# under test; default tools/gdb.sh), GDB_PORT (default: the first free port
# from 1234). See docs/01-boot.md.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
gdb_sh=${GDB_SH:-$top/tools/gdb.sh}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gdb-test.XXXXXX")
checks=0 failed=0 holder=

port_listening() { "$top/tools/port-listening.sh" "$1"; }
if [ -z "${GDB_PORT:-}" ]; then
	for GDB_PORT in $(seq 1234 1260); do port_listening "$GDB_PORT" || break; done
fi
port=$GDB_PORT
export GDB_PORT

# pgrep (procps, tools/deps.sh) finds leftovers: without it the checks
# could not fail, so its absence is a failure of its own.
command -v pgrep >/dev/null || { echo "gdb: FAILED: pgrep is missing (Debian package procps)"; exit 1; }

# The QEMUs a run left: those booting our copy of the build (or, when
# GDB_SH is another tree's script, that tree's build/esp). Only these are
# ever killed; a listener on the port counts as a leftover too.
mine="$tmp/build/esp"
[ -z "${GDB_SH:-}" ] || mine="($mine|$(cd "$(dirname "$GDB_SH")/.." && pwd)/build/esp)"
leftovers() {
	pgrep -f "qemu-system-x86_64.*$mine" 2>/dev/null
}
left_running() {
	[ -n "$(leftovers)" ] || { [ -z "$holder" ] && port_listening "$port"; }
}
cleanup() {
	[ -z "$holder" ] || kill "$holder" 2>/dev/null
	local pids
	mapfile -t pids < <(leftovers)
	[ ${#pids[@]} = 0 ] || kill "${pids[@]}" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

ok() { echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1: $2"; }

# gdb_run WHAT COMMANDS: tools/gdb.sh with COMMANDS on stdin; sets rc, ms, log.
gdb_run() {
	log=$tmp/$1.log
	local t0
	t0=$(date +%s%N)
	printf '%b' "$2" | BUILD="$tmp/build" timeout 120 "$gdb_sh" >"$log" 2>&1
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
}
# No QEMU may outlive gdb.sh (two seconds for it to go).
check_gone() {
	local pids
	for _ in $(seq 20); do
		left_running || return 0
		sleep 0.1
	done
	mapfile -t pids < <(leftovers)
	why+=("QEMU left running (pids: ${pids[*]:-none of ours}; port $port $(port_listening "$port" && echo taken || echo free))")
	[ ${#pids[@]} = 0 ] || kill "${pids[@]}" 2>/dev/null
	sleep 1
}
# reaches_kmain WHAT COMMANDS
reaches_kmain() {
	local why=()
	checks=$((checks + 1))
	gdb_run "$1" "$2"
	[ $rc = 0 ] || why+=("exit status $rc")
	grep -q 'Breakpoint 1, kmain' "$log" || why+=("no 'Breakpoint 1, kmain'")
	grep -qE '#0 +kmain' "$log" || why+=("no '#0  kmain' from bt")
	check_gone
	if [ ${#why[@]} = 0 ]; then ok "$1 (${ms} ms)"; else
		bad "$1" "$(IFS=';'; echo "${why[*]}") (log: $(tail -n 3 "$log" | tr '\n' '|'))"
	fi
}
# refused WHAT: with the port held, gdb.sh must refuse.
refused() {
	local why=()
	checks=$((checks + 1))
	gdb_run "$1" 'c\nbt 2\nkill\nquit\n'
	[ $rc != 0 ] || why+=("exit status 0")
	[ $ms -le 15000 ] || why+=("took $ms ms")
	grep -qE "port.*'?$port'?.*in use|$port.*already in use" "$log" || why+=("no message naming port $port in use")
	! grep -q 'Remote debugging' "$log" || why+=("gdb attached to whatever held the port")
	if pgrep -f "qemu-system-x86_64.*$mine" >/dev/null; then why+=("QEMU was started"); fi
	check_gone
	if [ ${#why[@]} = 0 ]; then ok "$1: $(grep -m1 'in use' "$log")"; else
		bad "$1" "$(IFS=';'; echo "${why[*]}") (log: $(head -c 300 "$log" | tr '\n' '|'))"
	fi
}

# held WHAT: once the holder listens, gdb.sh must refuse.
held() {
	for _ in $(seq 100); do port_listening "$port" && break; sleep 0.1; done
	if port_listening "$port"; then refused "$1"; else
		checks=$((checks + 1))
		bad "$1" "the holder did not listen on port $port: $(head -c 200 "$tmp/holder.log" 2>/dev/null)"
	fi
}

if ! command -v gdb >/dev/null; then
	echo "gdb: FAILED: gdb is not installed (Debian package gdb)"
	exit 1
fi
if [ ! -f "$build/loader/BOOTX64.EFI" ] || [ ! -f "$build/kernel/kernel.elf" ]; then
	echo "gdb: FAILED: no $build/loader/BOOTX64.EFI or $build/kernel/kernel.elf: run make first"
	exit 1
fi
if port_listening "$port"; then
	echo "gdb: FAILED: port $port is in use before the test started"
	exit 1
fi
mkdir -p "$tmp/build/kernel" "$tmp/build/esp/EFI/BOOT" "$tmp/build/esp/labyrinth"
cp "$build/kernel/kernel.elf" "$tmp/build/kernel/"
cp "$build/kernel/kernel.elf" "$tmp/build/esp/labyrinth/"
cp "$build/loader/BOOTX64.EFI" "$tmp/build/esp/EFI/BOOT/"

reaches_kmain "kmain, bt, kill, quit" 'c\nbt 2\nkill\nquit\n'
reaches_kmain "the same again at once" 'c\nbt 2\nkill\nquit\n'
reaches_kmain "kmain, bt, quit without kill" 'c\nbt 2\nquit\n'

# A leftover QEMU holds the port, as one did before the fix (stopped at its
# first instruction: it needs a CPU for its gdb stub).
qemu-system-x86_64 -machine q35 -bios "${OVMF:-/usr/share/ovmf/OVMF.fd}" -display none \
	-nodefaults -net none -S -gdb "tcp:127.0.0.1:$port" </dev/null >"$tmp/holder.log" 2>&1 &
holder=$!
held "port held by a leftover QEMU"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
holder=
for _ in $(seq 50); do port_listening "$port" || break; sleep 0.1; done

if command -v python3 >/dev/null; then
	python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); time.sleep(120)' "$port" </dev/null >"$tmp/holder.log" 2>&1 &
	holder=$!
	held "port held by another listener"
	kill "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null
	holder=
fi

if [ $failed = 0 ]; then
	echo "gdb: all $checks checks passed (port $port)"
else
	echo "gdb: $failed of $checks checks FAILED (port $port)"
fi
[ $failed = 0 ]
