#!/usr/bin/env bash
# The test runner behind `make test`: the host suites (ASan/UBSan), then the
# QEMU boot matrix (tests/matrix.conf), at most two QEMUs at a time. Every
# failing case is named with the path of its log and followed by its last
# diagnostic lines, a crashed or hung boot by its log's last lines (a CI
# run shows nothing else of them), and the last line is
# "N passed, N failed" over host and target cases together.
#
# The libFuzzer targets (tests/fuzz/) also run for FUZZ_SMOKE_SECONDS each
# (default 20) with the host suites; each target counts as one case, and
# so does each input of tests/fuzz/regressions/, replayed first. So do
# the host stress's short run and its planted-bug run (tests/stress/).
#
# Before the host suites: the layout checks (tools/check-layout.sh,
# tools/check-docs.sh and their selftests), one case each.
#
# Before the boot matrix (not with --only): the script tests in
# tests/scripts/ (run-qemu.sh's refusals and cmdline, make gdb's clean-up,
# make diagrams' drawing against its node, make plots' two pictures of
# fragmentation and two of NUMA nodes),
# one case each.
#
# With the script tests: the course labs (docs/labs/): tools/lab.sh check,
# tools/lab.sh ci (every lab's solution scores full marks, its skeleton
# builds and loses the points of the cases it is about), the chapters'
# exercises (tools/lab.sh exercise) and tools/lab-selftest.sh; one case each.
#
# Usage: tests/run-tests.sh [--host-only | --matrix-only | --labs-only] [--only NAME[,NAME]]
# Expects the build to be done (make test does it). See docs/01-boot.md.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
out=$build/test
conf=$top/tests/matrix.conf
timeout_s=${MATRIX_TIMEOUT:-120}
jobs=${MATRIX_JOBS:-2}
do_host=1 do_matrix=1 do_labs=1 only=

while [ $# -gt 0 ]; do
	case "$1" in
	--host-only) do_matrix=0 do_labs=0; shift ;;
	--matrix-only) do_host=0 do_labs=0; shift ;;
	--labs-only) do_host=0 do_matrix=0; shift ;;
	--only) only=$2; shift 2 ;;
	*) echo "run-tests.sh: unknown option '$1'" >&2; exit 2 ;;
	esac
done

rm -rf "$out/host" "$out/matrix" "$out/fuzz" "$out/layout" "$out/scripts" "$out/cwd" "$out/labs" "$out/stress"
mkdir -p "$out"

# Writes <dir>/result ("passed N", "failed N") and <dir>/failures from a
# KTAP log. An incomplete KTAP stream counts as one more failure.
score_ktap() { # log dir what
	local summary
	summary=$(awk -v context=12 -f "$top/tools/ktap_summary.awk" "$1")
	local counts p f s complete
	counts=$(grep '^RESULT ' <<<"$summary")
	read -r _ p f s complete <<<"$counts"
	# A failed case's own diagnostics follow its line, and an unfinished
	# stream's last lines follow the note on it: CI shows only these.
	awk -v what="$3" -v logpath="${1#"$top"/}" '
		/^FAIL / { sub(/^FAIL /, ""); print what ": " $0 " (log: " logpath ")"; next }
		/^INCOMPLETE / {
			sub(/^INCOMPLETE /, "")
			print what ": KTAP incomplete or missing (crash, hang or no plan) " $0 " (log: " logpath ")"
			next
		}
		/^  \| / { print }' <<<"$summary" >>"$2/failures"
	[ "$complete" != 1 ] && f=$((f + 1))
	echo "$p $f $s" >"$2/counts"
}

run_host() {
	local dir=$out/host
	rm -rf "$dir" && mkdir -p "$dir"
	: >"$dir/failures"
	"$build/host/ktest-host" all >"$dir/host.ktap" 2>"$dir/stderr.log"
	local status=$?
	score_ktap "$dir/host.ktap" "$dir" host
	if [ $status -ne 0 ] && [ ! -s "$dir/failures" ]; then
		read -r p f s <"$dir/counts"
		echo "$p $((f + 1)) $s" >"$dir/counts"
		echo "host: ktest-host exited with status $status (log: ${dir#"$top"/}/stderr.log)" >>"$dir/failures"
	fi
}

