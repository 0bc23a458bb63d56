# shellcheck shell=bash
# Grading and the CI proof of the course labs, sourced by tools/lab.sh:
# `grade` builds a tree, runs the host suites and boots the configurations
# a lab's grade.conf names, and scores each case from the KTAP output
# (tools/ktap_summary.awk); `ci` grades the solution and the skeleton of
# every lab; `exercise` plants the chapters' exercises. Scratch trees are
# copies whose build starts from the tree's own build, so only the files a
# skeleton or exercise touches are compiled again. See docs/labs/README.md.
# It expects $top, die and the helpers of tools/lab-lib.sh from tools/lab.sh.
# shellcheck disable=SC2154

# Boots configuration $1 of tests/matrix.conf with the kernel and loader of
# build $2; the serial log goes to $3/serial.log.
lab_boot() { # config build outdir
	local name=$1 build=$2 dir=$3 line opts cmdline expect limit=120 item
	line=$(grep -E "^${name}[[:space:]]*\|" "$top/tests/matrix.conf" | head -1)
	IFS='|' read -r _ opts cmdline _ expect <<<"$line"
	IFS=';' read -ra items <<<"$expect"
	for item in "${items[@]}"; do
		item=$(trim "$item")
		case "$item" in timeout=*) limit=${item#timeout=} ;; esac
	done
	rm -rf "$dir" && mkdir -p "$dir/esp/EFI/BOOT" "$dir/esp/labyrinth"
	cp "$build/loader/BOOTX64.EFI" "$dir/esp/EFI/BOOT/" &&
		cp "$build/kernel/kernel.elf" "$dir/esp/labyrinth/" || return 1
	printf '%s\n' "$(trim "$cmdline")" >"$dir/esp/labyrinth/cmdline.txt"
	# shellcheck disable=SC2046
	BUILD=$build "$top/run-qemu.sh" --no-build --esp "$dir/esp" --timeout "$limit" \
		$(trim "$opts") >"$dir/serial.log" 2>&1 </dev/null
	return 0
}

