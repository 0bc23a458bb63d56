/*
 * irq_dispatch and handler registration. Every vector from 32 to 255 enters
 * through kernel/arch/x86/irq_stubs.asm and lands here with interrupts disabled;
 * irq_enter()/irq_exit() bracket the handler so in_irq() is true inside it,
 * and the local APIC gets its EOI after the handler, so a handler that
 * re-enables interrupts can be interrupted only by higher priority classes.
 * See docs/04-interrupts.md ("From a device to a handler").
 */
#include "kernel/core/irq.h"
#include "kernel/arch/x86/acpi.h"
#include "kernel/arch/x86/apic.h"
#include "kernel/arch/x86/exceptions.h"
#include "kernel/arch/x86/gdt.h"
#include "kernel/arch/x86/pic.h"
#include "kernel/lib/printk.h"
#include "kernel/core/sched.h"
#include "kernel/core/spinlock.h"
#include "kernel/arch/x86/timer.h"

struct irq_desc {
	irq_handler_t handler;
	void *dev_id;
	const char *name;
	int isa_irq; /* -1: a local vector */
	uint64_t count;
};

struct irq_cpu_state cpu_irq_state[MAX_CPUS];
uint64_t irq_unexpected_count, irq_spurious_count;

static struct irq_desc irq_desc[NR_VECTORS];
static DEFINE_SPINLOCK(irq_desc_lock);

extern const uint64_t irq_stub_table[NR_VECTORS - FIRST_EXTERNAL_VECTOR];

static void irq_enter(void)
{
	struct irq_cpu_state *c = this_cpu_irq();
	preempt_count_add(HARDIRQ_OFFSET);
	unsigned int depth = hardirq_count() / HARDIRQ_OFFSET;
	if (depth > c->hardirq_depth_max)
		c->hardirq_depth_max = depth;
	__asm__ volatile("" : : : "memory");
}

static void irq_exit(void)
{
	preempt_count_sub(HARDIRQ_OFFSET);
}

static void handle_unexpected(unsigned int vector)
{
	/* Reported once per vector: an interrupt storm must not drown the log. */
	if (irq_desc[vector].count++ == 0)
		pr_err("irq: unexpected interrupt on vector 0x%x (no handler); sending EOI\n",
		       vector);
	irq_unexpected_count++;
	apic_eoi();
}

void irq_dispatch(struct trap_frame *f)
{
	unsigned int vector = (unsigned int)f->vector;
	uint64_t start = rdtsc();

	irq_enter();
	this_cpu_irq()->irqs++;
	if (vector == SPURIOUS_APIC_VECTOR) {
		/* The APIC withdrew the interrupt; it wants no EOI. */
		irq_spurious_count++;
	} else if (vector >= PIC_VECTOR_BASE && vector < PIC_VECTOR_BASE + 16) {
		/*
		 * Every 8259 line is masked, so only their spurious IRQ 7 or
		 * 15 can get here. Those get no EOI from the PIC that made
		 * them up, but a slave's one was cascaded through the master,
		 * which does want its EOI (Linux does the same).
		 */
		irq_spurious_count++;
		if (vector == PIC_SPURIOUS_SLAVE)
			pic_master_eoi();
	} else if (irq_desc[vector].handler) {
		struct irq_desc *d = &irq_desc[vector];
		d->count++;
		unsigned int irq =
		    d->isa_irq >= 0 ? (unsigned int)d->isa_irq : vector;
		d->handler(irq, d->dev_id);
		apic_eoi();
	} else {
		handle_unexpected(vector);
	}
	irq_exit();

	uint64_t cycles = rdtsc() - start;
	if (cycles > this_cpu_irq()->max_cycles)
		this_cpu_irq()->max_cycles = cycles;
	/* Leaving the outermost interrupt into code that may be preempted:
	 * a switch the tick or a wakeup asked for happens here, on the
	 * interrupted task's stack; it resumes here later and returns. */
	if (need_resched() && preempt_count() == 0)
		preempt_schedule_irq();
}

static int set_handler(unsigned int vector, int isa_irq, irq_handler_t handler,
		       const char *name, void *dev_id)
{
	unsigned long flags;
	int ret = -1;

	spin_lock_irqsave(&irq_desc_lock, flags);
	struct irq_desc *d = &irq_desc[vector];
	if (!d->handler) {
		*d = (struct irq_desc){ handler, dev_id, name, isa_irq, 0 };
		ret = 0;
	}
	spin_unlock_irqrestore(&irq_desc_lock, flags);
	if (ret)
		pr_err("irq: vector 0x%x for '%s' is already taken by '%s'\n",
		       vector, name, d->name);
	return ret;
}

static void clear_handler(unsigned int vector)
{
	unsigned long flags;
	spin_lock_irqsave(&irq_desc_lock, flags);
	irq_desc[vector].handler = NULL;
	irq_desc[vector].dev_id = NULL;
	spin_unlock_irqrestore(&irq_desc_lock, flags);
}

int request_vector(unsigned int vector, irq_handler_t handler, const char *name,
		   void *dev_id)
{
	if (vector < FIRST_DYNAMIC_VECTOR || vector >= SPURIOUS_APIC_VECTOR ||
	    !handler) {
		pr_err("irq: '%s' asked for vector 0x%x, outside 0x%x..0x%x\n",
		       name, vector, FIRST_DYNAMIC_VECTOR,
		       SPURIOUS_APIC_VECTOR - 1);
		return -1;
	}
	return set_handler(vector, -1, handler, name, dev_id);
}

void free_vector(unsigned int vector)
{
	if (vector < NR_VECTORS)
		clear_handler(vector);
}

int request_irq(unsigned int irq, irq_handler_t handler, const char *name,
		void *dev_id)
{
	if (irq >= NR_ISA_IRQS || !handler) {
		pr_err("irq: '%s' asked for IRQ %u; only ISA IRQs 0-15 exist\n",
		       name, irq);
		return -1;
	}
	unsigned int vector = ISA_IRQ_VECTOR(irq);
	if (set_handler(vector, (int)irq, handler, name, dev_id))
		return -1;
	if (ioapic_route_isa_irq(irq, vector, false) < 0) {
		clear_handler(vector);
		return -1;
	}
	return 0;
}

void free_irq(unsigned int irq, void *dev_id)
{
	if (irq >= NR_ISA_IRQS ||
	    irq_desc[ISA_IRQ_VECTOR(irq)].dev_id != dev_id)
		return;
	ioapic_mask_isa_irq(irq, true);
	clear_handler(ISA_IRQ_VECTOR(irq));
}

uint64_t irq_vector_count(unsigned int vector)
{
	return vector < NR_VECTORS ? irq_desc[vector].count : 0;
}

static irqreturn_t apic_error_interrupt(unsigned int vector, void *dev_id)
{
	(void)vector;
	(void)dev_id;
	pr_err("apic: local APIC error, ESR 0x%x\n", apic_read_esr());
	return IRQ_HANDLED;
}

void init_IRQ(void)
{
	pic_init_masked();
	for (unsigned int v = FIRST_EXTERNAL_VECTOR; v < NR_VECTORS; v++)
		idt_set_gate((int)v, irq_stub_table[v - FIRST_EXTERNAL_VECTOR],
			     0);
	lapic_init();
	ioapic_init();
	set_handler(ERROR_APIC_VECTOR, -1, apic_error_interrupt, "apic-error",
		    NULL);
}
