#!/usr/bin/env bash
# run-qemu.sh's answer to every bad input (issue 17). Each bad option class
# must be refused with one line on stderr that names the option and the
# value, exit status 2, within 10 s (a loaded CI host is slow; a boot takes
# far longer), and before make or QEMU starts: stand-ins
# for both, first in PATH, record any call. Good values must pass a --dry-run
# and reach QEMU's command line as given. And a plain run after a --cmdline
# run must boot the empty default, not the cmdline that run left in the ESP:
# two short real boots of a copy of the build read the loader's line.
#
# Prints a line per check, then one result line; exits 0 when all passed.
# Environment: BUILD (whose loader and kernel boot; default build), RUN_QEMU
# (the script under test; default ./run-qemu.sh). See docs/01-boot.md.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
script=${RUN_QEMU:-$top/run-qemu.sh}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/run-qemu-options.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
checks=0 failed=0 boot_group=

# The stand-ins, and a build folder whose ESP holds what an earlier
# `./run-qemu.sh --cmdline "ktest=all"` left there.
mkdir -p "$tmp/bin" "$tmp/fake/esp/EFI/BOOT" "$tmp/fake/esp/labyrinth" "$tmp/not-an-esp"
for t in make qemu-system-x86_64; do
	printf '#!/bin/sh\necho "%s $*" >>"%s/started"\nexit 99\n' "$t" "$tmp" >"$tmp/bin/$t"
	chmod +x "$tmp/bin/$t"
done
: >"$tmp/fake/esp/EFI/BOOT/BOOTX64.EFI"
printf 'ktest=all\n' >"$tmp/fake/esp/labyrinth/cmdline.txt"
# Scripts for --input: one to feed, one empty, one unreadable.
printf 'help\nexit\n' >"$tmp/script.txt"
: >"$tmp/empty.txt"
printf 'help\n' >"$tmp/secret.txt" && chmod 000 "$tmp/secret.txt"

