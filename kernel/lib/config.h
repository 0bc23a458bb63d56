/*
 * Build-time limits that several components size their arrays by, defined
 * once here (Linux's CONFIG_ values): the kernel (kernel/arch/x86/gdt.h:
 * MAX_CPUS), the allocator (mm/mmzone.h: MM_MAX_CPUS) and the host builds
 * all take them from this file, and kernel/mm/platform.c asserts that they
 * agree. docs/05-smp-and-per-cpu-lists.md.
 */
#ifndef LABYRINTH_KERNEL_LIB_CONFIG_H
#define LABYRINTH_KERNEL_LIB_CONFIG_H

/* The most CPUs the kernel brings up; per-CPU arrays have this many. */
#define CONFIG_NR_CPUS 8

#endif