# grade NAME [--tree DIR] [--no-build] [--host-ktap FILE] [--boot-log CONFIG=FILE]
# The last two score a given output instead of running (tools/lab-selftest.sh).
cmd_grade() {
	local name=${1:-} tree=$top nobuild=0 host_ktap='' boot_logs=() out
	known_lab "$name"
	shift
	while [ $# -gt 0 ]; do
		case "$1" in
		--tree) tree=$(cd "${2:?}" && pwd) || exit 2; shift 2 ;;
		--no-build) nobuild=1; shift ;;
		--host-ktap) host_ktap=${2:?}; shift 2 ;;
		--boot-log) boot_logs+=("${2:?}"); shift 2 ;;
		*) die "grade: unknown option '$1'" ;;
		esac
	done
	local bvar=${BUILD:-build} build
	case "$bvar" in /*) build=$bvar ;; *) build=$tree/$bvar ;; esac
	out=$build/lab/$name
	rm -rf "$out" && mkdir -p "$out"
	lab_spec "$tree" "$name" >"$out/spec" || { echo "Score: 0/0"; return 2; }
	local suites configs c
	suites=$(grep '^host|' "$out/spec" | cut -d'|' -f2 | sort -u | paste -sd,)
	configs=$(grep '^boot:' "$out/spec" | cut -d'|' -f1 | sed 's/^boot://' | sort -u)
	echo "grade: lab $name (docs/labs/$name/README.md)"

	local built=1
	if [ $nobuild = 0 ] && [ -z "$host_ktap" ] && [ ${#boot_logs[@]} = 0 ]; then
		local targets=("$bvar/host/ktest-host")
		[ -n "$configs" ] && targets+=(kernel loader)
		echo "grade: building (make ${targets[*]})"
		make -C "$tree" --no-print-directory -j2 BUILD="$bvar" "${targets[@]}" >"$out/build.log" 2>&1 ||
			{ built=0; echo "grade: the build failed; every case scores 0 (log: $out/build.log)"; tail -n 15 "$out/build.log" | sed 's/^/  | /'; }
	fi
	: >"$out/results"
	if [ -n "$suites" ] && [ $built = 1 ]; then
		if [ -n "$host_ktap" ]; then
			cp "$host_ktap" "$out/host.ktap"
		else
			timeout 300 "$build/host/ktest-host" "$suites" >"$out/host.ktap" 2>"$out/host.stderr"
		fi
		awk -v list=1 -f "$top/tools/ktap_summary.awk" "$out/host.ktap" | sed 's/^/host /' >>"$out/results"
	fi
	for c in $configs; do
		[ $built = 1 ] || break
		local log='' l
		for l in "${boot_logs[@]}"; do [ "${l%%=*}" = "$c" ] && log=${l#*=}; done
		if [ -z "$log" ]; then
			echo "grade: booting $c (tests/matrix.conf)"
			lab_boot "$c" "$build" "$out/$c" || echo "grade: could not prepare the boot of $c"
			log=$out/$c/serial.log
		fi
		[ -f "$log" ] && awk -v list=1 -f "$top/tools/ktap_summary.awk" "$log" | sed "s/^/boot:$c /" >>"$out/results"
	done

	local side suite case points skel got total=0 max=0 why
	while IFS='|' read -r side suite case points skel; do
		max=$((max + points))
		got=0 why="no result: it crashed, hung or did not run"
		[ $built = 1 ] || why="the build failed"
		if grep -qxF "$side PASS $suite.$case" "$out/results"; then
			got=$points why=
		elif grep -qxF "$side FAIL $suite.$case" "$out/results"; then
			why=failed
		elif grep -qxF "$side SKIP $suite.$case" "$out/results"; then
			why=skipped
		fi
		total=$((total + got))
		printf '  %-16s %-58s %7s%s\n' "$side" "$suite.$case" "$got/$points" "${why:+  $why}"
	done <"$out/spec"
	echo "Score: $total/$max"
	[ "$total" = "$max" ]
}

# A scratch copy of the tree at $1 whose build/ starts as a copy of $BUILD,
# so that make compiles only the files that differ afterwards.
scratch_init() { # dir
	local dir=$1 build=${BUILD:-$top/build} d
	case "$build" in /*) ;; *) build=$top/$build ;; esac
	mkdir -p "$dir/tree/build"
	(cd "$top" && tar --exclude=./build --exclude=./.git -cf - .) | (cd "$dir/tree" && tar -xf -)
	for d in host kernel loader; do
		[ -d "$build/$d" ] && cp -a "$build/$d" "$dir/tree/build/"
	done
	# The dependency files name the objects by the build's path.
	find "$dir/tree/build" -name '*.d' -exec sed -i "s|$build/|build/|g" {} +
}

# Puts the files $2... of the scratch tree $1 back as they are in $top.
scratch_restore() { # tree file...
	local tree=$1 f
	shift
	for f in "$@"; do cp "$top/$f" "$tree/$f"; done
}

# ci [NAME...]: the proof that every lab's grader grades.
cmd_ci() {
	local names=("$@") n tmp rc=0
	[ ${#names[@]} = 0 ] && mapfile -t names < <(lab_names "$top")
	for n in "${names[@]}"; do known_lab "$n"; done
	tmp=$(mktemp -d) || exit 2
	# shellcheck disable=SC2064
	trap "rm -rf '$tmp'" EXIT
	local build=${BUILD:-$top/build}
	case "$build" in /*) ;; *) build=$top/$build ;; esac
	scratch_init "$tmp"
	local tree=$tmp/tree
	lab_regions "$top" >"$tmp/regions" || { echo "labs: ci: the markers are broken (tools/lab.sh check)"; return 1; }
	for n in "${names[@]}"; do
		local log=$tmp/$n.log sol skel files spec max fails problems=''
		files=$(grep "|$n|" "$tmp/regions" | cut -d'|' -f1 | sort -u)
		# 1. The shipped tree is the solution: full marks.
		BUILD=$build cmd_grade "$n" --no-build >"$tmp/$n.sol" 2>&1
		sol=$(sed -n 's/^Score: //p' "$tmp/$n.sol")
		max=${sol#*/}
		[ -n "$sol" ] && [ "${sol%/*}" = "$max" ] || problems+="the solution scores ${sol:-nothing}; "
		# 2. The skeleton: applies with nothing else changed, builds, and
		#    loses the points of every case marked "fail".
		if ! lab_apply "$tree" "$n" 2>>"$log"; then
			problems+="the skeleton does not apply; "
		elif ! lab_diffcheck "$tmp/regions" "$top" "$tree" "$n" 2>>"$log"; then
			problems+="the skeleton changes more than its regions; "
		else
			BUILD=build cmd_grade "$n" --tree "$tree" >"$tmp/$n.skel" 2>&1
			skel=$(sed -n 's/^Score: //p' "$tmp/$n.skel")
			grep -q 'the build failed' "$tmp/$n.skel" && problems+="the skeleton does not build; "
			[ -n "$skel" ] && [ "${skel%/*}" -lt "${skel#*/}" ] || problems+="the skeleton still scores ${skel:-nothing}; "
			spec=$(lab_spec "$top" "$n" 2>/dev/null)
			local side suite case points mark
			while IFS='|' read -r side suite case points mark; do
				[ "$mark" = fail ] || continue
				grep -qE "^  $side +$suite\.$case +0/" "$tmp/$n.skel" ||
					problems+="$suite.$case passes with the skeleton; "
			done <<<"$spec"
			fails=$(grep -E '^  [^ ]+ +[^ ]+ +0/' "$tmp/$n.skel" | awk '{print $2}' | paste -sd' ')
		fi
		# The grader's own words, kept for the log (make test names it).
		mkdir -p "$build/lab-ci" && cat "$tmp/$n.sol" "$tmp/$n.skel" >"$build/lab-ci/$n.txt" 2>/dev/null
		# shellcheck disable=SC2086
		scratch_restore "$tree" $files
		if [ -z "$problems" ]; then
			echo "labs: $n: ok (solution $sol, skeleton $skel; failing with the skeleton: $fails; log: $build/lab-ci/$n.txt)"
		else
			rc=1
			echo "labs: $n: FAILED: ${problems%; }"
			sed 's/^/    /' "$tmp/$n.skel" "$log" 2>/dev/null | tail -n 30
		fi
	done
	return $rc
}

