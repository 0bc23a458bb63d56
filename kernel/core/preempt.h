/*
 * The preemption count: Linux's preempt_count, one per CPU, read and
 * written through GS (struct cpu in kernel/arch/x86/smp.h). Its bit fields say why
 * the running code may not be switched away from: interrupt nesting (set
 * by irq_dispatch), and preempt_disable() sections, which every held
 * spinlock is. The scheduler only preempts a task whose count is 0; when a
 * section ends with a switch pending, preempt_enable() makes it then.
 * See docs/05b-threads-and-sleeping.md ("Preemption").
 */
#ifndef LABYRINTH_KERNEL_CORE_PREEMPT_H
#define LABYRINTH_KERNEL_CORE_PREEMPT_H

#include <stdbool.h>

#include "kernel/arch/x86/smp.h"

#define PREEMPT_OFFSET 0x00000001u
#define SOFTIRQ_OFFSET 0x00000100u
#define HARDIRQ_OFFSET 0x00010000u
#define NMI_OFFSET 0x00100000u
#define PREEMPT_MASK 0x000000ffu
#define SOFTIRQ_MASK 0x0000ff00u
#define HARDIRQ_MASK 0x000f0000u
#define NMI_MASK 0x00f00000u

#define PREEMPT_COUNT_OFFSET __builtin_offsetof(struct cpu, preempt_count)
#define NEED_RESCHED_OFFSET __builtin_offsetof(struct cpu, need_resched)

static inline unsigned int preempt_count(void)
{
	unsigned int pc;
	__asm__ volatile("movl %%gs:%c1, %0"
			 : "=r"(pc)
			 : "i"(PREEMPT_COUNT_OFFSET)
			 : "memory");
	return pc;
}

/* One instruction each: an interrupt cannot split the update, and only
 * this CPU (or an interrupt on it, which restores the count) writes it. */
static inline void preempt_count_add(unsigned int v)
{
	__asm__ volatile("addl %0, %%gs:%c1"
			 :
			 : "ri"(v), "i"(PREEMPT_COUNT_OFFSET)
			 : "memory", "cc");
}
static inline void preempt_count_sub(unsigned int v)
{
	__asm__ volatile("subl %0, %%gs:%c1"
			 :
			 : "ri"(v), "i"(PREEMPT_COUNT_OFFSET)
			 : "memory", "cc");
}

static inline bool need_resched(void)
{
	bool r;
	__asm__ volatile("movb %%gs:%c1, %0"
			 : "=q"(r)
			 : "i"(NEED_RESCHED_OFFSET)
			 : "memory");
	return r;
}

/* kernel/core/sched.c: switch now if a switch is due and allowed. */
void preempt_schedule(void);

static inline void preempt_disable(void)
{
	preempt_count_add(PREEMPT_OFFSET);
}

static inline void preempt_enable_no_resched(void)
{
	preempt_count_sub(PREEMPT_OFFSET);
}

static inline void preempt_enable(void)
{
	preempt_count_sub(PREEMPT_OFFSET);
	if (__builtin_expect(need_resched(), 0) && preempt_count() == 0)
		preempt_schedule();
}

#endif
