/*
 * The local APIC (one per CPU: its interrupts, its timer, EOI, IPIs) in
 * xAPIC mode (registers in an MMIO page) or x2APIC mode (registers as MSRs),
 * and the I/O APICs that turn device lines (GSIs) into vectors.
 * kernel/arch/x86/apic.c is the local APIC, kernel/arch/x86/ioapic.c the I/O APIC.
 * See docs/04-interrupts.md ("The APICs").
 */
#ifndef LABYRINTH_KERNEL_ARCH_X86_APIC_H
#define LABYRINTH_KERNEL_ARCH_X86_APIC_H

#include <stdbool.h>
#include <stdint.h>

/* Local APIC register offsets (xAPIC MMIO; x2APIC MSR = 0x800 + off / 16). */
#define APIC_ID 0x20
#define APIC_LVR 0x30 /* version, max LVT entry */
#define APIC_TASKPRI 0x80
#define APIC_EOI 0xb0
#define APIC_LDR 0xd0
#define APIC_DFR 0xe0
#define APIC_SPIV 0xf0
#define APIC_ISR 0x100 /* in-service bits, 8 registers 0x10 apart */
#define APIC_ESR 0x280
#define APIC_ICR 0x300
#define APIC_ICR2 0x310
#define APIC_LVTT 0x320
#define APIC_LVT0 0x350
#define APIC_LVT1 0x360
#define APIC_LVTERR 0x370
#define APIC_TMICT 0x380    /* timer initial count */
#define APIC_TMCCT 0x390    /* timer current count: counts down */
#define APIC_TDCR 0x3e0	    /* timer divide configuration */
#define APIC_SELF_IPI 0x3f0 /* x2APIC only */

#define APIC_SPIV_APIC_ENABLED (1u << 8)
#define APIC_LVT_MASKED (1u << 16)
#define APIC_LVT_TIMER_PERIODIC (1u << 17)
#define APIC_DM_NMI 0x400u
#define APIC_DM_EXTINT 0x700u
#define APIC_DEST_SELF 0x40000u
#define APIC_ICR_BUSY (1u << 12)
#define APIC_TDR_DIV_16 0x3u
#define APIC_DIVISOR 16

/* true once the local APIC runs in x2APIC mode. */
extern bool x2apic_mode;

/* Enables this CPU's local APIC (x2APIC if the CPU has it), spurious vector
 * 0xff, LINT0 masked (the 8259s are not used), LINT1 as NMI, error vector. */
void lapic_init(void);
uint32_t apic_read(uint32_t reg);
void apic_write(uint32_t reg, uint32_t value);
uint32_t read_apic_id(void);
void apic_eoi(void);
/* Is this vector in service (its EOI not yet sent)? */
bool apic_vector_in_service(unsigned int vector);
/* A fixed interrupt to this CPU itself (tests, later: self-wakeups). */
void apic_send_self_ipi(unsigned int vector);
/* Local APIC errors latched since the last call (ESR). */
uint32_t apic_read_esr(void);

/* The timer: free-running one-shot countdown for calibration, periodic tick. */
void lapic_timer_start_countdown(void);
uint32_t lapic_timer_current(void);
void lapic_timer_periodic(unsigned int vector, uint32_t count);
void lapic_timer_stop(void);

/* The I/O APICs from the MADT, all pins masked until routed. */
void ioapic_init(void);
/* Routes ISA IRQ `irq` (0-15) with the MADT override to `vector` on this CPU,
 * masked or not. Returns the GSI it used, or -1 if no I/O APIC has it. */
int ioapic_route_isa_irq(unsigned int irq, unsigned int vector, bool masked);
void ioapic_mask_isa_irq(unsigned int irq, bool masked);
/* The 64-bit redirection entry of a GSI (for tests), false if none. */
bool ioapic_read_entry(uint32_t gsi, uint64_t *entry);

#endif
