#!/usr/bin/env bash
# The layout rules of docs/01-boot.md ("The tree"), checked:
#   includes  what each folder may include (mm/ reaches its host only
#             through mm/platform.h and the shared library kernel/lib/)
#   sizes     no source or doc file over 600 lines
#   readmes   every folder of sources opens with a README.md
# Each rule prints one result line; a broken rule prints every offending
# file:line first and the script exits 1. `make check-layout` runs it, and
# so does `make test` (with tools/check-layout-selftest.sh, which plants a
# fault of each kind and shows it is caught).
#
# Usage: tools/check-layout.sh [ROOT]   (default: the repository)
set -uo pipefail

root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root" || exit 2
MAX_LINES=600
status=0

# ------------------------------------------------------------------ includes
# allowed_prefixes FILE: the quoted-include prefixes FILE may use.
allowed_prefixes() {
	case "$1" in
	mm/platform.h) echo "mm/ kernel/lib/ kernel/arch/x86/irqflags.h kernel/arch/x86/smp.h kernel/core/spinlock.h kernel/core/might_sleep.h kernel/debug/bug.h" ;;
	mm/*) echo "mm/ kernel/lib/" ;;
	kernel/lib/*) echo "kernel/lib/" ;;
	# Compiled into the host tests too (Makefile: TOPO_SRCS): the library,
	# the table layouts and the topology model, nothing that touches hardware.
	kernel/arch/x86/madt.c | kernel/numa/topology.[ch]) echo "kernel/lib/ kernel/arch/x86/acpi.h kernel/numa/topology.h" ;;
	boot/*) echo "boot/ kernel/lib/" ;;
	kernel/init/*) echo "kernel/ mm/ boot/bootinfo.h tests/target/ktest_boot.h" ;;
	kernel/shell/*) echo "kernel/ mm/ tests/target/ktest_boot.h" ;;
	kernel/*) echo "kernel/ mm/ boot/bootinfo.h" ;;
	tests/shared/*) echo "tests/ mm/ kernel/lib/ kernel/arch/x86/acpi.h kernel/numa/topology.h" ;;
	tests/support/* | tests/stress/*) echo "tests/ mm/ kernel/lib/" ;;
	tests/host/*) echo "tests/ mm/ kernel/lib/ boot/" ;;
	*) echo "" ;; # tests/target, tools: anything in the tree
	esac
}

# mm/ builds freestanding into the kernel: compiler headers only.
MM_SYSTEM_HEADERS=" stdarg.h stdbool.h stddef.h stdint.h limits.h stdalign.h "

include_problems=0
checked=0
while IFS= read -r f; do
	allowed=$(allowed_prefixes "$f")
	checked=$((checked + 1))
	while IFS=: read -r line text; do
		if [[ $text =~ \#[[:space:]]*include[[:space:]]*\"([^\"]+)\" ]]; then
			inc=${BASH_REMATCH[1]}
			[ -z "$allowed" ] && continue
			ok=0
			for p in $allowed; do
				[[ $inc == "$p"* ]] && ok=1 && break
			done
			if [ $ok = 0 ]; then
				echo "$f:$line: $text  <- ${f%%/*}/ may include only: $allowed"
				include_problems=$((include_problems + 1))
			fi
		elif [[ $f == mm/* && $text =~ \#[[:space:]]*include[[:space:]]*\<([^\>]+)\> ]]; then
			inc=${BASH_REMATCH[1]}
			if [[ $MM_SYSTEM_HEADERS != *" $inc "* ]]; then
				echo "$f:$line: $text  <- mm/ is freestanding: only <${MM_SYSTEM_HEADERS// /> <}>"
				include_problems=$((include_problems + 1))
			fi
		fi
	done < <(grep -n '^[[:space:]]*#[[:space:]]*include' "$f")
done < <(find boot kernel mm tests tools -name '*.[ch]' | sort)
if [ $include_problems = 0 ]; then
	echo "layout: include rule: ok ($checked C files; mm/ reaches kernel/ only through mm/platform.h)"
else
	echo "layout: include rule: FAILED ($include_problems includes break it)"
	status=1
fi

# ------------------------------------------------------------------ sizes
size_problems=0
largest=0 largest_file=
while IFS= read -r f; do
	n=$(wc -l <"$f")
	if [ "$n" -gt "$largest" ]; then largest=$n largest_file=$f; fi
	if [ "$n" -gt $MAX_LINES ]; then
		echo "$f:1: $n lines, over the limit of $MAX_LINES: split it"
		size_problems=$((size_problems + 1))
	fi
done < <(find boot kernel mm tests tools docs -type f \
	\( -name '*.[ch]' -o -name '*.asm' -o -name '*.inc' -o -name '*.sh' \
	-o -name '*.md' -o -name '*.mk' \) | sort)
if [ $size_problems = 0 ]; then
	echo "layout: file sizes: ok (largest $largest lines: $largest_file; limit $MAX_LINES)"
else
	echo "layout: file sizes: FAILED ($size_problems files over $MAX_LINES lines)"
	status=1
fi

# ------------------------------------------------------------------ READMEs
readme_problems=0
folders=0
while IFS= read -r d; do
	folders=$((folders + 1))
	if [ ! -s "$d/README.md" ]; then
		echo "$d/: no README.md (what lives here, what it may include, which chapter explains it)"
		readme_problems=$((readme_problems + 1))
	fi
done < <(find boot kernel mm tests tools -type d ! -path 'tests/fixtures*' | sort)
if [ $readme_problems = 0 ]; then
	echo "layout: folder READMEs: ok ($folders folders)"
else
	echo "layout: folder READMEs: FAILED ($readme_problems folders without one)"
	status=1
fi

exit $status
