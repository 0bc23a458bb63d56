#!/usr/bin/env bash
# The course labs (docs/labs/, the lecturer's page docs/labs/README.md):
#   list                 the labs, their time and what grades them
#   start NAME [--worktree DIR]
#                        a git branch lab-NAME (checked out here, or in a new
#                        worktree DIR) where that lab's regions are replaced
#                        by its skeleton and nothing else changes
#   reset                leave a lab branch: back to the branch lab-start left
#   handin NAME          the work on lab-NAME as a patch, for the lecturer
#   grade NAME           build, run the lab's cases, one line per case with its
#                        points, then "Score: N/M"; exit 0 only on full marks
#   check                every lab's markers, skeleton and grade.conf are sound
#   ci [NAME...]         for each lab: the solution scores M/M, and the
#                        skeleton builds, scores less, and fails the cases the
#                        lab is about (make test runs it)
#   exercise [NAME|all]  the mechanical exercises of the chapters
#                        (docs/labs/exercises.txt): each change planted in a
#                        scratch copy, and the case the chapter names fails
# Usage errors exit 2; `make lab-list`, `make lab-start LAB=NAME`,
# `make lab-reset` and `make grade LAB=NAME` call it.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tools/lab-lib.sh
. "$top/tools/lab-lib.sh"
# shellcheck source=tools/lab-run.sh
. "$top/tools/lab-run.sh"

die() { echo "lab: $*" >&2; exit 2; }

lab_names() { # root
	local d
	for d in "$1"/docs/labs/*/; do
		[ -f "$d/grade.conf" ] && basename "$d"
	done
}

known_lab() { # name
	[ -n "$1" ] || die "which lab? one of: $(lab_names "$top" | paste -sd ' ')"
	[ -f "$top/docs/labs/$1/grade.conf" ] ||
		die "no lab '$1' (labs: $(lab_names "$top" | paste -sd ' '))"
}

cmd_list() {
	local n title time side
	printf '%-11s %-9s %-26s %s\n' LAB TIME GRADED "WHAT"
	for n in $(lab_names "$top"); do
		title=$(sed -n '1s/^# *//p' "$top/docs/labs/$n/README.md")
		time=$(sed -n 's/^\*\*Time:\*\* *\([^.;]*\).*/\1/p' "$top/docs/labs/$n/README.md" | head -1)
		side=$(lab_spec "$top" "$n" 2>/dev/null | cut -d'|' -f1 | sort -u | paste -sd ',')
		printf '%-11s %-9s %-26s %s\n' "$n" "${time:-?}" "$side" "$title"
	done
	echo "Start one with: make lab-start LAB=NAME (handout: docs/labs/NAME/README.md)"
}

# Checks the markers, each lab's skeleton against its regions, each
# grade.conf, and that every skeleton applies to a copy of its files with
# nothing else changing. One line per problem, then one summary line.
cmd_check() {
	local root=${1:-$top} tmp rc=0 n labs=0 f
	tmp=$(mktemp -d) || exit 2
	trap 'rm -rf "$tmp"' RETURN
	lab_regions "$root" >"$tmp/regions" || rc=1
	for n in $(cut -d'|' -f2 "$tmp/regions" | sort -u); do
		[ -f "$root/docs/labs/$n/grade.conf" ] || {
			echo "$(grep "|$n|" "$tmp/regions" | head -1 | cut -d'|' -f1): LAB $n: no lab docs/labs/$n/" >&2
			rc=1
		}
	done
	for n in $(lab_names "$root"); do
		labs=$((labs + 1))
		[ -s "$root/docs/labs/$n/README.md" ] || { echo "docs/labs/$n/README.md: missing (the handout)" >&2; rc=1; }
		lab_spec "$root" "$n" >"$tmp/spec" || rc=1
		grep -q '|fail$' "$tmp/spec" || { echo "docs/labs/$n/grade.conf: no case marked 'fail': what does the skeleton break?" >&2; rc=1; }
		grep -q "|$n|" "$tmp/regions" || { echo "docs/labs/$n: no region LAB $n in the sources" >&2; rc=1; }
		lab_match "$root" "$tmp/regions" "$n" || { rc=1; continue; }
		# Apply to copies of the files involved; only regions may change.
		rm -rf "$tmp/sol" "$tmp/stu"
		for f in $(grep "|$n|" "$tmp/regions" | cut -d'|' -f1 | sort -u); do
			mkdir -p "$tmp/sol/$(dirname "$f")" "$tmp/stu/$(dirname "$f")"
			cp "$root/$f" "$tmp/sol/$f" && cp "$root/$f" "$tmp/stu/$f"
		done
		grep "|$n|" "$tmp/regions" >"$tmp/lab-regions"
		(cd "$tmp/stu" && lab_apply "$tmp/stu" "$n" "$root") || rc=1
		lab_diffcheck "$tmp/lab-regions" "$tmp/sol" "$tmp/stu" "$n" || rc=1
		if grep -rqE '/\* LAB '"$n"': (begin|end) ' "$tmp/stu"; then
			echo "docs/labs/$n/skeleton.txt: a marker of lab $n is left after applying it" >&2
			rc=1
		fi
	done
	if [ $rc = 0 ]; then
		echo "labs: check: ok ($labs labs, $(wc -l <"$tmp/regions") regions, every one with its skeleton)"
	else
		echo "labs: check: FAILED"
	fi
	return $rc
}

