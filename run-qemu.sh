#!/usr/bin/env bash
# Boots Labyrinth in QEMU + OVMF with the serial console on this terminal.
# Installs missing Debian packages (as root) and builds first, unless told not
# to. Run with --help for the options. See docs/01-boot.md.
#
# Every option is checked before anything is built or started: a bad value is
# named in one line on stderr and the script exits 2 (tests/scripts/ proves it).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
memory=256M memory_opt=-m
cpus=1 cpus_opt=--cpus
machine=q35
cmdline=
cmdline_set=0
gdb=0
gdb_port=1234
timeout_s=0
use_image=0
build=1
dry_run=0
esp=
esp_set=0
shell=0
input=
input_set=0
extra=()
# What the allocator shell prints when it is ready for a line
# (kernel/shell/shell.c); --input waits for it before feeding.
SHELL_PROMPT='labyrinth> '

# The smallest guest RAM with which OVMF (/usr/share/ovmf/OVMF.fd, QEMU 7.2)
# reaches our loader and the kernel boots, measured on q35 and pc alike with
# a 1.7 MB kernel.elf (the loader reads it whole: a larger one needs more;
# the ESP's copy has no debug info since, 0.7 MB):
#   16M, 24M     the firmware stops at once (QEMU exits, no verdict)
#   28M-40M      the firmware cannot load from the ESP: shell or boot manager
#   44M-46M      the loader starts, then runs out of memory reading kernel.elf
#   47M          boots with 1 to 4 CPUs; with 8 the loader runs out of memory
#   48M-64M      boots with 1 to 8 CPUs, the demo and ktest=all included
# OVMF takes more with each CPU past 8 (q35: 12 CPUs failed at 49M, 16 at
# 49M, 32 at 50M, 64 at 52M), so past 8 CPUs the floor is 50M and 1M for
# every 4 more CPUs (checked: 12 at 51M, 16 at 52M, 24 at 54M, 64 at 64M,
# 128 at 78M boot). Below it the user would only wait for the timeout.
MIN_MEMORY_MIB=48
min_memory_mib() { # CPUS
	if [ "$1" -le 8 ]; then echo $MIN_MEMORY_MIB; else echo $((MIN_MEMORY_MIB + 2 + ($1 - 8 + 3) / 4)); fi
}
# The loader copies at most this many bytes of cmdline.txt (boot/loader.c:
# CMDLINE_MAX - 1) and says it cut the rest.
CMDLINE_MAX_BYTES=2047
# The kernel brings up at most CONFIG_NR_CPUS CPUs (kernel/lib/config.h) and
# names each one it leaves out; QEMU itself takes at most 288 (q35) or 255 (pc).
kernel_cpus=$(sed -n 's/^#define[[:space:]]\{1,\}CONFIG_NR_CPUS[[:space:]]\{1,\}\([0-9]\{1,\}\).*/\1/p' \
	"$here/kernel/lib/config.h" 2>/dev/null || true)
kernel_cpus=${kernel_cpus:-8}

