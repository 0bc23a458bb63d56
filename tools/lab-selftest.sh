#!/usr/bin/env bash
# Shows that the labs' checks (tools/lab.sh, docs/labs/README.md) catch what
# they are for, on copies of the tree: the unchanged tree passes `check`;
# an unbalanced marker, a misspelt marker, a region without a skeleton and a
# skeleton block whose region is gone are each named; a change outside a
# lab's regions is caught by the "nothing else changes" check; `ci` fails a
# skeleton identical to the solution and one that does not compile; `grade`
# scores a case that never printed (a crash) 0 and exits non-zero; and
# lab-start / lab-reset in a clone change only the lab's regions. Needs a
# build in $BUILD (default build/). Run by `make test`.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
case "$build" in /*) ;; *) build=$top/$build ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
problems=0
fail() { echo "lab selftest: $*"; problems=$((problems + 1)); }

copy_tree() { # dest
	mkdir -p "$1"
	(cd "$top" && tar --exclude=./build --exclude=./.git -cf - .) | (cd "$1" && tar -xf -)
}

# expect_check NAME TEXT: tools/lab.sh check on copy NAME fails naming TEXT.
expect_check() {
	if "$tmp/$1/tools/lab.sh" check >"$tmp/$1.out" 2>&1; then
		fail "$1: check passed"
	elif ! grep -qE -- "$2" "$tmp/$1.out"; then
		fail "$1: check failed without naming '$2': $(head -3 "$tmp/$1.out" | paste -sd ';')"
	fi
}

copy_tree "$tmp/clean"
"$tmp/clean/tools/lab.sh" check >"$tmp/clean.out" 2>&1 ||
	fail "the unchanged tree does not pass: $(head -3 "$tmp/clean.out" | paste -sd ';')"

# 1. An end marker deleted: the region runs into the next marker.
copy_tree "$tmp/unbalanced"
sed -i '/\/\* LAB buddy: end merge \*\//d' "$tmp/unbalanced/mm/page_free.c"
expect_check unbalanced 'mm/page_free.c:[0-9]+: .*(LAB buddy merge|LAB irqsafe decl begins inside)'

# 2. A misspelt marker.
copy_tree "$tmp/misspelt"
sed -i 's|/\* LAB pcp: begin take \*/|/* LAB pcp begin take */|' "$tmp/misspelt/mm/pcp.c"
expect_check misspelt 'mm/pcp.c:[0-9]+: malformed lab marker'

# 3. A region without its skeleton block.
copy_tree "$tmp/noblock"
sed -i '/^@@ mm\/pcp_free.c drain/,/^@@/{/^@@ mm\/pcp.c take/!d}' "$tmp/noblock/docs/labs/pcp/skeleton.txt"
expect_check noblock 'region LAB pcp drain has no block'

# 4. A skeleton block whose region is gone (renamed in the source).
copy_tree "$tmp/stale"
sed -i -e 's/LAB reclaim: begin balance /LAB reclaim: begin balancing /' -e 's/LAB reclaim: end balance /LAB reclaim: end balancing /' "$tmp/stale/mm/vmscan.c"
expect_check stale 'block balance no longer applies'

# 4b. A graded case that does not exist, and a boot configuration that
#     tests/matrix.conf does not have.
copy_tree "$tmp/badspec"
sed -i 's/test_every_order /test_every_orders /' "$tmp/badspec/docs/labs/buddy/grade.conf"
sed -i 's/^boot:lab-irqsafe | alloc_irqsafe | test_alloc_and_free_in_hardirq/boot:lab-nosuch | alloc_irqsafe | test_alloc_and_free_in_hardirq/' \
	"$tmp/badspec/docs/labs/irqsafe/grade.conf"
expect_check badspec "docs/labs/buddy/grade.conf:[0-9]+: suite mm_buddy .* has no case 'test_every_orders'"
grep -qE "docs/labs/irqsafe/grade.conf:[0-9]+: no configuration 'lab-nosuch' in tests/matrix.conf" "$tmp/badspec.out" ||
	fail "badspec: the unknown boot configuration was not named"

# 5. "Nothing else changes": a skeleton tree with one more change elsewhere.
(
	. "$top/tools/lab-lib.sh"
	copy_tree "$tmp/stu"
	lab_regions "$top" >"$tmp/regions"
	lab_apply "$tmp/stu" buddy "$top"
	lab_diffcheck "$tmp/regions" "$top" "$tmp/stu" buddy 2>"$tmp/diff0.out" ||
		fail "the buddy skeleton alone fails the diff check: $(head -2 "$tmp/diff0.out" | paste -sd ';')"
	sed -i 's/^\t\tif (!z->managed_pages)$/\t\tif (!z->managed_pages || 0)/' "$tmp/stu/mm/page_alloc.c"
	sed -i '1s/$/ /' "$tmp/stu/mm/pcp.c"
	lab_diffcheck "$tmp/regions" "$top" "$tmp/stu" buddy 2>"$tmp/diff.out" &&
		fail "a change outside the regions passed the diff check"
	grep -q 'mm/page_alloc.c:[0-9]*: changed outside the regions of lab buddy' "$tmp/diff.out" ||
		fail "the change in mm/page_alloc.c was not named"
	grep -q 'mm/pcp.c changed, but it holds no region of lab buddy' "$tmp/diff.out" ||
		fail "the change in mm/pcp.c was not named"
) || problems=$((problems + 1))

