/*
 * Several CPUs: per-CPU data reached through GS, and starting the
 * application processors (APs) the MADT lists. See docs/05-smp-and-per-cpu-lists.md.
 */
#ifndef LABYRINTH_KERNEL_ARCH_X86_SMP_H
#define LABYRINTH_KERNEL_ARCH_X86_SMP_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/arch/x86/gdt.h" /* MAX_CPUS */

#define AP_STACK_ORDER 2 /* 16 KiB kernel stacks for the APs */

struct task_struct;

struct cpu {
	struct cpu *self; /* at %gs:0, so this_cpu() is one load */
	unsigned int id;  /* 0 is the boot CPU */
	/* Read through GS in one instruction each (kernel/core/preempt.h,
	 * kernel/core/sched.h): what may not be interrupted by a task switch,
	 * whether one is wanted, and which task runs here. */
	unsigned int preempt_count;
	volatile bool need_resched;
	struct task_struct *current_task;
	uint32_t apic_id;
	unsigned int node; /* NUMA node (kernel/numa/numa.h), 0 without SRAT */
	volatile bool online;
	uint64_t stack_bottom, stack_top; /* for backtraces */
	/* smp_run_on_cpu_async's thread, until smp_wait_work joins it. */
	struct task_struct *work_task;
};

extern struct cpu cpus[MAX_CPUS];
extern unsigned int nr_cpus_online;
/* Enabled CPUs the MADT listed that are not online: beyond MAX_CPUS (the
 * MADT parse refused them), with an APIC ID xAPIC mode cannot address, or
 * that did not answer INIT-SIPI-SIPI (then the rest were not started). */
extern unsigned int nr_cpus_over_limit, nr_cpus_unaddressable, nr_cpus_failed;

static inline struct cpu *this_cpu(void)
{
	struct cpu *c;
	__asm__ volatile("movq %%gs:0, %0" : "=r"(c));
	return c;
}

static inline unsigned int smp_processor_id(void)
{
	unsigned int id;
	__asm__ volatile("movl %%gs:%c1, %0"
			 : "=r"(id)
			 : "i"(__builtin_offsetof(struct cpu, id)));
	return id;
}

/* Points GS at the boot CPU's struct cpu. Call right after gdt_init(). */
void smp_init_boot_cpu(void);
/* Starts every enabled AP in the MADT; reports and skips any that does not
 * come up in time. Needs the allocator and the timer. */
void smp_boot_aps(void);
#define CALL_FUNCTION_VECTOR 0xf0

/* Runs fn(arg) on CPU `cpu` in its interrupt context and waits for it.
 * Call with interrupts enabled. Returns 0, or -1 (offline CPU, irqs off). */
int smp_call_function_single(unsigned int cpu, void (*fn)(void *), void *arg);
/* The same on every other online CPU; returns how many ran it. */
unsigned int smp_call_function(void (*fn)(void *), void *arg);
/* Starts fn(arg) on AP `cpu` in process context (a kernel thread pinned
 * there) and returns at once; smp_wait_work() waits for it to finish.
 * Returns -1 for the boot CPU, an offline CPU, one still busy, or when no
 * thread can be made. */
int smp_run_on_cpu_async(unsigned int cpu, void (*fn)(void *), void *arg);
void smp_wait_work(unsigned int cpu);
/* Wakes CPU `cpu` so it looks at its run queue (kernel/core/sched.c). */
void smp_send_reschedule(unsigned int cpu);
/* Call-function IPIs handled so far, on all CPUs. */
uint64_t smp_call_function_count(void);

/* Is [addr, addr+len) on some CPU's kernel stack? (for backtraces) */
bool address_on_cpu_stack(unsigned long addr, unsigned long len);

#endif
