#!/usr/bin/env bash
# The host test binary finds its fixtures from its own place, not from the
# current directory (issue 17): build/host/ktest-host run from /tmp must pass
# mm_fixtures; a copy of the binary outside the tree must fail with a message
# naming the paths it tried, and pass again with --fixtures DIR; a --fixtures
# folder that does not exist is a usage error (status 2) naming it.
# Prints one "ok"/"FAIL" line per check and exits 1 if any failed.
#
# Usage: tests/host/cwd-independent.sh   (after make host; BUILD as for make)
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
bin=$build/host/ktest-host
fails=0
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT

# passed STATUS: the run exited 0 and ran mm_fixtures' three cases (an old
# binary that took an option for a filter ran nothing and exited 0 too).
passed() {
	[ "$1" = 0 ] && [ "$(awk -f "$top/tools/ktap_summary.awk" "$tmp/out" | tail -n 1)" = "RESULT 3 0 0 1" ]
}

check() { # description, ok|bad; shows the output of a failed check
	if [ "$2" = ok ]; then echo "ok   $1"; else
		echo "FAIL $1"
		sed 's/^/     | /' "$tmp/out" | tail -n 20
		fails=$((fails + 1))
	fi
}

if [ ! -x "$bin" ]; then
	echo "FAIL $bin is missing (run make host first)"
	exit 1
fi

# 1. From /tmp, by absolute path.
(cd /tmp && "$bin" mm_fixtures) >"$tmp/out" 2>&1
status=$?
if passed $status; then r=ok; else r=bad; fi
check "/tmp\$ $bin mm_fixtures passes (status $status)" $r

# 2. From /tmp, by a relative path to the binary.
rel=$(realpath --relative-to=/tmp "$bin")
(cd /tmp && "$rel" mm_fixtures) >"$tmp/out" 2>&1
status=$?
if passed $status; then r=ok; else r=bad; fi
check "/tmp\$ $rel mm_fixtures passes (status $status)" $r

# 3. A copy of the binary with no tree around it fails and says where it looked.
mkdir -p "$tmp/a/b"
cp "$bin" "$tmp/a/b/ktest-host"
(cd "$tmp" && ./a/b/ktest-host mm_fixtures) >"$tmp/out" 2>&1
status=$?
if [ $status = 1 ] && grep -q "cannot find tests/fixtures: tried $tmp/a/b/../../tests/fixtures" "$tmp/out" &&
	grep -q "give the folder with --fixtures DIR" "$tmp/out"; then r=ok; else r=bad; fi
check "a copy outside the tree fails naming the paths tried (status $status)" $r

# 4. ... and passes when told where the fixtures are.
(cd "$tmp" && ./a/b/ktest-host --fixtures "$top/tests/fixtures" mm_fixtures) >"$tmp/out" 2>&1
status=$?
if passed $status; then r=ok; else r=bad; fi
check "the same copy with --fixtures DIR passes (status $status)" $r

# 5. A --fixtures folder that does not exist: usage error naming it.
(cd /tmp && "$bin" --fixtures /nonexistent/fixtures mm_fixtures) >"$tmp/out" 2>&1
status=$?
if [ $status = 2 ] && grep -q "^ktest-host: --fixtures /nonexistent/fixtures: No such file or directory" "$tmp/out"; then
	r=ok
else r=bad; fi
check "--fixtures /nonexistent/fixtures is refused by name (status $status)" $r

[ $fails = 0 ] && echo "cwd-independent: all checks passed" || echo "cwd-independent: $fails check(s) failed"
[ $fails = 0 ]
