#!/usr/bin/env bash
# Shows that tools/check-layout.sh catches what it is for: on a copy of the
# tree it must pass as it is, then fail naming the exact spot for each
# planted fault (an include from mm/ into kernel/core, a file over the
# size limit, a folder without its README). Run by `make test`.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
problems=0
fail() { echo "check-layout selftest: $*"; problems=$((problems + 1)); }

copy_tree() { # dest
	mkdir -p "$1"
	(cd "$top" && tar cf - boot kernel mm tests tools docs) | (cd "$1" && tar xf -)
}

copy_tree "$tmp/clean"
"$top/tools/check-layout.sh" "$tmp/clean" >"$tmp/clean.out" 2>&1 ||
	fail "the unchanged tree does not pass: $(grep -v ': ok' "$tmp/clean.out" | head -3 | sed 's/^layout: //' | paste -sd ';')"

# 1. mm/ reaching into the kernel past mm/platform.h.
copy_tree "$tmp/include"
line=$(grep -n '^#include' "$tmp/include/mm/page_alloc.c" | head -1 | cut -d: -f1)
sed -i "${line}a #include \"kernel/core/sched.h\"" "$tmp/include/mm/page_alloc.c"
want="mm/page_alloc.c:$((line + 1)): #include \"kernel/core/sched.h\""
if "$top/tools/check-layout.sh" "$tmp/include" >"$tmp/include.out" 2>&1; then
	fail "an include of kernel/core/sched.h from mm/ passed"
elif ! grep -qF "$want" "$tmp/include.out"; then
	fail "the planted include was not named ($want)"
fi

# 2. A file over the limit.
copy_tree "$tmp/size"
seq 1 700 | sed 's|^|// line |' >"$tmp/size/mm/too_long.c"
if "$top/tools/check-layout.sh" "$tmp/size" >"$tmp/size.out" 2>&1; then
	fail "a 700-line file passed"
elif ! grep -qF "mm/too_long.c:1: 700 lines" "$tmp/size.out"; then
	fail "the long file was not named"
fi

# 3. A folder without its README.
copy_tree "$tmp/readme"
rm -f "$tmp/readme/kernel/core/README.md"
if "$top/tools/check-layout.sh" "$tmp/readme" >"$tmp/readme.out" 2>&1; then
	fail "a folder without README.md passed"
elif ! grep -qF "kernel/core/: no README.md" "$tmp/readme.out"; then
	fail "the folder without README was not named"
fi

if [ $problems = 0 ]; then
	echo "layout: check-layout selftest: ok (clean tree passes; a planted include, long file and missing README are each named)"
	exit 0
fi
echo "layout: check-layout selftest: FAILED ($problems)"
exit 1
