# The check harness the script tests share (sourced, not run: run-tests.sh
# runs only tests/scripts/*.sh). Each check prints "ok   NAME" or
# "FAIL NAME: why" and counts into $checks and $failed.
checks=0 failed=0

ok() { echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1: $2"; }
check() { # name, then a command that prints the problems (none: ok)
	local name=$1 why
	shift
	checks=$((checks + 1))
	why=$("$@" 2>&1)
	if [ -z "$why" ]; then ok "$name"; else bad "$name" "$(head -n 3 <<<"$why" | tr '\n' ';')"; fi
}