# 6. A skeleton identical to the solution (the region's lines without its
#    markers): ci must call the lab broken.
copy_tree "$tmp/same"
(
	. "$top/tools/lab-lib.sh"
	lab_regions "$top" | grep '|buddy|' | while IFS='|' read -r f _ region b e; do
		echo "@@ $f $region"
		sed -n "$((b + 1)),$((e - 1))p" "$top/$f"
	done >"$tmp/same/docs/labs/buddy/skeleton.txt"
)
BUILD=$build "$tmp/same/tools/lab.sh" ci buddy >"$tmp/same.out" 2>&1 &&
	fail "ci passed a skeleton identical to the solution"
grep -q 'labs: buddy: FAILED: .*the skeleton still scores 90/90' "$tmp/same.out" ||
	fail "ci did not say the identical skeleton still scores full marks: $(grep FAILED "$tmp/same.out")"

# 7. A skeleton that does not compile.
copy_tree "$tmp/broken"
sed -i 's|^\t(void)end;$|\tthis is not C;|' "$tmp/broken/docs/labs/buddy/skeleton.txt"
BUILD=$build "$tmp/broken/tools/lab.sh" ci buddy >"$tmp/broken.out" 2>&1 &&
	fail "ci passed a skeleton that does not compile"
grep -q 'labs: buddy: FAILED: .*the skeleton does not build' "$tmp/broken.out" ||
	fail "ci did not say the skeleton does not build: $(grep FAILED "$tmp/broken.out")"

# 8. A run that crashed after three cases: the rest score 0, not full.
"$build/host/ktest-host" mm_buddy,mm_random >"$tmp/full.ktap" 2>/dev/null
sed '/ok 3 test_exhaust_mixed_orders_and_restore/q' "$tmp/full.ktap" >"$tmp/crash.ktap"
BUILD=$tmp/gradebuild "$top/tools/lab.sh" grade buddy --host-ktap "$tmp/full.ktap" >"$tmp/full.out" 2>&1 ||
	fail "grade of the full run is not full marks: $(tail -1 "$tmp/full.out")"
if BUILD=$tmp/gradebuild "$top/tools/lab.sh" grade buddy --host-ktap "$tmp/crash.ktap" >"$tmp/crash.out" 2>&1; then
	fail "grade of a crashed run exited 0"
fi
grep -qE 'mm_buddy.test_exhaustion_then_free_succeeds +0/10 +no result' "$tmp/crash.out" ||
	fail "a case that never printed did not score 0 with 'no result'"
grep -qE 'mm_buddy.test_every_order +15/15' "$tmp/crash.out" ||
	fail "a case that passed before the crash lost its points"
grep -qx 'Score: 35/90' "$tmp/crash.out" || fail "crashed run: $(grep Score "$tmp/crash.out"), expected 35/90"

# 9. lab-start and lab-reset in a clone of the committed tree.
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	git clone -q "$top" "$tmp/clone" 2>/dev/null || fail "cannot clone the tree"
	c=$tmp/clone
	echo "x" >>"$c/README.md"
	"$c/tools/lab.sh" start pcp >"$tmp/dirty.out" 2>&1 && fail "start accepted a tree with uncommitted changes"
	git -C "$c" checkout -q README.md
	if "$c/tools/lab.sh" start pcp >"$tmp/start.out" 2>&1; then
		changed=$(git -C "$c" diff --name-only HEAD~1 HEAD | paste -sd ' ')
		[ "$changed" = "mm/pcp.c mm/pcp_free.c" ] ||
			fail "lab-start pcp changed '$changed', not only mm/pcp.c and mm/pcp_free.c"
		for f in mm/pcp.c mm/pcp_free.c; do
			grep -q 'TODO(lab pcp)' "$c/$f" || fail "lab-start pcp: no skeleton in $f"
			grep -q 'LAB pcp:' "$c/$f" && fail "lab-start pcp left its markers in $f"
		done
		"$c/tools/lab.sh" reset >"$tmp/reset.out" 2>&1 || fail "lab-reset: $(cat "$tmp/reset.out")"
		[ "$(git -C "$c" rev-parse --abbrev-ref HEAD)" != lab-pcp ] || fail "lab-reset stayed on lab-pcp"
		grep -q 'LAB pcp: begin take' "$c/mm/pcp.c" || fail "lab-reset did not bring the solution back"
	else
		fail "lab-start pcp failed: $(cat "$tmp/start.out")"
	fi
fi

if [ $problems = 0 ]; then
	echo "labs: lab selftest: ok (unbalanced, misspelt, unmatched and stale markers, unknown graded cases named; a stray change, an identical and an uncompilable skeleton, a crashed case caught; start/reset change only the regions)"
	exit 0
fi
echo "labs: lab selftest: FAILED ($problems)"
exit 1