usage() {
	cat <<EOF
Usage: ./run-qemu.sh [options] [-- extra QEMU arguments]

Boots build/esp (a folder QEMU serves as a FAT drive) with OVMF; the kernel's
serial console is this terminal. Press Ctrl-C to stop QEMU.

  -m, --memory SIZE   guest RAM: a whole number with K, M, G or T, or a bare
                      number of MiB as QEMU reads it (default 256M; 8G puts RAM
                      above 4 GiB). At least ${MIN_MEMORY_MIB}M, below which OVMF cannot boot
                      us (more past 8 CPUs: 50M, and 1M for every 4 more)
  -c, --cpus N        number of CPUs (default 1; the kernel brings up at most $kernel_cpus)
  --machine TYPE      q35 (default) or pc
  --cmdline "TEXT"    kernel command line for this run (e.g. "ktest=all loglevel=7"),
                      printable ASCII, at most $CMDLINE_MAX_BYTES bytes. Without it build/esp
                      boots the empty default; an --esp folder boots its own cmdline.txt
  --image             boot the disk image from \`make image\` instead of build/esp
                      (its cmdline is the one \`make image CMDLINE=...\` wrote)
  --esp DIR           boot this ESP folder instead of build/esp (test runner)
  --shell             boot into the allocator shell (adds shell=1 to the cmdline):
                      type commands on this terminal (help lists them; ctrl-C
                      clears the line; exit leaves; Ctrl-A x stops QEMU)
  --input FILE        like --shell, but feed FILE to the serial port once the
                      shell shows its first prompt (a scripted session)
  --gdb               wait for gdb on 127.0.0.1:PORT before starting (see \`make gdb\`)
  --gdb-port PORT     the port for --gdb (default 1234); implies --gdb
  --timeout SEC       stop QEMU after SEC seconds (exit status 124; 0: no limit, the default)
  --no-build          do not run make first
  --dry-run           check the options, print the kernel cmdline and the QEMU
                      command, and stop: nothing is built, written or started
  -h, --help          this text

Long options also take --option=VALUE; -m and -c also -m256M, -c4.

Exit status: 0 when the kernel reported passing tests (ktest=...), 1 when
they failed, 2 when a bad option or a missing piece was refused before QEMU
started, 3 when QEMU stopped without a verdict (a reset or triple fault),
124 on timeout, otherwise QEMU's own status.
EOF
}

# A value as it can be shown in one line: escaped if it holds control or
# non-ASCII bytes, shortened if long.
shown() {
	local LC_ALL=C v=$1
	if [[ $v == *[^\ -~]* ]]; then v=$(printf '%q' "$v"); else v="'$v'"; fi
	if [ ${#v} -gt 60 ]; then v="${v:0:50}...' (${#1} bytes)"; fi
	printf '%s' "$v"
}
# refuse OPTION VALUE WHY: the one-line answer to a bad value; exit status 2.
refuse() {
	echo "run-qemu.sh: $1 $(shown "$2"): $3" >&2
	exit 2
}
die() {
	echo "run-qemu.sh: $*" >&2
	exit 2
}

# A whole number without leading zeros (bash reads 010 as octal); "" when it
# has more than 12 digits, which no option here can use.
decimal() {
	local d=${1#"${1%%[!0]*}"}
	[ -n "$d" ] || d=0
	[ ${#d} -le 12 ] && echo "$d" || echo ""
}

# ------------------------------------------------------------------ options
while [ $# -gt 0 ]; do
	opt=$1 val='' inline=0
	shift
	case "$opt" in
	--*=*) val=${opt#*=} opt=${opt%%=*} inline=1 ;;
	-[mc][0-9]*) val=${opt:2} opt=${opt:0:2} inline=1 ;;
	esac
	case "$opt" in
	-m | --memory | -c | --cpus | --machine | --cmdline | --esp | --timeout | --gdb-port | --input)
		if [ $inline = 0 ]; then
			[ $# -gt 0 ] || die "$opt needs a value (see --help)"
			val=$1
			shift
			# "-m --no-build": the value was forgotten and the next option taken
			# for it. A negative number is a value, refused below as one.
			case "$val" in -[0-9]*) ;; -?*) die "$opt needs a value, but the next word is the option '$val' (see --help)" ;; esac
		fi
		;;
	-h | --help | --image | --gdb | --no-build | --dry-run | --shell | --)
		[ $inline = 0 ] || die "$opt takes no value (got $(shown "$opt=$val"))"
		;;
	esac
	case "$opt" in
	-m | --memory) memory=$val memory_opt=$opt ;;
	-c | --cpus) cpus=$val cpus_opt=$opt ;;
	--machine) machine=$val ;;
	--cmdline) cmdline=$val cmdline_set=1 ;;
	--image) use_image=1 ;;
	--esp) esp=$val esp_set=1 ;;
	--shell) shell=1 ;;
	--input) input=$val input_set=1 shell=1 ;;
	--gdb) gdb=1 ;;
	--gdb-port) gdb_port=$val gdb=1 ;;
	--timeout) timeout_s=$val ;;
	--no-build) build=0 ;;
	--dry-run) dry_run=1 build=0 ;;
	-h | --help) usage; exit 0 ;;
	--) extra=("$@"); break ;;
	-*) die "unknown option $(shown "$opt") (see --help; QEMU's own options go after --)" ;;
	*) die "unexpected argument $(shown "$opt"): options start with -, QEMU's own go after -- (see --help)" ;;
	esac
done


# ------------------------------------------------------------------ values
# Each check sets the value's global as QEMU gets it, or refuses it. Bytes
# and ranges are counted in the C locale.
check_memory() {
	local LC_ALL=C n unit
	if [[ $memory =~ ^([0-9]+)([KkMmGgTt]?)$ ]]; then
		n=$(decimal "${BASH_REMATCH[1]}") unit=${BASH_REMATCH[2]:-M}
		[ -n "$n" ] || refuse "$memory_opt" "$memory" "too large: the guest CPU addresses at most 1T"
		case $unit in
		[Kk]) memory_kib=$n ;;
		[Mm]) memory_kib=$((n * 1024)) ;;
		[Gg]) memory_kib=$((n * 1024 * 1024)) ;;
		[Tt]) memory_kib=$((n * 1024 * 1024 * 1024)) ;;
		esac
	elif [ -z "$memory" ]; then
		refuse "$memory_opt" "$memory" "empty: give a size such as 256M or 8G"
	elif [[ $memory =~ ^-[0-9] ]]; then
		refuse "$memory_opt" "$memory" "a memory size cannot be negative"
	else
		refuse "$memory_opt" "$memory" "not a size: a whole number with K, M, G or T, or a bare number of MiB (e.g. 256M, 8G)"
	fi
	local min with=
	min=$(min_memory_mib "$cpus")
	[ "$cpus" -le 8 ] || with=" with $cpus CPUs"
	[ "$memory_kib" -gt 0 ] || refuse "$memory_opt" "$memory" "zero: the guest needs RAM (at least ${min}M)"
	if [ "$memory_kib" -lt $((min * 1024)) ]; then
		refuse "$memory_opt" "$memory" "below the ${min}M OVMF needs on $machine$with to boot Labyrinth (with less, the firmware or the loader runs out of memory and waits in its boot manager)"
	fi
	# 40-bit guest physical addresses (-cpu max under TCG).
	if [ "$memory_kib" -gt $((1024 * 1024 * 1024)) ]; then
		refuse "$memory_opt" "$memory" "too large: the guest CPU addresses at most 1T"
	fi
	# QEMU allocates guest RAM in one piece; unless the host overcommits
	# freely (vm.overcommit_memory=1), more than RAM + swap is refused.
	local host_kib
	if [ "$(cat /proc/sys/vm/overcommit_memory 2>/dev/null || echo 1)" != 1 ]; then
		host_kib=$(awk '/^(MemTotal|SwapTotal):/ { s += $2 } END { print s + 0 }' /proc/meminfo 2>/dev/null || echo 0)
		if [ "$host_kib" -gt 0 ] && [ "$memory_kib" -gt "$host_kib" ]; then
			refuse "$memory_opt" "$memory" "more than this host's $((host_kib / 1024 / 1024)) GiB of RAM and swap: QEMU could not allocate it"
		fi
	fi
}

check_cpus() {
	local LC_ALL=C n max_qemu=288
	[ "$machine" = pc ] && max_qemu=255
	if [[ $cpus =~ ^[0-9]+$ ]]; then
		n=$(decimal "$cpus")
		[ "$n" != 0 ] || refuse "$cpus_opt" "$cpus" "the guest needs at least 1 CPU"
		if [ -z "$n" ] || [ "$n" -gt $max_qemu ]; then
			refuse "$cpus_opt" "$cpus" "QEMU's $machine machine takes at most $max_qemu CPUs (and the kernel brings up $kernel_cpus)"
		fi
		cpus=$n
		if [ "$cpus" -gt "$kernel_cpus" ]; then
			cpu_warning="run-qemu.sh: warning: $cpus_opt $cpus: the kernel brings up at most $kernel_cpus CPUs (CONFIG_NR_CPUS); it refuses the other $((cpus - kernel_cpus)) by APIC ID and leaves them idle"
		fi
	elif [[ $cpus =~ ^-[0-9]+$ ]]; then
		refuse "$cpus_opt" "$cpus" "a number of CPUs cannot be negative"
	else
		refuse "$cpus_opt" "$cpus" "not a number of CPUs (1 to $kernel_cpus)"
	fi
}

check_timeout() {
	local LC_ALL=C n
	if [[ $timeout_s =~ ^[0-9]+$ ]]; then
		n=$(decimal "$timeout_s")
		[ -n "$n" ] || refuse --timeout "$timeout_s" "too large: at most 12 digits of seconds (0: no limit)"
		timeout_s=$n
	elif [[ $timeout_s =~ ^-[0-9]+$ ]]; then
		refuse --timeout "$timeout_s" "cannot be negative (0: no limit)"
	else
		refuse --timeout "$timeout_s" "not a whole number of seconds (0: no limit)"
	fi
}

check_gdb_port() {
	local LC_ALL=C n=
	[[ $gdb_port =~ ^[0-9]+$ ]] && n=$(decimal "$gdb_port")
	if [ -z "$n" ] || [ "$n" -lt 1 ] || [ "$n" -gt 65535 ]; then
		refuse --gdb-port "$gdb_port" "not a TCP port (1 to 65535)"
	fi
	gdb_port=$n
}

# The loader reads one line: it turns line ends and tabs into spaces and
# cuts what is past CMDLINE_MAX_BYTES. The kernel's options are printable
# ASCII. So all else is refused here, where it can still be named.
check_cmdline() {
	local LC_ALL=C before byte
	[ $use_image = 0 ] || die "--cmdline with --image: the image carries its own cmdline; rebuild it with make image CMDLINE='...'"
	if [ ${#cmdline} -gt $CMDLINE_MAX_BYTES ]; then
		refuse --cmdline "$cmdline" "the loader reads at most $CMDLINE_MAX_BYTES bytes (boot/loader.c) and would cut the rest"
	fi
	case "$cmdline" in
	*$'\n'*) refuse --cmdline "$cmdline" "contains a line end: the kernel command line is one line of words separated by spaces" ;;
	*$'\r'*) refuse --cmdline "$cmdline" "contains a carriage return (a Windows line end?): the kernel command line is one line of words separated by spaces" ;;
	esac
	if [[ $cmdline == *[^\ -~$'\t']* ]]; then
		before=${cmdline%%[^\ -~$'\t']*}
		byte=$(printf '%s' "${cmdline:${#before}:1}" | od -An -tx1 | tr -d ' \n')
		case $byte in
		[0-7]?) refuse --cmdline "$cmdline" "control character 0x$byte at byte ${#before}: the kernel's options are printable ASCII" ;;
		*) refuse --cmdline "$cmdline" "non-ASCII byte 0x$byte at byte ${#before}: the kernel's options are plain ASCII key=value words (typographic quotes pasted from a document?)" ;;
		esac
	fi
}

# Is a TCP socket listening on port $1, on any address?
port_listening() { "$here/tools/port-listening.sh" "$1"; }

case "$machine" in
q35 | pc) ;;
*) refuse --machine "$machine" "must be q35 or pc" ;;
esac
check_cpus
check_memory
check_timeout
check_gdb_port
[ $cmdline_set = 0 ] || check_cmdline
if [ $esp_set = 1 ]; then
	[ -n "$esp" ] || refuse --esp "$esp" "empty: give the ESP folder to boot"
	[ -d "$esp" ] || refuse --esp "$esp" "no such folder"
	[ -f "$esp/EFI/BOOT/BOOTX64.EFI" ] || refuse --esp "$esp" "not an ESP folder: it has no EFI/BOOT/BOOTX64.EFI (make builds one in build/esp)"
fi
if [ $input_set = 1 ]; then
	[ -n "$input" ] || refuse --input "$input" "empty: give the file of shell commands to feed"
	[ -e "$input" ] || refuse --input "$input" "no such file"
	[ -f "$input" ] || refuse --input "$input" "not a regular file"
	[ -r "$input" ] || refuse --input "$input" "not readable"
	[ -s "$input" ] || refuse --input "$input" "empty file: nothing to feed the shell"
	input=$(cd "$(dirname "$input")" && pwd)/$(basename "$input")
fi
if [ $shell = 1 ] && [ $use_image = 1 ]; then
	what=--shell
	[ $input_set = 0 ] || what=--input
	die "$what with --image: the image carries its own cmdline; rebuild it with make image CMDLINE='shell=1' and feed it yourself"
fi
if [ $gdb = 1 ] && port_listening "$gdb_port"; then
	# users:(("qemu-system-x86",pid=123,fd=9)) -> qemu-system-x86 (pid 123)
	holder=$(ss -Hltnp "sport = :$gdb_port" 2>/dev/null |
		sed -n 's/.*users:(("\([^"]*\)",pid=\([0-9]*\).*/\1 (pid \2)/p' | head -n 1 || true)
	die "--gdb: port $gdb_port is already in use${holder:+ by $holder}: an earlier QEMU still waiting for gdb? Stop it, or choose another port (--gdb-port; make gdb GDB_PORT=...)"
fi

# Warnings only once nothing was refused. The test runner passes --esp to
# every configuration, --image ones too (tests/matrix.conf: image-boot).
[ -z "${cpu_warning:-}" ] || echo "$cpu_warning" >&2
if [ $esp_set = 1 ] && [ $use_image = 1 ]; then
	echo "run-qemu.sh: note: --esp $(shown "$esp") is not booted: --image boots the disk image" >&2
fi

# ------------------------------------------------------------------ the run
build_dir=${BUILD:-$here/build}
[ $esp_set = 1 ] || esp=$build_dir/esp
image=$build_dir/labyrinth.img
cmdline_file=$esp/labyrinth/cmdline.txt

# What the kernel's cmdline will be, and where it comes from. build/esp
# boots --cmdline or the empty default: a --cmdline of an earlier run is
# never kept. An --esp folder (the test runner's) boots its own cmdline.txt.
if [ $use_image = 1 ]; then
	cmdline_from="the image's (make image CMDLINE=...)"
elif [ $cmdline_set = 1 ]; then
	cmdline_from="--cmdline"
elif [ $esp_set = 1 ]; then
	cmdline=$(cat "$cmdline_file" 2>/dev/null || true)
	cmdline_from="$cmdline_file"
else
	cmdline_from="the default; --cmdline sets one for a run"
fi
# --shell and --input add shell=1 (the kernel takes the last value given).
if [ $shell = 1 ]; then
	case " $cmdline " in
	*" shell=1 "*) ;;
	*)
		cmdline="${cmdline:+$cmdline }shell=1" cmdline_set=1
		if [ $input_set = 1 ]; then cmdline_from="$cmdline_from, shell=1 added by --input"; else cmdline_from="$cmdline_from, shell=1 added by --shell"; fi
		[ ${#cmdline} -le $CMDLINE_MAX_BYTES ] ||
			refuse --cmdline "$cmdline" "with shell=1 added it is longer than the $CMDLINE_MAX_BYTES bytes the loader reads"
		;;
	esac
fi

if [ $use_image = 1 ]; then
	drive=(-drive "format=raw,file=$image")
else
	drive=(-drive "format=raw,file=fat:rw:$esp")
fi
# shellcheck disable=SC2054 # the commas are QEMU's
args=(
	-machine "$machine" -cpu max -m "$memory" -smp "$cpus"
	-bios "${OVMF:-/usr/share/ovmf/OVMF.fd}"
	"${drive[@]}"
	-serial stdio -display none -net none -no-reboot
	-device isa-debug-exit,iobase=0xf4,iosize=0x04
)
if [ $shell = 1 ] && [ $input_set = 0 ]; then
	# Interactive: ctrl-C goes to the guest (signal=off), Ctrl-A x and the
	# QEMU monitor (Ctrl-A c) share the terminal (mux), and `reboot`
	# really reboots (no -no-reboot).
	# shellcheck disable=SC2054
	args=(-machine "$machine" -cpu max -m "$memory" -smp "$cpus"
		-bios "${OVMF:-/usr/share/ovmf/OVMF.fd}" "${drive[@]}"
		-chardev stdio,id=con0,mux=on,signal=off -serial chardev:con0
		-mon chardev=con0,mode=readline -display none -net none
		-device isa-debug-exit,iobase=0xf4,iosize=0x04)
fi
[ "$gdb" = 1 ] && args+=(-gdb "tcp:127.0.0.1:$gdb_port" -S)

if [ $dry_run = 1 ]; then
	if [ $use_image = 1 ]; then
		echo "run-qemu.sh: dry run: would boot $image with its own cmdline"
	else
		echo "run-qemu.sh: dry run: would boot $esp with cmdline \"$cmdline\" ($cmdline_from)"
	fi
	[ $input_set = 0 ] || echo "run-qemu.sh: dry run: would feed $input to the serial port after the first '$SHELL_PROMPT'" 
	printf '%q' qemu-system-x86_64
	printf ' %q' "${args[@]}" "${extra[@]}"
	echo
	exit 0
fi

"$here/tools/deps.sh"
if [ "$build" = 1 ]; then
	targets=(esp)
	[ "$use_image" = 0 ] || targets+=(image)
	make -C "$here" --no-print-directory -j2 ${BUILD:+BUILD="$BUILD"} "${targets[@]}" >&2
fi

if [ $use_image = 1 ]; then
	[ -f "$image" ] || die "no $image (run make image)"
	cmdline=$(MTOOLS_SKIP_CHECK=1 mtype -i "$image" ::/labyrinth/cmdline.txt 2>/dev/null || true)
else
	[ -f "$esp/EFI/BOOT/BOOTX64.EFI" ] || die "no $esp/EFI/BOOT/BOOTX64.EFI (run make)"
	if [ $esp_set = 0 ] || [ $cmdline_set = 1 ]; then
		mkdir -p "$esp/labyrinth"
		printf '%s' "$cmdline" >"$cmdline_file"
	fi
fi
echo "run-qemu.sh: kernel cmdline \"$cmdline\" ($cmdline_from)" >&2
[ "$gdb" = 1 ] && echo "run-qemu.sh: waiting for gdb on 127.0.0.1:$gdb_port" >&2

qemu=(qemu-system-x86_64)
[ "$timeout_s" -gt 0 ] && qemu=(timeout --foreground "$timeout_s" qemu-system-x86_64)
status=0
if [ $input_set = 1 ]; then
	# --input: QEMU's stdin is a FIFO that this script holds open (fd 3),
	# so QEMU never sees end of file. Its output goes through tee to a
	# file the feeder watches; at the first prompt the shell is listening
	# and the feeder writes FILE into the FIFO. QEMU's UART takes bytes
	# from it only while its FIFO has room, and the kernel pauses the UART
	# while its own ring is full (kernel/arch/x86/serial.c), so a long
	# script is paced, never cut.
	feed_dir=$(mktemp -d "${TMPDIR:-/tmp}/run-qemu-input.XXXXXX")
	mkfifo "$feed_dir/in"
	exec 3<>"$feed_dir/in"
	: >"$feed_dir/console"
	(
		until grep -qF -- "$SHELL_PROMPT" "$feed_dir/console"; do sleep 0.2; done
		cat "$input" >&3
	) &
	feeder=$!
	set +e
	"${qemu[@]}" "${args[@]}" "${extra[@]}" <"$feed_dir/in" 3>&- | tee "$feed_dir/console" 3>&-
	status=${PIPESTATUS[0]}
	set -e
	kill "$feeder" 2>/dev/null || true
	wait "$feeder" 2>/dev/null || true
	exec 3>&-
	rm -rf "$feed_dir"
else
	"${qemu[@]}" "${args[@]}" "${extra[@]}" || status=$?
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
