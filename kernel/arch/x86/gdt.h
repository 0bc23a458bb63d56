/*
 * GDT, TSS and IDT for the boot CPU. The TSS carries the IST stacks: the
 * double fault, NMI and machine check handlers get stacks of their own, so
 * even a kernel stack overflow is reported instead of triple-faulting.
 * See docs/01-boot.md ("When things go wrong").
 */
#ifndef LABYRINTH_KERNEL_ARCH_X86_GDT_H
#define LABYRINTH_KERNEL_ARCH_X86_GDT_H

#include <stdint.h>

#include "kernel/lib/config.h"

#define KERNEL_CS 0x08
#define KERNEL_DS 0x10
#define TSS_SELECTOR 0x18

#define IST_DOUBLE_FAULT 1
#define IST_NMI 2
#define IST_MACHINE_CHECK 3
#define IST_STACK_SIZE 16384

/* CPUs with a GDT, TSS and stacks of their own (kernel/lib/config.h). */
#define MAX_CPUS CONFIG_NR_CPUS

/* Allocates AP `cpu`'s IST stacks, GDT and TSS (the boot CPU's are
 * static); 0, or -1 with a message when memory is short. */
int gdt_alloc_cpu(unsigned int cpu);
/* Loads the boot CPU's GDT and TSS (gdt_init), or those of CPU `cpu` (an
 * AP, after gdt_alloc_cpu). */
void gdt_init(void);
void gdt_init_cpu(unsigned int cpu);
/* Builds the shared IDT and loads it; idt_load loads it on another CPU. */
void idt_init(void);
void idt_load(void);
/* Points an IDT vector at a handler (interrupt gate, DPL0); ist 0: none. */
void idt_set_gate(int vector, uint64_t handler, uint8_t ist);

/* Is [addr, addr+len) inside one of the IST stacks? (for backtraces) */
int address_on_ist_stack(unsigned long addr, unsigned long len);

#endif
