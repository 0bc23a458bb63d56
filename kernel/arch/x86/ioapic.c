/*
 * The I/O APIC: a table of redirection entries, one per input pin, each
 * saying which vector to raise on which CPU and how the line signals (edge
 * or level, active high or low). Pin p of an I/O APIC with GSI base b is
 * global system interrupt b + p. Only two registers are visible: IOREGSEL
 * picks a register, IOWIN reads or writes it.
 * See docs/04-interrupts.md ("The APICs").
 */
#include "kernel/arch/x86/acpi.h"
#include "kernel/arch/x86/apic.h"
#include "kernel/arch/x86/ioremap.h"
#include "kernel/lib/printk.h"
#include "kernel/core/spinlock.h"

#define IOAPIC_REGSEL 0x00
#define IOAPIC_WINDOW 0x10
#define IOAPIC_REG_ID 0x00
#define IOAPIC_REG_VER 0x01
#define IOAPIC_REG_TABLE 0x10 /* entry n: 0x10 + 2n (low), 0x11 + 2n (high) */

#define IOAPIC_ACTIVE_LOW (1u << 13)
#define IOAPIC_LEVEL (1u << 15)
#define IOAPIC_MASKED (1u << 16)

struct ioapic {
	volatile uint8_t *mmio;
	uint32_t gsi_base;
	unsigned int pins;
	uint8_t id;
};

static struct ioapic ioapics[ACPI_MAX_IOAPICS];
static unsigned int nr_ioapics;
/* IOREGSEL then IOWIN is two accesses: nothing may come in between. */
static DEFINE_SPINLOCK(ioapic_lock);

static uint32_t io_apic_read(struct ioapic *io, uint32_t reg)
{
	writel(reg, io->mmio + IOAPIC_REGSEL);
	return readl(io->mmio + IOAPIC_WINDOW);
}

static void io_apic_write(struct ioapic *io, uint32_t reg, uint32_t v)
{
	writel(reg, io->mmio + IOAPIC_REGSEL);
	writel(v, io->mmio + IOAPIC_WINDOW);
}

static struct ioapic *ioapic_for_gsi(uint32_t gsi, unsigned int *pin)
{
	for (unsigned int i = 0; i < nr_ioapics; i++) {
		struct ioapic *io = &ioapics[i];
		if (gsi >= io->gsi_base && gsi < io->gsi_base + io->pins) {
			*pin = gsi - io->gsi_base;
			return io;
		}
	}
	return NULL;
}

void ioapic_init(void)
{
	for (unsigned int i = 0; i < acpi.nioapics; i++) {
		struct ioapic *io = &ioapics[nr_ioapics];
		io->mmio = ioremap(acpi.ioapics[i].phys, 4096);
		if (!io->mmio)
			continue;
		io->gsi_base = acpi.ioapics[i].gsi_base;
		io->id = acpi.ioapics[i].id;
		uint32_t ver = io_apic_read(io, IOAPIC_REG_VER);
		io->pins = ((ver >> 16) & 0xff) + 1;
		/* Everything masked until a driver asks for its line. */
		for (unsigned int pin = 0; pin < io->pins; pin++) {
			io_apic_write(io, IOAPIC_REG_TABLE + 2 * pin,
				      IOAPIC_MASKED);
			io_apic_write(io, IOAPIC_REG_TABLE + 2 * pin + 1, 0);
		}
		pr_info("ioapic: id %u, version 0x%x, GSIs %u-%u, at phys 0x%lx mapped at %p\n",
			io->id, ver & 0xff, io->gsi_base,
			io->gsi_base + io->pins - 1, acpi.ioapics[i].phys,
			io->mmio);
		nr_ioapics++;
	}
	if (!nr_ioapics)
		pr_err(
		    "ioapic: no usable I/O APIC: legacy IRQs cannot be routed\n");
}

int ioapic_route_isa_irq(unsigned int irq, unsigned int vector, bool masked)
{
	if (irq >= NR_ISA_IRQS)
		return -1;
	const struct acpi_isa_route *r = &acpi.isa[irq];
	unsigned int pin;
	struct ioapic *io = ioapic_for_gsi(r->gsi, &pin);
	if (!io) {
		pr_err("ioapic: ISA IRQ %u (GSI %u) is on no I/O APIC\n", irq,
		       r->gsi);
		return -1;
	}
	uint32_t low = vector | (r->active_low ? IOAPIC_ACTIVE_LOW : 0) |
		       (r->level ? IOAPIC_LEVEL : 0) |
		       (masked ? IOAPIC_MASKED : 0);
	/* Fixed delivery, physical destination: this CPU's APIC ID. */
	uint32_t high = read_apic_id() << 24;
	unsigned long flags;
	spin_lock_irqsave(&ioapic_lock, flags);
	/* Mask while the entry is half written, destination before vector. */
	io_apic_write(io, IOAPIC_REG_TABLE + 2 * pin, IOAPIC_MASKED);
	io_apic_write(io, IOAPIC_REG_TABLE + 2 * pin + 1, high);
	io_apic_write(io, IOAPIC_REG_TABLE + 2 * pin, low);
	spin_unlock_irqrestore(&ioapic_lock, flags);
	return (int)r->gsi;
}

void ioapic_mask_isa_irq(unsigned int irq, bool masked)
{
	if (irq >= NR_ISA_IRQS)
		return;
	unsigned int pin;
	struct ioapic *io = ioapic_for_gsi(acpi.isa[irq].gsi, &pin);
	if (!io)
		return;
	unsigned long flags;
	spin_lock_irqsave(&ioapic_lock, flags);
	uint32_t low = io_apic_read(io, IOAPIC_REG_TABLE + 2 * pin);
	low = masked ? low | IOAPIC_MASKED : low & ~IOAPIC_MASKED;
	io_apic_write(io, IOAPIC_REG_TABLE + 2 * pin, low);
	spin_unlock_irqrestore(&ioapic_lock, flags);
}

bool ioapic_read_entry(uint32_t gsi, uint64_t *entry)
{
	unsigned int pin;
	struct ioapic *io = ioapic_for_gsi(gsi, &pin);
	if (!io)
		return false;
	unsigned long flags;
	spin_lock_irqsave(&ioapic_lock, flags);
	*entry = io_apic_read(io, IOAPIC_REG_TABLE + 2 * pin) |
		 (uint64_t)io_apic_read(io, IOAPIC_REG_TABLE + 2 * pin + 1)
		     << 32;
	spin_unlock_irqrestore(&ioapic_lock, flags);
	return true;
}
