/*
 * Saving, disabling and restoring interrupts on the local CPU (Linux's
 * local_irq_save/local_irq_restore). In the kernel this is the RFLAGS.IF
 * bit; on the host (LABYRINTH_HOST) a per-thread flag stands in for it and
 * the same mm/ code runs unchanged; signals may play interrupts (below).
 */
#ifndef LABYRINTH_KERNEL_ARCH_X86_IRQFLAGS_H
#define LABYRINTH_KERNEL_ARCH_X86_IRQFLAGS_H

#include <stdbool.h>

#define X86_EFLAGS_IF 0x200UL

#ifdef LABYRINTH_HOST
/*
 * The host plays interrupts with signals (tests/stress/): a handler
 * registered with host_irq_set_handler() runs when host_irq_deliver() is
 * called from a signal handler, at once if this thread's IF is on; with
 * IF off the interrupt is only marked pending, and runs when IF comes back
 * on, as a real CPU's does. Code between local_irq_save and restore is
 * therefore never interrupted, and code that forgets it is. The signal
 * fences keep the compiler from moving memory accesses across IF changes
 * (the kernel's cli/sti carry a "memory" clobber for the same reason).
 * docs/07b-soak-stress-and-fuzzing.md ("Stress on the host").
 */
extern _Thread_local unsigned long host_irq_flags;
extern _Thread_local volatile int host_irq_pending;
/* Interrupts this thread ran, and of them those held while IF was off. */
extern _Thread_local unsigned long host_irqs_run, host_irqs_deferred;
void host_irq_set_handler(void (*handler)(void));
void host_irq_deliver(void);
void host_irq_replay(void);
static inline unsigned long arch_local_save_flags(void)
{
	return host_irq_flags;
}
static inline void arch_local_irq_disable(void)
{
	host_irq_flags &= ~X86_EFLAGS_IF;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}
static inline void arch_local_irq_enable(void)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	host_irq_flags |= X86_EFLAGS_IF;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (__builtin_expect(host_irq_pending, 0))
		host_irq_replay();
}
static inline void arch_local_irq_restore(unsigned long flags)
{
	if (flags & X86_EFLAGS_IF)
		arch_local_irq_enable();
	else
		arch_local_irq_disable();
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
/* The same of flags local_irq_save returned (Linux's irqs_disabled_flags):
 * "were interrupts off before?", without reading them again. */
static inline bool irqs_disabled_flags(unsigned long flags)
{
	return !(flags & X86_EFLAGS_IF);
}

/*
 * local_irq_restore for a hot path that must make no call (a call, even
 * one almost never made, costs the path the registers it clobbers;
 * docs/08-measuring.md): restores flags and returns true when the caller
 * must still call local_irq_replay() (host: an interrupt arrived while IF
 * was off). The kernel's sti delivers by itself: always false there.
 */
static inline bool local_irq_restore_nocall(unsigned long flags)
{
#ifdef LABYRINTH_HOST
	if (!(flags & X86_EFLAGS_IF)) {
		arch_local_irq_disable();
		return false;
	}
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	host_irq_flags |= X86_EFLAGS_IF;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	return __builtin_expect(host_irq_pending, 0);
#else
	arch_local_irq_restore(flags);
	return false;
#endif
}
static inline void local_irq_replay(void)
{
#ifdef LABYRINTH_HOST
	host_irq_replay();
#endif
}

#endif