trim() { sed 's/^[[:space:]]*//; s/[[:space:]]*$//' <<<"$1"; }

log_has() { grep -qF -- "$2" <(tr -d '\r' <"$1"); }

# The lines of the allocator shell's session (from its first prompt on)
# that start with $2.
shell_lines_starting() {
	tr -d '\r' <"$1" | sed -n '/labyrinth> /,$p' | awk -v p="$2" 'index($0, p) == 1'
}

# The tree's own rules (tools/check-layout.sh, tools/check-docs.sh) and the
# proof that each checker catches a planted fault; one case per script.
run_layout() {
	local dir=$out/layout t p=0 f=0
	rm -rf "$dir" && mkdir -p "$dir"
	: >"$dir/failures"
	for t in check-layout check-layout-selftest check-docs check-docs-selftest; do
		if "$top/tools/$t.sh" >"$dir/$t.log" 2>&1; then
			p=$((p + 1))
		else
			f=$((f + 1))
			echo "layout: tools/$t.sh failed (log: ${dir#"$top"/}/$t.log)" >>"$dir/failures"
		fi
		grep -E '^(layout|docs):' "$dir/$t.log" | sed 's/^/  /'
	done
	echo "$p $f 0" >"$dir/counts"
	echo "layout checks: $p passed, $f failed"
}

# The host binary finds its fixtures wherever it is started from (issue 17):
# tests/host/cwd-independent.sh runs it from /tmp and from a copy outside the
# tree; one case.
run_cwd() {
	local dir=$out/cwd
	rm -rf "$dir" && mkdir -p "$dir"
	: >"$dir/failures"
	if BUILD=$build "$top/tests/host/cwd-independent.sh" >"$dir/cwd.log" 2>&1; then
		echo "1 0 0" >"$dir/counts"
	else
		echo "0 1 0" >"$dir/counts"
		echo "host: tests/host/cwd-independent.sh failed (log: ${dir#"$top"/}/cwd.log)" >>"$dir/failures"
	fi
	tail -n 1 "$dir/cwd.log"
}

# The host stress (tests/stress/run-stress.sh): a short clean run must
# pass, the planted build must be caught; one case each.
run_stress() {
	local dir=$out/stress m p=0 f=0
	mkdir -p "$dir"
	: >"$dir/failures"
	for m in short planted; do
		if BUILD=$build "$top/tests/stress/run-stress.sh" --$m >"$dir/$m.log" 2>&1; then
			p=$((p + 1))
		else
			f=$((f + 1))
			echo "stress: run-stress.sh --$m failed (log: ${dir#"$top"/}/$m.log)" >>"$dir/failures"
		fi
		tail -n 1 "$dir/$m.log" | sed 's/^/  /'
	done
	echo "$p $f 0" >"$dir/counts"
}

