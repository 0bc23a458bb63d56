/*
 * Saving, disabling and restoring interrupts on the local CPU (Linux's
 * local_irq_save/local_irq_restore). In the kernel this is the RFLAGS.IF
 * bit; on the host (LABYRINTH_HOST) there are no interrupts, so a per-thread
 * flag stands in for it and the same mm/ code runs unchanged.
 */
#ifndef LABYRINTH_KERNEL_ARCH_X86_IRQFLAGS_H
#define LABYRINTH_KERNEL_ARCH_X86_IRQFLAGS_H

#include <stdbool.h>

#define X86_EFLAGS_IF 0x200UL

#ifdef LABYRINTH_HOST
extern _Thread_local unsigned long host_irq_flags;
static inline unsigned long arch_local_save_flags(void)
{
	return host_irq_flags;
}
static inline void arch_local_irq_disable(void)
{
	host_irq_flags &= ~X86_EFLAGS_IF;
}
static inline void arch_local_irq_enable(void)
{
	host_irq_flags |= X86_EFLAGS_IF;
}
static inline void arch_local_irq_restore(unsigned long flags)
{
	host_irq_flags = flags;
}
#else
static inline unsigned long arch_local_save_flags(void)
{
	unsigned long flags;
	__asm__ volatile("pushfq; popq %0" : "=r"(flags) : : "memory");
	return flags;
}
static inline void arch_local_irq_disable(void)
{
	__asm__ volatile("cli" : : : "memory");
}
static inline void arch_local_irq_enable(void)
{
	__asm__ volatile("sti" : : : "memory");
}
static inline void arch_local_irq_restore(unsigned long flags)
{
	/* Only IF matters; setting it with sti keeps the other flags alone. */
	if (flags & X86_EFLAGS_IF)
		arch_local_irq_enable();
	else
		arch_local_irq_disable();
}
#endif

#define local_irq_save(flags)                      \
	do {                                       \
		(flags) = arch_local_save_flags(); \
		arch_local_irq_disable();          \
	} while (0)
#define local_irq_restore(flags) arch_local_irq_restore(flags)
#define local_irq_disable() arch_local_irq_disable()
#define local_irq_enable() arch_local_irq_enable()

static inline bool irqs_disabled(void)
{
	return !(arch_local_save_flags() & X86_EFLAGS_IF);
}

#endif
