/*
 * Build-time limits that several components size their arrays by, defined
 * once here (Linux's CONFIG_ values): the kernel (kernel/arch/x86/gdt.h:
 * MAX_CPUS), the allocator (mm/mmzone.h: MM_MAX_CPUS) and the host builds
 * all take them from this file, and kernel/mm/platform.c asserts that they
 * agree. docs/05-smp-and-per-cpu-lists.md, docs/11-numa.md.
 */
#ifndef LABYRINTH_KERNEL_LIB_CONFIG_H
#define LABYRINTH_KERNEL_LIB_CONFIG_H

/* The most CPUs the kernel brings up. Small per-CPU arrays have this many
 * slots; the large per-CPU data (IST stacks, GDT and TSS) is allocated at
 * bring-up for the CPUs present (kernel/arch/x86/gdt.c). */
#define CONFIG_NR_CPUS 64

/* The most NUMA nodes the topology keeps (kernel/numa/topology.h); an SRAT
 * with more proximity domains is refused and the machine is one node. */
#define CONFIG_NR_NODES 16

#endif