ok() { echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1: $2"; }

# Runs the script under the stand-ins; sets rc, out, err, ms, started.
run() {
	rm -f "$tmp/started"
	local t0
	t0=$(date +%s%N)
	(cd "$tmp" && PATH="$tmp/bin:$PATH" BUILD="$tmp/fake" timeout 20 "$script" "$@" \
		>"$tmp/out" 2>"$tmp/err" </dev/null)
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	out=$(cat "$tmp/out") err=$(cat "$tmp/err")
	started=$(head -n 1 "$tmp/started" 2>/dev/null | cut -c1-60)
}

# refused WHAT REGEX ARGS...: exit 2 in one stderr line matching REGEX
# (which names the option and value), quickly, nothing started.
refused() {
	local what=$1 want=$2 why=()
	shift 2
	checks=$((checks + 1))
	run "$@"
	[ $rc = 2 ] || why+=("exit status $rc, not 2")
	[ -z "$started" ] || why+=("started: $started")
	[ $ms -le 10000 ] || why+=("took $ms ms")
	[ -z "$out" ] || why+=("printed on stdout")
	[ "$(grep -c '' <<<"$err")" = 1 ] || why+=("$(grep -c '' <<<"$err") lines on stderr")
	grep -qE -- "^run-qemu.sh: $want" <<<"$err" || why+=("message not /$want/")
	if [ ${#why[@]} = 0 ]; then ok "$what: $err"; else
		bad "$what" "$(IFS=';'; echo "${why[*]}") [stderr: $(head -c 300 <<<"$err" | tr '\n' '|')]"
	fi
}

# accepted WHAT REGEX ARGS...: a --dry-run exits 0, starts nothing, and its
# stdout (the cmdline line and QEMU's command) matches REGEX.
accepted() {
	local what=$1 want=$2 why=()
	shift 2
	checks=$((checks + 1))
	run --dry-run "$@"
	[ $rc = 0 ] || why+=("exit status $rc, not 0")
	[ -z "$started" ] || why+=("started: $started")
	grep -qE -- "$want" <<<"$out" || why+=("stdout not /$want/")
	if [ ${#why[@]} = 0 ]; then ok "$what"; else
		bad "$what" "$(IFS=';'; echo "${why[*]}") [stdout: $(head -c 200 <<<"$out" | tr '\n' '|') stderr: $(head -c 200 <<<"$err" | tr '\n' '|')]"
	fi
}

# --------------------------------------------------------------- refusals
# No --no-build: a refusal must come before the build too.
refused "-m zero" "-m '0': zero" -m 0
refused "-m negative" "-m '-1G': a memory size cannot be negative" -m -1G
refused "-m huge" "-m '100T': too large" -m 100T
refused "-m too many digits" "-m '99999999999999999999M': too large" -m 99999999999999999999M
refused "-m malformed" "-m '12X': not a size" -m 12X
refused "-m fraction" "-m '1.5G': not a size" -m 1.5G
refused "-m QEMU's size= form" "-m 'size=1G': not a size" -m size=1G
refused "-m empty" "-m '': empty" -m ''
refused "-m below the minimum, q35" "-m '32M': below the 48M OVMF needs on q35" -m 32M
refused "-m below the minimum, pc" "-m '40M': below the 48M OVMF needs on pc" --machine pc -m 40M
refused "-m bare number is MiB" "-m '47': below the 48M" -m 47
refused "-m in K" "-m '49151K': below the 48M" -m 49151K
refused "-m below the minimum for 16 CPUs" "-m '51M': below the 52M OVMF needs on q35 with 16 CPUs" -c 16 -m 51M
refused "--memory=SIZE" "--memory '20M': below the 48M" --memory=20M
refused "-mSIZE" "-m '16M': below the 48M" -m16M
refused "-m without a value" "-m needs a value" -m
refused "-m followed by an option" "-m needs a value, but the next word is the option '--no-build'" -m --no-build
refused "--cpus zero" "-c '0': the guest needs at least 1 CPU" -c 0
refused "--cpus negative" "-c '-2': a number of CPUs cannot be negative" -c -2
refused "--cpus not a number" "--cpus 'two': not a number of CPUs" --cpus two
refused "--cpus empty" "--cpus '': not a number of CPUs" --cpus ''
refused "--cpus over QEMU's q35 limit" "-c '300': QEMU's q35 machine takes at most 288" -c 300
refused "--cpus over QEMU's pc limit" "-c '256': QEMU's pc machine takes at most 255" --machine pc -c 256
refused "--cpus without a value" "--cpus needs a value" --cpus
refused "--timeout negative" "--timeout '-5': cannot be negative" --timeout -5
refused "--timeout with a unit" "--timeout '5m': not a whole number of seconds" --timeout 5m
refused "--timeout empty" "--timeout '': not a whole number of seconds" --timeout ''
refused "--timeout without a value" "--timeout needs a value" --timeout
refused "--machine upper case" "--machine 'Q35': must be q35 or pc" --machine Q35
refused "--machine other" "--machine 'virt': must be q35 or pc" --machine virt
refused "--machine empty" "--machine '': must be q35 or pc" --machine ''
refused "--machine without a value" "--machine needs a value" --machine
long=$(printf '%02048d' 0)
refused "--cmdline over 2047 bytes" "--cmdline '0{20,}\.\.\.' \(2048 bytes\): the loader reads at most 2047 bytes" --cmdline "$long"
refused "--cmdline non-ASCII" "--cmdline .*: non-ASCII byte 0xe2 at byte 0" --cmdline $'\xe2\x80\x9cktest=all\xe2\x80\x9d'
refused "--cmdline newline" "--cmdline \\$'ktest=all\\\\nloglevel=7': contains a line end" --cmdline $'ktest=all\nloglevel=7'
refused "--cmdline CRLF" "--cmdline \\$'ktest=all\\\\r': contains a carriage return" --cmdline $'ktest=all\r'
refused "--cmdline control character" "--cmdline .*: control character 0x1b at byte 9" --cmdline $'ktest=all\e[1m'
refused "--cmdline without a value" "--cmdline needs a value" --cmdline
refused "--cmdline with --image" "--cmdline with --image" --image --cmdline ktest=all
refused "--esp missing folder" "--esp '/nonexistent/esp': no such folder" --esp /nonexistent/esp
refused "--esp not an ESP" "--esp '$tmp/not-an-esp': not an ESP folder" --esp "$tmp/not-an-esp"
refused "--esp empty" "--esp '': empty" --esp ''
refused "--esp without a value" "--esp needs a value" --esp
refused "--gdb-port zero" "--gdb-port '0': not a TCP port" --gdb-port 0
refused "--gdb-port too high" "--gdb-port '70000': not a TCP port" --gdb-port 70000
refused "unknown long option" "unknown option '--bogus'" --bogus
refused "unknown short option" "unknown option '-x'" -x
refused "QEMU's option before --" "unknown option '-machine' .*after --" -machine pc
refused "stray argument" "unexpected argument 'ktest=all'" ktest=all
refused "value for a flag" "--gdb takes no value" --gdb=1
refused "--shell with a value" "--shell takes no value" --shell=1
refused "--shell with --image" "--shell with --image: the image carries its own cmdline" --image --shell
refused "--input with --image" "--input with --image" --image --input "$tmp/script.txt"
refused "--input without a value" "--input needs a value" --input
refused "--input followed by an option" "--input needs a value, but the next word is the option '--no-build'" --input --no-build
refused "--input empty" "--input '': empty" --input ''
refused "--input missing file" "--input '/nonexistent/script.txt': no such file" --input /nonexistent/script.txt
refused "--input a folder" "--input '$tmp': not a regular file" --input "$tmp"
refused "--input empty file" "--input '$tmp/empty.txt': empty file" --input "$tmp/empty.txt"
if [ "$(id -u)" != 0 ]; then
	refused "--input unreadable" "--input '$tmp/secret.txt': not readable" --input "$tmp/secret.txt"
fi

# --------------------------------------------------------------- accepted
accepted "-m at the minimum" "^qemu-system-x86_64 .*-m 48M " -m 48M
accepted "-m bare MiB" "-m 64 " -m 64
accepted "-m in K" "-m 49152K " -m 49152K
accepted "-m lower-case suffix" "-m 512m " -m 512m
accepted "--memory=SIZE, -cN, pc" "-machine pc .*-m 1G -smp 2 " --machine pc --memory=1G -c2
accepted "-m at the minimum for 16 CPUs" "-m 52M -smp 16 " -m 52M -c 16
accepted "--timeout 0 (no limit)" "qemu-system-x86_64" --timeout 0
accepted "--cmdline of 2047 bytes" "cmdline \"0{2047}\"" --cmdline "${long:1}"
accepted "--cmdline with a tab" "cmdline \"ktest=all	loglevel=7\"" --cmdline $'ktest=all\tloglevel=7'
accepted "--cmdline empty" "cmdline \"\" \(--cmdline\)" --cmdline ''
accepted "--gdb-port" "-gdb tcp:127.0.0.1:1235 -S" --gdb-port 1235
accepted "--esp with --image (the test runner's image-boot)" "file=$tmp/fake/labyrinth.img" --image --esp "$tmp/fake/esp"
accepted "--shell adds shell=1" 'with cmdline "shell=1" \(the default; --cmdline sets one for a run, shell=1 added by --shell\)' --shell
# (The dry run prints QEMU's command with printf %q: commas come escaped.)
accepted "--shell: ctrl-C to the guest, Ctrl-A x to QEMU" '-chardev stdio\\,id=con0\\,mux=on\\,signal=off -serial chardev:con0 -mon chardev=con0\\,mode=readline' --shell
checks=$((checks + 1))
run --dry-run --shell
if [ $rc = 0 ] && grep -q '^qemu-system-x86_64 ' <<<"$out" && ! grep -q -- '-no-reboot' <<<"$out"; then
	ok "--shell: reboot reboots (no -no-reboot)"
else
	bad "--shell: reboot reboots" "exit $rc, stdout '$out'"
fi
accepted "--shell after --cmdline" 'cmdline "page_owner=on shell=1" \(--cmdline, shell=1 added by --shell\)' --shell --cmdline page_owner=on
accepted "--shell with shell=1 given" 'cmdline "shell=1 loglevel=7" \(--cmdline\)$' --shell --cmdline "shell=1 loglevel=7"
accepted "--shell with an --esp folder" 'cmdline "ktest=all shell=1" \(.*/fake/esp/labyrinth/cmdline.txt, shell=1 added' --shell --esp "$tmp/fake/esp"
accepted "--input" "would feed $tmp/script.txt to the serial port after the first 'labyrinth> '" --input "$tmp/script.txt"
accepted "--input adds shell=1" 'cmdline "shell=1" .*shell=1 added by --input' --input "$tmp/script.txt"
accepted "--input keeps -serial stdio and -no-reboot" "-serial stdio -display none -net none -no-reboot" --input "$tmp/script.txt"
# More CPUs than the kernel's 64: a warning, and QEMU gets them all.
checks=$((checks + 1))
run --dry-run -c 66
if [ $rc = 0 ] && grep -qE -- "-smp 66 " <<<"$out" && grep -qE "^run-qemu.sh: warning: -c 66: the kernel brings up at most 64 CPUs" <<<"$err"; then
	ok "--cpus over the kernel's limit warns: $err"
else
	bad "--cpus over the kernel's limit" "exit $rc, stdout '$out', stderr '$err'"
fi

# --------------------------------------------------------------- cmdline
# The ESP holds "ktest=all" from an earlier --cmdline run: a plain run must
# boot the empty default; an --esp folder boots its own (the test runner's).
accepted "plain run after a --cmdline run boots the default" \
	'would boot .*/fake/esp with cmdline "" \(the default' --no-build
accepted "--esp folder boots its own cmdline.txt" \
	'with cmdline "ktest=all" \(.*/fake/esp/labyrinth/cmdline.txt\)' --esp "$tmp/fake/esp"

# The same with real boots of a copy of the build: --cmdline ktest=printk
# (it passes and exits), then a plain run, stopped once the loader has
# named its cmdline.
stop_boot() { [ -z "$boot_group" ] || kill -- "-$boot_group" 2>/dev/null; boot_group=; }
trap 'stop_boot; rm -rf "$tmp"' EXIT
boot() { # WHAT REGEX ARGS...
	local what=$1 want=$2 log=$tmp/boot.log
	shift 2
	checks=$((checks + 1))
	: >"$log"
	BUILD="$tmp/real" setsid "$script" --no-build -m 128M --timeout 90 "$@" >"$log" 2>&1 </dev/null &
	boot_group=$!
	local i
	for i in $(seq 900); do
		grep -qE -- "$want" <(tr -d '\r' <"$log") && break
		kill -0 "$boot_group" 2>/dev/null || break
		sleep 0.1
	done
	stop_boot
	wait 2>/dev/null
	local line
	line=$(tr -d '\r' <"$log" | grep -aE '^boot: kernel at' | head -n 1)
	if grep -qE -- "$want" <(tr -d '\r' <"$log"); then ok "$what: $line"; else
		bad "$what" "no /$want/ in the serial log after $((i / 10)) s; the loader said: '${line:-nothing}'"
	fi
}
if [ -f "$build/loader/BOOTX64.EFI" ] && [ -f "$build/kernel/kernel.elf" ]; then
	mkdir -p "$tmp/real/esp/EFI/BOOT" "$tmp/real/esp/labyrinth"
	cp "$build/loader/BOOTX64.EFI" "$tmp/real/esp/EFI/BOOT/"
	cp "$build/kernel/kernel.elf" "$tmp/real/esp/labyrinth/"
	boot "boot with --cmdline ktest=printk" '^boot: kernel at .*cmdline "ktest=printk"' --cmdline ktest=printk
	boot "the plain boot after it" '^boot: kernel at .*cmdline ""'
	# --input: the script reaches the shell whole, after its prompt.
	boot "--input feeds the shell" "^shell: bye after 2 commands, received $(wc -c <"$tmp/script.txt") bytes" --input "$tmp/script.txt"
else
	checks=$((checks + 1))
	bad "real boots" "no $build/loader/BOOTX64.EFI or $build/kernel/kernel.elf: run make first"
fi

if [ $failed = 0 ]; then
	echo "run-qemu-options: all $checks checks passed"
else
	echo "run-qemu-options: $failed of $checks checks FAILED"
fi
[ $failed = 0 ]
