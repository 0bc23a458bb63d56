/*
 * The kernel's own symbol table (function names by address), generated at
 * link time by tools/gen_ksyms.sh, so that backtraces name functions.
 */
#ifndef LABYRINTH_KERNEL_DEBUG_KSYMS_H
#define LABYRINTH_KERNEL_DEBUG_KSYMS_H

#include <stddef.h>
#include <stdint.h>

/* Finds the function containing addr: its name and offset, or NULL. */
const char *ksym_lookup(uint64_t addr, uint64_t *offset);
/* Formats "name+0xoff" (or "?") into buf. */
void ksym_format(uint64_t addr, char *buf, size_t size);

#endif
