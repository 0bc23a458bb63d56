/*
 * The local APIC. In xAPIC mode its registers are a 4 KiB MMIO page (mapped
 * uncached by ioremap); in x2APIC mode the same registers are MSRs
 * 0x800 + offset/16, which is faster (no MMIO) and has room for 32-bit APIC
 * IDs. apic_read/apic_write hide the difference from the rest of the kernel.
 * See docs/04-interrupts.md ("The APICs").
 */
#include "kernel/arch/x86/apic.h"
#include "kernel/arch/x86/acpi.h"
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/ioremap.h"
#include "kernel/core/irq.h"
#include "kernel/debug/panic.h"
#include "kernel/lib/printk.h"

#define MSR_IA32_APICBASE 0x1b
#define MSR_IA32_APICBASE_BSP (1ULL << 8)
#define MSR_IA32_APICBASE_EXTD (1ULL << 10) /* x2APIC mode */
#define MSR_IA32_APICBASE_ENABLE (1ULL << 11)
#define MSR_IA32_APICBASE_BASE 0xffffff000ULL
#define APIC_BASE_MSR 0x800

bool x2apic_mode;
static volatile uint8_t *lapic_mmio;

uint32_t apic_read(uint32_t reg)
{
	if (x2apic_mode)
		return (uint32_t)rdmsr(APIC_BASE_MSR + (reg >> 4));
	return readl(lapic_mmio + reg);
}

void apic_write(uint32_t reg, uint32_t value)
{
	if (x2apic_mode)
		wrmsr(APIC_BASE_MSR + (reg >> 4), value);
	else
		writel(value, lapic_mmio + reg);
}

uint32_t read_apic_id(void)
{
	uint32_t id = apic_read(APIC_ID);
	return x2apic_mode ? id : id >> 24; /* xAPIC: the ID is bits 31:24 */
}

void apic_eoi(void)
{
	apic_write(APIC_EOI, 0);
}

bool apic_vector_in_service(unsigned int vector)
{
	return apic_read(APIC_ISR + (vector / 32) * 0x10) &
	       (1u << (vector % 32));
}

uint32_t apic_read_esr(void)
{
	/* A write (of 0: x2APIC faults on anything else) latches the errors. */
	apic_write(APIC_ESR, 0);
	return apic_read(APIC_ESR);
}

void apic_send_self_ipi(unsigned int vector)
{
	if (x2apic_mode) {
		/* x2APIC has a register just for this. */
		wrmsr(APIC_BASE_MSR + (APIC_SELF_IPI >> 4), vector);
		return;
	}
	while (apic_read(APIC_ICR) & APIC_ICR_BUSY)
		__builtin_ia32_pause();
	apic_write(APIC_ICR2, 0);
	apic_write(APIC_ICR, APIC_DEST_SELF | vector); /* fixed, physical */
}

void lapic_init(void)
{
	uint64_t base = rdmsr(MSR_IA32_APICBASE);
	uint64_t phys = base & MSR_IA32_APICBASE_BASE;

	if (phys != acpi.lapic_phys)
		pr_warn("apic: MSR says LAPIC at 0x%lx, MADT 0x%lx; using the MSR\n",
			phys, acpi.lapic_phys);
	/* Enable in xAPIC mode first: x2APIC may only be entered from there. */
	base |= MSR_IA32_APICBASE_ENABLE;
	wrmsr(MSR_IA32_APICBASE, base);
	if (boot_cpu.x2apic) {
		wrmsr(MSR_IA32_APICBASE, base | MSR_IA32_APICBASE_EXTD);
		x2apic_mode = true;
	} else {
		/* Every CPU's APIC answers at the same address: map it once. */
		if (!lapic_mmio)
			lapic_mmio = ioremap(phys, 4096);
		if (!lapic_mmio)
			panic("cannot map the local APIC");
		/* Flat logical mode: unused here (physical destinations), but
		 * a defined state. DFR does not exist in x2APIC mode. */
		apic_write(APIC_DFR, 0xffffffffu);
	}

	apic_write(APIC_TASKPRI, 0); /* accept every priority */
	apic_write(APIC_LVTT, APIC_LVT_MASKED | LOCAL_TIMER_VECTOR);
	/* The 8259s are masked and unused: no ExtINT through LINT0. */
	apic_write(APIC_LVT0, APIC_LVT_MASKED | APIC_DM_EXTINT);
	apic_write(APIC_LVT1, APIC_DM_NMI); /* LINT1 is wired to NMI on PCs */
	apic_write(APIC_LVTERR, ERROR_APIC_VECTOR);
	apic_read_esr();
	/* Software-enable with the spurious vector: 0xff, whose low four bits
	 * must be ones on old APICs. */
	apic_write(APIC_SPIV, APIC_SPIV_APIC_ENABLED | SPURIOUS_APIC_VECTOR);
	apic_eoi(); /* drop anything the firmware left in service */

	uint32_t ver = apic_read(APIC_LVR);
	pr_info("apic: local APIC id %u, version 0x%x, %u LVT entries, %s mode%s\n",
		read_apic_id(), ver & 0xff, ((ver >> 16) & 0xff) + 1,
		x2apic_mode ? "x2APIC (MSRs)" : "xAPIC (MMIO)",
		base & MSR_IA32_APICBASE_BSP ? ", boot CPU" : "");
	if (!x2apic_mode)
		pr_info("apic: LAPIC registers at phys 0x%lx mapped at %p (uncached)\n",
			phys, lapic_mmio);
}

void lapic_timer_start_countdown(void)
{
	apic_write(APIC_TDCR, APIC_TDR_DIV_16);
	apic_write(APIC_LVTT,
		   APIC_LVT_MASKED | LOCAL_TIMER_VECTOR); /* one-shot */
	apic_write(APIC_TMICT, 0xffffffffu);
}

uint32_t lapic_timer_current(void)
{
	return apic_read(APIC_TMCCT);
}

void lapic_timer_periodic(unsigned int vector, uint32_t count)
{
	apic_write(APIC_TDCR, APIC_TDR_DIV_16);
	apic_write(APIC_LVTT, APIC_LVT_TIMER_PERIODIC | vector);
	apic_write(APIC_TMICT, count); /* writing the count starts it */
}

void lapic_timer_stop(void)
{
	apic_write(APIC_LVTT, APIC_LVT_MASKED | LOCAL_TIMER_VECTOR);
	apic_write(APIC_TMICT, 0);
}
