#!/bin/sh
# Turns `nm -n kernel.elf` output into a NASM file holding the kernel's
# function symbol table, used by backtraces (kernel/debug/ksyms.c). With /dev/null
# as input it makes the empty table of the first link pass.
# Usage: gen_ksyms.sh NM_OUTPUT > ksyms.asm
awk '
BEGIN { n = 0 }
$2 ~ /^[tT]$/ && $1 ~ /^ffffffff8/ { addr[n] = $1; name[n] = $3; n++ }
END {
	print "section .ksyms progbits alloc noexec nowrite align=8"
	print "global ksyms_count, ksyms_addrs, ksyms_name_offsets, ksyms_names"
	print "ksyms_count: dq " n
	print "ksyms_addrs:"
	for (i = 0; i < n; i++) print "\tdq 0x" addr[i]
	print "ksyms_name_offsets:"
	off = 0
	for (i = 0; i < n; i++) { print "\tdd " off; off += length(name[i]) + 1 }
	print "ksyms_names:"
	for (i = 0; i < n; i++) print "\tdb \"" name[i] "\", 0"
}' "$1"
