#!/usr/bin/env bash
# Is a TCP socket listening on port $1 (any address)? Exit 0 if so, 1 if not.
# Read from /proc, not by connecting: a connection that closes at once would
# let a QEMU waiting for gdb start the kernel. Used by run-qemu.sh,
# tools/gdb.sh and tests/scripts/gdb.sh. docs/07-debugging-the-allocator.md.
set -uo pipefail
[ $# = 1 ] && [[ $1 =~ ^[0-9]+$ ]] || { echo "usage: $0 PORT" >&2; exit 2; }
hex=$(printf ':%04X' "$1")
files=()
for f in /proc/net/tcp /proc/net/tcp6; do [ -r "$f" ] && files+=("$f"); done
[ ${#files[@]} -gt 0 ] || exit 1
awk -v p="$hex" '$4 == "0A" && substr($2, length($2) - 4) == p { found = 1 } END { exit !found }' "${files[@]}"