# exercise [NAME|all|list]: docs/labs/exercises.txt, one block per exercise:
#   @@ NAME CHAPTER-FILE        the exercise and the chapter that asks it
#   file PATH                   the file to change
#   find TEXT / replace TEXT    TEXT must occur exactly once (pairs may repeat)
#   fails SUITE CASE            the host case that must fail afterwards
cmd_exercise() {
	local want=${1:-all} conf=$top/docs/labs/exercises.txt tmp rc=0 n=0
	[ -f "$conf" ] || die "no $conf"
	if [ "$want" = list ]; then
		sed -n 's/^@@ \([^ ]*\) \(.*\)/\1  (\2)/p' "$conf"
		return 0
	fi
	grep -q "^@@ $want " "$conf" || [ "$want" = all ] ||
		die "no exercise '$want' (tools/lab.sh exercise list)"
	tmp=$(mktemp -d) || exit 2
	# shellcheck disable=SC2064
	trap "rm -rf '$tmp'" EXIT
	scratch_init "$tmp"
	local tree=$tmp/tree name='' chapter='' file='' find='' suite='' case='' changed=() problem='' key val
	run_one() {
		[ -n "$name" ] || return 0
		if [ "$want" != all ] && [ "$want" != "$name" ]; then name=''; changed=(); return 0; fi
		n=$((n + 1))
		if [ -z "$problem" ]; then
			make -C "$tree" --no-print-directory -j2 BUILD=build build/host/ktest-host >"$tmp/$name.build" 2>&1 ||
				problem="the changed tree does not build (it should: the exercise is about a test)"
		fi
		if [ -z "$problem" ]; then
			timeout 300 "$tree/build/host/ktest-host" "$suite" >"$tmp/$name.ktap" 2>/dev/null
			if awk -v list=1 -f "$top/tools/ktap_summary.awk" "$tmp/$name.ktap" | grep -qxF "PASS $suite.$case"; then
				problem="$suite.$case still passes"
			fi
		fi
		if [ -z "$problem" ]; then
			echo "exercise $name ($chapter): ok, $suite.$case fails as the chapter says"
		else
			rc=1
			echo "exercise $name ($chapter): FAILED: $problem"
		fi
		scratch_restore "$tree" "${changed[@]}"
		name='' problem='' changed=()
	}
	while IFS= read -r line; do
		case "$line" in
		"#"* | "") continue ;;
		"@@ "*) run_one; read -r _ name chapter <<<"$line" ;;
		file\ *) file=${line#file }; changed+=("$file") ;;
		find\ *) find=${line#find } ;;
		replace\ * | replace)
			[ "$want" = all ] || [ "$want" = "$name" ] || continue
			val=${line#replace}; val=${val# }
			key=$(FIND=$find awk 'BEGIN { f = ENVIRON["FIND"] } { s = $0; while ((i = index(s, f)) > 0) { c++; s = substr(s, i + length(f)) } } END { print c + 0 }' "$tree/$file")
			if [ "$key" != 1 ]; then
				problem="no longer applies: '$find' occurs $key times in $file"
			else
				FIND=$find REPL=$val awk 'BEGIN { f = ENVIRON["FIND"]; r = ENVIRON["REPL"] }
					!done && (i = index($0, f)) > 0 { $0 = substr($0, 1, i - 1) r substr($0, i + length(f)); done = 1 }
					{ print }' "$tree/$file" >"$tmp/new" && cat "$tmp/new" >"$tree/$file"
			fi ;;
		fails\ *) read -r _ suite case <<<"$line" ;;
		*) echo "exercise: $conf: cannot read '$line'" >&2; rc=1 ;;
		esac
	done <"$conf"
	run_one
	echo "exercises: $n checked, $([ $rc = 0 ] && echo 'all fail as the chapters say' || echo 'some FAILED')"
	return $rc
}