# Runs each fuzz target briefly from its corpus; a crash is one failure.
# First, once each, the inputs that once failed (tests/fuzz/regressions/,
# named after their target): each is a failure of its own if it fails again.
run_fuzz() {
	local dir=$out/fuzz t p=0 f=0 r
	mkdir -p "$dir"
	: >"$dir/failures"
	for r in "$top"/tests/fuzz/regressions/*; do
		case ${r##*/} in fuzz_*-*) ;; *) continue ;; esac
		t=${r##*/}
		t=${t%%-*}
		if [ ! -x "$build/fuzz/$t" ]; then
			f=$((f + 1))
			echo "fuzz: regression input ${r#"$top"/} names no fuzz target ($t)" >>"$dir/failures"
		elif "$build/fuzz/$t" "$r" >"$dir/regression-${r##*/}.log" 2>&1; then
			p=$((p + 1))
		else
			f=$((f + 1))
			echo "fuzz: $t fails on its regression input ${r#"$top"/} again (log: ${dir#"$top"/}/regression-${r##*/}.log)" >>"$dir/failures"
		fi
	done
	# The checks' proof (tests/fuzz/planted/): each input passes the real
	# target and fails its planted build with the model's message; one
	# case each.
	for r in "$top"/tests/fuzz/planted/*; do
		case ${r##*/} in fuzz_*-*) ;; *) continue ;; esac
		t=${r##*/}
		t=${t%%-*}
		if "$build/fuzz/$t" "$r" >"$dir/planted-real-${r##*/}.log" 2>&1 &&
			! "$build/fuzz/$t-planted" "$r" >"$dir/planted-${r##*/}.log" 2>&1 &&
			grep -q "^$t: " "$dir/planted-${r##*/}.log"; then
			p=$((p + 1))
			echo "fuzz: planted bug caught on ${r##*/}: $(grep -m1 "^$t: " "$dir/planted-${r##*/}.log" | cut -c1-90)"
		else
			f=$((f + 1))
			echo "fuzz: ${r#"$top"/}: the real $t must pass it and $t-planted must fail it with a model check (logs: ${dir#"$top"/}/planted-*${r##*/}.log)" >>"$dir/failures"
		fi
	done
	for t in fuzz_memmap fuzz_alloc; do
		# FUZZ_ALLOC_STATS: fuzz_alloc says how often it reached its
		# compaction steps (tests/fuzz/fuzz_alloc_compact.c).
		if (cd "$build/fuzz" && FUZZ_ALLOC_STATS=1 "./$t" -max_total_time="${FUZZ_SMOKE_SECONDS:-20}" \
			-max_len=8192 -artifact_prefix="$t-" "$t.corpus" >"$dir/$t.log" 2>&1); then
			p=$((p + 1))
			grep -h '^fuzz_alloc compaction steps' "$dir/$t.log" | sed 's/^/fuzz: /'
		else
			f=$((f + 1))
			echo "fuzz: $t found a failing input (log: ${dir#"$top"/}/$t.log)" >>"$dir/failures"
		fi
	done
	echo "$p $f 0" >"$dir/counts"
	echo "fuzz targets, regression inputs and planted bugs: $p passed, $f failed"
}

# The tests of the scripts themselves (tests/scripts/*.sh, each ending in
# one result line); one case per script, each under a time limit.
run_scripts() {
	local dir=$out/scripts t name p=0 f=0
	rm -rf "$dir" && mkdir -p "$dir"
	: >"$dir/failures"
	for t in "$top"/tests/scripts/*.sh; do
		name=$(basename "$t" .sh)
		if BUILD=$build timeout 600 "$t" >"$dir/$name.log" 2>&1 </dev/null; then
			p=$((p + 1))
		else
			f=$((f + 1))
			echo "scripts: tests/scripts/$name.sh failed (log: ${dir#"$top"/}/$name.log)" >>"$dir/failures"
		fi
		tail -n 1 "$dir/$name.log" | sed 's/^/  /'
	done
	echo "$p $f 0" >"$dir/counts"
	echo "script tests: $p passed, $f failed"
}

# The labs' graders and checks (tools/lab.sh, tools/lab-selftest.sh): they
# build scratch copies starting from this build, and boot the find-the-bug
# lab's configuration twice (solution and skeleton); one case each.
run_labs() {
	local dir=$out/labs name p=0 f=0
	rm -rf "$dir" && mkdir -p "$dir"
	: >"$dir/failures"
	local checks=("check:check" "ci:ci" "exercises:exercise all") branch
	# On a student's lab branch (make lab-start) the lab's regions hold
	# the student's work, not the solution the checks expect.
	branch=$(git -C "$top" rev-parse --abbrev-ref HEAD 2>/dev/null)
	if [ -n "$branch" ] && git -C "$top" config "branch.$branch.labbase" >/dev/null 2>&1; then
		echo "0 0 0" >"$dir/counts"
		echo "lab checks: skipped on $branch, a branch made by lab-start (make grade LAB=${branch#lab-} grades it)"
		return
	fi
	for t in "${checks[@]}" "selftest:"; do
		name=${t%%:*}
		if [ "$name" = selftest ]; then
			BUILD=$build timeout 600 "$top/tools/lab-selftest.sh" >"$dir/$name.log" 2>&1 </dev/null
		else
			# shellcheck disable=SC2086
			BUILD=$build timeout 600 "$top/tools/lab.sh" ${t#*:} >"$dir/$name.log" 2>&1 </dev/null
		fi
		if [ $? = 0 ]; then
			p=$((p + 1))
		else
			f=$((f + 1))
			echo "labs: $name failed (tools/lab.sh ${t#*:}; log: ${dir#"$top"/}/$name.log)" >>"$dir/failures"
		fi
		grep -E '^(labs|exercise)' "$dir/$name.log" | sed 's/^/  /'
	done
	echo "$p $f 0" >"$dir/counts"
	echo "lab checks: $p passed, $f failed"
}

run_config() { # name options cmdline kernel expect
	local name=$1 opts=$2 cmdline=$3 kernel=$4 expect=$5
	local dir=$out/matrix/$name log=$out/matrix/$name/serial.log
	rm -rf "$dir" && mkdir -p "$dir/esp/EFI/BOOT" "$dir/esp/labyrinth"
	: >"$dir/failures"
	cp "$build/loader/BOOTX64.EFI" "$dir/esp/EFI/BOOT/"
	case "$kernel" in
	kernel.elf) cp "$build/esp/labyrinth/kernel.elf" "$dir/esp/labyrinth/kernel.elf" ;;
	none) ;;
	*) cp "$build/test/bad-elf/$kernel" "$dir/esp/labyrinth/kernel.elf" ;;
	esac
	printf '%s\n' "$cmdline" >"$dir/esp/labyrinth/cmdline.txt"

	local bad_items=0 want_ktap=0 want_exit=pass exit_given=0 lines=() same=() input=() item limit=$timeout_s
	IFS=';' read -ra items <<<"$expect"
	for item in "${items[@]}"; do
		item=$(trim "$item")
		case "$item" in
		ktap) want_ktap=1 ;;
		exit=*) want_exit=${item#exit=} exit_given=1 ;;
		timeout=*) limit=${item#timeout=} ;;
		line=*) lines+=("${item#line=}") ;;
		same=*) same+=("${item#same=}") ;;
		input=*)
			input=(--input "$top/${item#input=}")
			if [ ! -f "$top/${item#input=}" ]; then
				bad_items=$((bad_items + 1))
				echo "$name: no input file '${item#input=}' (tests/matrix.conf)" >>"$dir/failures"
			fi ;;
		"") ;;
		*) bad_items=$((bad_items + 1)); echo "$name: bad expectation '$item' in tests/matrix.conf" >>"$dir/failures" ;;
		esac
	done
	# Only expected lines and no exit code to wait for (the loader tests:
	# the firmware carries on after the loader fails): stop once all appear.
	[ $want_ktap = 0 ] && [ $exit_given = 0 ] && want_exit=any

	: >"$log"
	# shellcheck disable=SC2086
	setsid "$top/run-qemu.sh" --no-build --esp "$dir/esp" --timeout "$limit" \
		$opts "${input[@]}" >"$log" 2>&1 </dev/null &
	local pid=$! status=
	while kill -0 $pid 2>/dev/null; do
		if [ "$want_exit" = any ] && [ ${#lines[@]} -gt 0 ]; then
			local all=1 l
			for l in "${lines[@]}"; do log_has "$log" "$l" || { all=0; break; }; done
			if [ $all = 1 ]; then kill -- -$pid 2>/dev/null; status=killed; break; fi
		fi
		sleep 0.5
	done
	wait $pid 2>/dev/null
	local rc=$?
	[ -z "$status" ] && status=$rc

	# A malformed expectation is a failure, never a silent pass.
	local p=0 f=$bad_items s=0 rel=${log#"$top"/}
	if [ $want_ktap = 1 ]; then
		score_ktap "$log" "$dir" "$name"
		read -r p f s <"$dir/counts"
	fi
	case "$want_exit:$status" in
	pass:0 | fail:1 | any:*) ;;
	pass:1) # the kernel's verdict was "fail": name the cases, unless none were
		[ "$f" -gt 0 ] || { f=$((f + 1)); echo "$name: the kernel reported failure but no case failed (log: $rel)" >>"$dir/failures"; } ;;
	*:124) f=$((f + 1)); echo "$name: timed out after ${limit}s (log: $rel)" >>"$dir/failures" ;;
	*) f=$((f + 1)); echo "$name: expected exit '$want_exit', QEMU run ended with status $status (log: $rel)" >>"$dir/failures" ;;
	esac
	for l in "${lines[@]}"; do
		if log_has "$log" "$l"; then p=$((p + 1)); else
			f=$((f + 1)); echo "$name: expected line not in the log: '$l' (log: $rel)" >>"$dir/failures"
		fi
	done
	# same=TEXT: the shell session's lines starting with TEXT (at least
	# two) are all the same: what was printed before and after commands
	# that must not change it.
	for l in "${same[@]}"; do
		local seen distinct
		seen=$(shell_lines_starting "$log" "$l" | grep -c '')
		distinct=$(shell_lines_starting "$log" "$l" | sort -u | grep -c '')
		if [ "$seen" -ge 2 ] && [ "$distinct" = 1 ]; then p=$((p + 1)); else
			f=$((f + 1)); echo "$name: the $seen shell lines starting '$l' are not all the same ($distinct different) (log: $rel)" >>"$dir/failures"
		fi
	done
	# A configuration that checks no KTAP is one case of its own.
	if [ $want_ktap = 0 ]; then
		if [ "$f" = 0 ]; then p=1; else p=0 f=1; fi
	fi
	echo "$p $f $s" >"$dir/counts"
	if [ "$f" = 0 ]; then echo "  ok   $name ($p passed)"; else echo "  FAIL $name"; fi
}

run_matrix() {
	rm -rf "$out/bad-elf"
	mkdir -p "$out/matrix" "$out/bad-elf"
	local running=0 matched=0
	mkdir -p "$out/matrix/runner"
	: >"$out/matrix/runner/failures"
	echo "0 0 0" >"$out/matrix/runner/counts"
	# Anything that stops the matrix from running is a failure, never a pass.
	runner_failed() {
		echo "matrix: $1" >>"$out/matrix/runner/failures"
		echo "0 1 0" >"$out/matrix/runner/counts"
		echo "  FAIL $1"
	}
	if [ ! -r "$conf" ]; then
		runner_failed "cannot read $conf"
		return
	fi
	if ! "$build/host/make-bad-elf" "$build/kernel/kernel.elf" "$out/bad-elf"; then
		runner_failed "make-bad-elf could not derive the broken kernels"
		return
	fi
	while IFS='|' read -r name opts cmdline kernel expect; do
		name=$(trim "$name")
		case "$name" in "" | \#*) continue ;; esac
		if [ -n "$only" ] && [[ ",$only," != *",$name,"* ]]; then continue; fi
		matched=$((matched + 1))
		run_config "$name" "$(trim "$opts")" "$(trim "$cmdline")" \
			"$(trim "$kernel")" "$expect" &
		running=$((running + 1))
		if [ $running -ge "$jobs" ]; then wait -n; running=$((running - 1)); fi
	done <"$conf"
	wait
	[ "$matched" -gt 0 ] || runner_failed "no configuration matched${only:+ --only $only}"
}

if [ $do_host = 1 ]; then
	run_layout
	run_host
	read -r p f s <"$out/host/counts"
	echo "host suites: $p passed, $f failed"
	run_cwd
	run_stress
	run_fuzz
fi
[ $do_matrix = 1 ] && [ -z "$only" ] && run_scripts
[ $do_labs = 1 ] && [ -z "$only" ] && run_labs
[ $do_matrix = 1 ] && { echo "boot matrix ($conf):"; run_matrix; }

passed=0 failed=0 skipped=0
while read -r p f s; do
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
done < <(find "$out" -name counts -exec cat {} +)
if [ $failed -gt 0 ]; then
	echo "failures:"
	find "$out" -name failures -exec cat {} + | sed 's/^/  /'
fi
[ $skipped -gt 0 ] && echo "($skipped skipped)"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