git_clean() { # dir
	[ -z "$(git -C "$1" status --porcelain 2>/dev/null)" ]
}

git_commit() { # dir message
	local id=()
	git -C "$1" config user.email >/dev/null || id=(-c user.name=labyrinth-lab -c user.email=lab@localhost)
	git -C "$1" "${id[@]}" commit -q --no-verify -m "$2"
}

cmd_start() {
	local name=${1:-} where=$top wt='' base branch tmp
	known_lab "$name"
	shift
	case "${1:-}" in
	--worktree) [ -n "${2:-}" ] || die "--worktree needs a folder"; wt=$2 ;;
	"") ;;
	*) die "start: unknown option '$1'" ;;
	esac
	git -C "$top" rev-parse --git-dir >/dev/null 2>&1 || die "start needs a git checkout"
	git_clean "$top" || die "uncommitted changes here: commit or stash them first (git status)"
	branch=lab-$name
	git -C "$top" rev-parse --verify -q "refs/heads/$branch" >/dev/null &&
		die "branch $branch exists: 'git checkout $branch' to carry on, or delete it to start over"
	cmd_check "$top" >/dev/null 2>&1 || die "the labs are broken here: tools/lab.sh check says why"
	base=$(git -C "$top" rev-parse --abbrev-ref HEAD)
	if [ -n "$wt" ]; then
		git -C "$top" worktree add -q -b "$branch" "$wt" HEAD || die "cannot add a worktree at $wt"
		where=$(cd "$wt" && pwd)
	else
		git -C "$top" checkout -q -b "$branch" || die "cannot create branch $branch"
	fi
	tmp=$(mktemp -d)
	lab_regions "$where" | grep "|$name|" >"$tmp/regions"
	for f in $(cut -d'|' -f1 "$tmp/regions" | sort -u); do
		mkdir -p "$tmp/sol/$(dirname "$f")" && cp "$where/$f" "$tmp/sol/$f"
	done
	lab_apply "$where" "$name" || die "the skeleton did not apply"
	# Only the region files, and only inside the regions.
	git -C "$where" diff --name-only | sort >"$tmp/changed"
	cut -d'|' -f1 "$tmp/regions" | sort -u | comm -23 "$tmp/changed" - | grep . &&
		die "files outside the lab changed (above)"
	mkdir -p "$tmp/stu"
	for f in $(cut -d'|' -f1 "$tmp/regions" | sort -u); do
		mkdir -p "$tmp/stu/$(dirname "$f")" && cp "$where/$f" "$tmp/stu/$f"
	done
	lab_diffcheck "$tmp/regions" "$tmp/sol" "$tmp/stu" "$name" || die "the skeleton changed more than its regions"
	rm -rf "$tmp"
	git -C "$where" add -A
	git_commit "$where" "lab $name: the skeleton (tools/lab.sh start $name)"
	git -C "$where" config "branch.$branch.labbase" "$base"
	git -C "$where" config "branch.$branch.labstart" "$(git -C "$where" rev-parse HEAD)"
	echo "lab: branch $branch${wt:+ in $where}, from $base: lab $name's regions hold the skeleton now"
	echo "lab: the handout is docs/labs/$name/README.md; grade with: make grade LAB=$name"
}

cmd_reset() {
	local branch base
	branch=$(git -C "$top" rev-parse --abbrev-ref HEAD 2>/dev/null) || die "reset needs a git checkout"
	base=$(git -C "$top" config "branch.$branch.labbase") ||
		die "branch '$branch' was not made by lab-start: nothing to reset"
	git_clean "$top" || die "uncommitted changes on $branch: commit them (they stay on $branch) or 'git stash' first"
	if [ "$(git -C "$top" rev-parse --git-dir)" != "$(git -C "$top" rev-parse --git-common-dir)" ]; then
		echo "lab: this is a worktree of its own: leave it with 'git worktree remove $top' (your commits stay on $branch)"
		return 0
	fi
	git -C "$top" checkout -q "$base" || die "cannot check out $base"
	echo "lab: back on $base; your work stays on branch $branch (delete it with 'git branch -D $branch')"
}

cmd_handin() {
	local name=${1:-} start out
	known_lab "$name"
	start=$(git -C "$top" config "branch.lab-$name.labstart") ||
		die "no branch lab-$name made by lab-start here"
	out=${BUILD:-$top/build}
	case "$out" in /*) ;; *) out=$top/$out ;; esac
	mkdir -p "$out"
	git -C "$top" diff "$start" -- . >"$out/lab-$name.patch"
	echo "lab: $out/lab-$name.patch ($(grep -c '^+[^+]' "$out/lab-$name.patch") lines added since the skeleton)"
}

case "${1:-}" in
list) cmd_list ;;
start) shift; cmd_start "$@" ;;
reset) cmd_reset ;;
handin) cmd_handin "${2:-}" ;;
grade) shift; cmd_grade "$@" ;;
check) cmd_check "${2:-}" ;;
ci) shift; cmd_ci "$@" ;;
exercise) shift; cmd_exercise "$@" ;;
-h | --help | "") sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; [ -n "${1:-}" ] ;;
*) die "unknown command '$1' (list, start, reset, handin, grade, check, ci, exercise)" ;;
esac
