/*
 * Interrupt handling: the vector layout, handler registration, and the
 * per-CPU count that tells code whether it runs in interrupt context
 * (Linux's preempt_count, in_irq(), in_interrupt()). Hardware interrupts
 * enter through kernel/arch/x86/irq_stubs.asm and irq_dispatch().
 * See docs/04-interrupts.md ("From a device to a handler").
 */
#ifndef LABYRINTH_KERNEL_CORE_IRQ_H
#define LABYRINTH_KERNEL_CORE_IRQ_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/arch/x86/irqflags.h"
#ifndef LABYRINTH_HOST
#include "kernel/core/preempt.h"
#include "kernel/arch/x86/smp.h"
#endif

/* Vectors (Linux's layout in arch/x86/include/asm/irq_vectors.h). */
#define FIRST_EXTERNAL_VECTOR 0x20 /* 0x20-0x2f: the masked 8259s (spurious) */
#define ISA_IRQ_VECTOR(irq) (0x30 + (irq)) /* legacy IRQs via the I/O APIC */
#define FIRST_DYNAMIC_VECTOR 0x40	   /* free for request_vector() users */
#define LAST_DYNAMIC_VECTOR 0xdf
#define LOCAL_TIMER_VECTOR 0xec
#define ERROR_APIC_VECTOR 0xfe
#define SPURIOUS_APIC_VECTOR 0xff
#define NR_VECTORS 256

#ifndef LABYRINTH_HOST
/*
 * What each CPU keeps about interrupts, one per CPU (kernel/arch/x86/smp.h: the CPU
 * number is read through GS, so this is right on every CPU).
 */
struct irq_cpu_state {
	unsigned int hardirq_depth_max; /* deepest hardirq nesting seen */
	unsigned int lockdep_recursion; /* inside the lock validator */
	uint64_t irqs;			/* interrupts handled */
	uint64_t max_cycles;		/* longest handler, TSC cycles */
};
extern struct irq_cpu_state cpu_irq_state[MAX_CPUS];
#define boot_cpu_irq (cpu_irq_state[0])

static inline struct irq_cpu_state *this_cpu_irq(void)
{
	return &cpu_irq_state[smp_processor_id()];
}
#else
#define HARDIRQ_MASK 0x000f0000u
#define SOFTIRQ_MASK 0x0000ff00u
#define NMI_MASK 0x00f00000u
#define HARDIRQ_OFFSET 0x00010000u
/* Host threads are in interrupt context only while a signal plays an
 * interrupt (host_irq_deliver in tests/support/platform_host.c). */
extern _Thread_local unsigned int host_preempt_count;
static inline unsigned int preempt_count(void)
{
	return host_preempt_count;
}
#endif

#define hardirq_count() (preempt_count() & HARDIRQ_MASK)
#define softirq_count() (preempt_count() & SOFTIRQ_MASK)
#define irq_count() (preempt_count() & (HARDIRQ_MASK | SOFTIRQ_MASK | NMI_MASK))

/* In a hardware interrupt handler? */
static inline bool in_irq(void)
{
	return hardirq_count() != 0;
}
#define in_hardirq() in_irq()
/* In any interrupt context (hard, soft or NMI)? */
static inline bool in_interrupt(void)
{
	return irq_count() != 0;
}
/* Anything that forbids sleeping (interrupts, or preemption disabled)? */
static inline bool in_atomic(void)
{
	return preempt_count() != 0;
}

#ifndef LABYRINTH_HOST
enum irqreturn { IRQ_NONE = 0, IRQ_HANDLED = 1 };
typedef enum irqreturn irqreturn_t;
/* `irq` is the ISA IRQ for request_irq() handlers, else the vector. */
typedef irqreturn_t (*irq_handler_t)(unsigned int irq, void *dev_id);

/*
 * Sets up the interrupt hardware: masks the 8259s, installs the entry stubs
 * for vectors 32-255, brings up the local APIC and the I/O APICs from the
 * MADT (acpi_init() first). Interrupts stay disabled; time_init() next.
 */
void init_IRQ(void);

/*
 * A legacy (ISA) IRQ, 0-15: routed through the I/O APIC to
 * ISA_IRQ_VECTOR(irq) with the MADT's override applied, and unmasked.
 * Returns 0, or -1 (reported) if the IRQ is taken or cannot be routed.
 */
int request_irq(unsigned int irq, irq_handler_t handler, const char *name,
		void *dev_id);
void free_irq(unsigned int irq, void *dev_id);

/* A local vector (the APIC timer, IPIs, tests): FIRST_DYNAMIC_VECTOR..0xfe. */
int request_vector(unsigned int vector, irq_handler_t handler, const char *name,
		   void *dev_id);
void free_vector(unsigned int vector);

/* How many times the vector's handler ran. */
uint64_t irq_vector_count(unsigned int vector);
/* Interrupts that arrived with no handler, and spurious ones (APIC, 8259). */
extern uint64_t irq_unexpected_count, irq_spurious_count;

/* The entry point kernel/arch/x86/irq_stubs.asm calls, with the saved registers. */
struct trap_frame;
void irq_dispatch(struct trap_frame *f);

#endif

#endif
