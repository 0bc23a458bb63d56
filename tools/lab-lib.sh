# shellcheck shell=bash
# The machinery of the course labs, sourced by tools/lab.sh: finding the
# "LAB name: begin/end region" markers in the sources, reading a lab's
# docs/labs/NAME/skeleton.txt and docs/labs/NAME/grade.conf, putting a
# skeleton in place of its regions, and proving that nothing else changed.
# The lecturer's page docs/labs/README.md explains the formats. Needs bash,
# awk, diff.

# Every marker line of the tree under $1, checked: prints one
# "file|lab|region|begin|end" line per region to stdout and one
# "file:line: problem" line per broken marker to stderr; returns 1 if any
# marker is broken (unbalanced, nested, misspelt, repeated, outside a .c).
lab_regions() { # root
	local root=$1 files
	files=$(cd "$root" && grep -rlE --include='*.[ch]' --include='*.asm' \
		'/\*[[:space:]]*LAB[[:space:]]' boot kernel mm tests 2>/dev/null | sort)
	[ -z "$files" ] && return 0
	(cd "$root" && awk '
	function problem(msg) { print FILENAME ":" FNR ": " msg > "/dev/stderr"; bad = 1 }
	function close_file() {
		if (open != "") print prev ":" open_line ": LAB " open " has no end marker" > "/dev/stderr"
		if (open != "") bad = 1
		open = ""
	}
	FNR == 1 { close_file(); prev = FILENAME }
	/\/\*[ \t]*LAB[ \t]/ {
		if (!match($0, /^[ \t]*\/\* LAB [a-z0-9_]+: (begin|end) [a-z0-9_]+ \*\/[ \t]*$/)) {
			problem("malformed lab marker (want \"/* LAB name: begin region */\" alone on its line)")
			next
		}
		line = $0; sub(/^[ \t]*\/\* LAB /, "", line); sub(/ \*\/[ \t]*$/, "", line)
		split(line, w, /:? /)  # name, begin|end, region
		key = w[1] " " w[3]
		if (FILENAME !~ /\.c$/) { problem("lab markers belong in .c files only"); next }
		if (w[2] == "begin") {
			if (open != "") { problem("LAB " key " begins inside LAB " open " (line " open_line ")"); next }
			if (key in seen) { problem("LAB " key " is marked twice (first at " seen[key] ")"); next }
			open = key; open_line = FNR; seen[key] = FILENAME ":" FNR
		} else {
			if (open != key) {
				problem("end of LAB " key (open == "" ? " with no begin" : " while LAB " open " is open (line " open_line ")"))
				next
			}
			split(key, k, " ")
			print FILENAME "|" k[1] "|" k[2] "|" open_line "|" FNR
			open = ""
		}
	}
	END { close_file(); exit bad }
	' $files)
}

# Splits docs/labs/NAME/skeleton.txt of tree $1 into $3/REGION.file (the
# source file named) and $3/REGION.body (the lines that replace the region).
# Problems go to stderr as "file:line: problem"; returns 1 if there were any.
lab_skeleton_split() { # root name outdir
	local sk=docs/labs/$2/skeleton.txt
	mkdir -p "$3"
	[ -f "$1/$sk" ] || { echo "$sk: missing (what the student sees instead of each region)" >&2; return 1; }
	(cd "$1" && awk -v out="$3" -v sk="$sk" '
	/^@@/ {
		if (NF != 3 || $2 !~ /\.c$/ || $3 !~ /^[a-z0-9_]+$/) {
			print sk ":" NR ": want \"@@ FILE.c REGION\"" > "/dev/stderr"; bad = 1; cur = ""; next
		}
		if ($3 in seen) { print sk ":" NR ": region " $3 " given twice" > "/dev/stderr"; bad = 1 }
		seen[$3] = 1; cur = out "/" $3
		printf "%s\n", $2 > (cur ".file"); close(cur ".file")
		printf "" > (cur ".body")
		next
	}
	cur != "" { print >> (cur ".body") }
	END { exit bad }
	' "$sk")
}

# Replaces the regions of lab $2 in tree $1 by their skeleton blocks (read
# from tree $3, default $1), marker lines included. Problems on stderr.
lab_apply() { # tree name [skeleton-tree]
	local tree=$1 name=$2 src=${3:-$1} tmp rc=0 f lab region b e
	tmp=$(mktemp -d) || return 1
	lab_skeleton_split "$src" "$name" "$tmp/sk" || rc=1
	lab_regions "$tree" >"$tmp/regions" || rc=1
	[ $rc = 0 ] || { rm -rf "$tmp"; return 1; }
	# Bottom-up within each file, so earlier line numbers stay right.
	sort -t'|' -k1,1 -k4,4nr "$tmp/regions" | while IFS='|' read -r f lab region b e; do
		[ "$lab" = "$name" ] || continue
		awk -v b="$b" -v e="$e" -v body="$tmp/sk/$region.body" '
			NR == b { while ((getline l < body) > 0) print l }
			NR >= b && NR <= e { next }
			{ print }' "$tree/$f" >"$tmp/new" && cat "$tmp/new" >"$tree/$f"
	done
	rm -rf "$tmp"
}

# Checks that lab $3's skeleton and regions match one to one (each region
# has a block naming its file, each block a region) in tree $1; problems on
# stderr, returns 1 if any. $2: the lab_regions output for the tree.
lab_match() { # root regions-file name
	local root=$1 regions=$2 name=$3 tmp rc=0 f lab region b e
	tmp=$(mktemp -d) || return 1
	lab_skeleton_split "$root" "$name" "$tmp" || rc=1
	while IFS='|' read -r f lab region b e; do
		[ "$lab" = "$name" ] || continue
		if [ ! -f "$tmp/$region.file" ]; then
			echo "$f:$b: region LAB $name $region has no block in docs/labs/$name/skeleton.txt" >&2
			rc=1
		elif [ "$(cat "$tmp/$region.file")" != "$f" ]; then
			echo "docs/labs/$name/skeleton.txt: region $region is in $f, not in $(cat "$tmp/$region.file")" >&2
			rc=1
		fi
		rm -f "$tmp/$region.file"
	done <"$regions"
	for f in "$tmp"/*.file; do
		[ -e "$f" ] || continue
		region=$(basename "$f" .file)
		echo "docs/labs/$name/skeleton.txt: block $region no longer applies: no region LAB $name $region in $(cat "$f")" >&2
		rc=1
	done
	rm -rf "$tmp"
	return $rc
}

# "Nothing else changes": tree $3 differs from the solution tree $2 only
# inside the regions of lab $4 (line ranges from $1, the solution's
# lab_regions output). One line per stray change on stderr; returns 1 if any.
lab_diffcheck() { # regions-file solution-tree student-tree name
	local regions=$1 sol=$2 stu=$3 name=$4 rc=0 f
	local files
	files=$(diff -rq -x .git -x build "$sol" "$stu" 2>&1 |
		sed -n "s|^Files $sol/\(.*\) and $stu/.* differ\$|\1|p; /^Only in/p")
	while IFS= read -r f; do
		[ -z "$f" ] && continue
		case "$f" in
		"Only in"*) echo "lab: $f (a file added or removed)" >&2; rc=1; continue ;;
		esac
		if ! grep -q "^$f|$name|" "$regions"; then
			echo "lab: $f changed, but it holds no region of lab $name" >&2
			rc=1
			continue
		fi
		{ diff -U0 "$sol/$f" "$stu/$f" || true; } | awk -v f="$f" -v name="$name" -v regions="$regions" '
			BEGIN { while ((getline l < regions) > 0) { split(l, r, "|")
				if (r[1] == f && r[2] == name) { n++; lo[n] = r[4]; hi[n] = r[5] } } }
			/^@@ / {
				split($2, o, ","); a = substr(o[1], 2) + 0; c = (2 in o) ? o[2] + 0 : 1
				first = a; last = (c == 0) ? a : a + c - 1
				ok = 0
				for (i = 1; i <= n; i++) if (first >= lo[i] && last <= hi[i]) ok = 1
				if (!ok) { print "lab: " f ":" a ": changed outside the regions of lab " name > "/dev/stderr"; bad = 1 }
			}
			END { exit bad }' || rc=1
	done <<<"$files"
	return $rc
}

# Reads docs/labs/NAME/grade.conf of tree $1 into "side|suite|case|points|skel"
# lines on stdout; problems on stderr, returns 1 if any. A case must exist:
# KTEST_CASE(case) in the file that declares the suite, on the right side.
lab_spec() { # root name
	local root=$1 name=$2 conf=docs/labs/$2/grade.conf rc=0 n=0
	local side suite case points skel extra file
	[ -f "$root/$conf" ] || { echo "$conf: missing (the graded cases and their points)" >&2; return 1; }
	while IFS='|' read -r side suite case points skel extra; do
		n=$((n + 1))
		side=$(trim "$side")
		case "$side" in "" | \#*) continue ;; esac
		suite=$(trim "$suite") case=$(trim "$case") points=$(trim "$points") skel=$(trim "${skel:-}")
		local where="$conf:$n"
		if [ -n "${extra:-}" ] || [ -z "$skel" ]; then
			echo "$where: want 'side | suite | case | points | fail|any'" >&2; rc=1; continue
		fi
		case "$side" in
		host) ;;
		boot:*) if ! grep -qE "^${side#boot:}[[:space:]]*\|" "$root/tests/matrix.conf"; then
			echo "$where: no configuration '${side#boot:}' in tests/matrix.conf" >&2; rc=1; continue
		fi ;;
		*) echo "$where: side '$side' is neither host nor boot:CONFIG" >&2; rc=1; continue ;;
		esac
		[[ $points =~ ^[1-9][0-9]*$ ]] || { echo "$where: points '$points' is not a positive number" >&2; rc=1; continue; }
		[[ $skel == fail || $skel == any ]] || { echo "$where: '$skel' must be fail or any" >&2; rc=1; continue; }
		file=$(cd "$root" && grep -lE "KTEST_SUITE(_WHERE)?\($suite," tests/shared/*.c tests/host/*.c tests/target/*.c 2>/dev/null | head -1)
		if [ -z "$file" ]; then
			echo "$where: no suite '$suite' in tests/" >&2; rc=1; continue
		fi
		if ! grep -q "KTEST_CASE($case)" "$root/$file"; then
			echo "$where: suite $suite ($file) has no case '$case'" >&2; rc=1; continue
		fi
		if [ "$side" = host ] && [[ $file == tests/target/* ]]; then
			echo "$where: $suite is target-only: grade it with boot:CONFIG" >&2; rc=1; continue
		fi
		if [ "$side" != host ] && [[ $file == tests/host/* ]]; then
			echo "$where: $suite is host-only: grade it with side host" >&2; rc=1; continue
		fi
		echo "$side|$suite|$case|$points|$skel"
	done <"$root/$conf"
	return $rc
}

trim() { sed 's/^[[:space:]]*//; s/[[:space:]]*$//' <<<"$1"; }
