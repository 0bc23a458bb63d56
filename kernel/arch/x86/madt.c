/*
 * The MADT's entries: which CPUs (local APIC and x2APIC entries), which
 * I/O APICs, how the ISA IRQs are wired. This file reads only the table
 * it is handed (acpi.c has checked its length and checksum in place), so
 * the host tests feed it synthetic tables (tests/shared/numa_topology_test.c).
 * See docs/04-interrupts.md ("ACPI") and docs/11-numa.md ("More CPUs").
 */
#include "kernel/arch/x86/acpi.h"
#include "kernel/lib/printk.h"

/* Refused CPUs named one by one before the rest are only counted. */
#define REFUSED_NAMED 4

uint8_t acpi_checksum(const void *p, uint32_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;
	while (len--)
		sum += *b++;
	return sum;
}

static void add_cpu(struct acpi_info *out, uint32_t apic_id, uint32_t uid,
		    uint32_t flags, bool x2)
{
	if (!(flags & 1)) {
		/* Online-capable (bit 1): hot-pluggable later, not started
		 * now; neither bit: not there at all. */
		out->ncpus_hotplug += (flags >> 1) & 1;
		return;
	}
	for (unsigned int i = 0; i < out->ncpus; i++)
		if (out->cpus[i].apic_id == apic_id)
			return; /* listed by both an xAPIC and an x2APIC entry */
	out->ncpus_listed++;
	if (out->ncpus == ACPI_MAX_CPUS) {
		if (++out->ncpus_refused <= REFUSED_NAMED)
			pr_warn("acpi: MADT: CPU with APIC ID %u refused: the kernel runs at most %d CPUs (CONFIG_NR_CPUS)\n",
				apic_id, ACPI_MAX_CPUS);
		return;
	}
	out->cpus[out->ncpus++] = (struct acpi_cpu){ apic_id, uid, true, x2 };
}

/* The smallest length each MADT entry type needs before it can be read. */
static uint8_t madt_entry_min(uint8_t type)
{
	switch (type) {
	case ACPI_MADT_LOCAL_APIC:
		return 8;
	case ACPI_MADT_IO_APIC:
		return 12;
	case ACPI_MADT_INTERRUPT_OVERRIDE:
		return 10;
	case ACPI_MADT_LOCAL_APIC_OVERRIDE:
		return 12;
	case ACPI_MADT_LOCAL_X2APIC:
		return 16;
	default:
		return 2;
	}
}

static void add_override(struct acpi_info *out, const uint8_t *e)
{
	uint8_t bus = e[2], irq = e[3];
	uint16_t flags = acpi_get16(e + 8);
	if (bus != 0 || irq >= NR_ISA_IRQS) {
		pr_warn("acpi: MADT: override for bus %u IRQ %u ignored (ISA only)\n",
			bus, irq);
		return;
	}
	/* "Conforms to the bus" (0) means edge, active high for ISA. */
	out->isa[irq] = (struct acpi_isa_route){
		acpi_get32(e + 4),
		(flags & ACPI_POLARITY_MASK) == ACPI_POLARITY_LOW,
		(flags & ACPI_TRIGGER_MASK) == ACPI_TRIGGER_LEVEL, true
	};
	out->noverrides++;
}

unsigned int acpi_parse_madt(const struct acpi_madt *madt,
			     struct acpi_info *out)
{
	const uint8_t *base = (const uint8_t *)madt;
	uint32_t off = sizeof(*madt);
	unsigned int problems = 0;

	out->lapic_phys = madt->lapic_address;
	out->pcat_compat = madt->flags & 1;
	out->nioapics = 0; /* the MADT lists them all */
	while (off + 2 <= madt->header.length) {
		const uint8_t *e = base + off;
		uint8_t type = e[0], len = e[1];
		if (len < madt_entry_min(type) ||
		    off + len > madt->header.length) {
			pr_err("acpi: MADT: entry type %u at offset %u has bad length %u; the rest is ignored\n",
			       type, off, len);
			problems++;
			break;
		}
		switch (type) {
		case ACPI_MADT_LOCAL_APIC:
			add_cpu(out, e[3], e[2], acpi_get32(e + 4), false);
			break;
		case ACPI_MADT_LOCAL_X2APIC:
			add_cpu(out, acpi_get32(e + 4), acpi_get32(e + 12),
				acpi_get32(e + 8), true);
			break;
		case ACPI_MADT_IO_APIC:
			if (out->nioapics == ACPI_MAX_IOAPICS) {
				pr_warn("acpi: MADT: more than %d I/O APICs; id %u ignored\n",
					ACPI_MAX_IOAPICS, e[2]);
				break;
			}
			out->ioapics[out->nioapics++] =
			    (struct acpi_ioapic){ e[2], acpi_get32(e + 4),
						  acpi_get32(e + 8) };
			break;
		case ACPI_MADT_INTERRUPT_OVERRIDE:
			add_override(out, e);
			break;
		case ACPI_MADT_LOCAL_APIC_OVERRIDE:
			out->lapic_phys = acpi_get64(e + 4);
			break;
		default:
			break; /* NMI wiring and others: not needed yet */
		}
		off += len;
	}
	if (out->ncpus_refused > REFUSED_NAMED)
		pr_warn("acpi: MADT: %u more CPUs refused the same way (%u refused in all)\n",
			out->ncpus_refused - REFUSED_NAMED, out->ncpus_refused);
	if (out->ncpus == 0 || out->nioapics == 0) {
		pr_err("acpi: MADT lists %u CPU(s) and %u I/O APIC(s); using the default I/O APIC\n",
		       out->ncpus, out->nioapics);
		if (out->nioapics == 0) {
			out->nioapics = 1;
			out->ioapics[0] =
			    (struct acpi_ioapic){ 0, ACPI_DEFAULT_IOAPIC_PHYS,
						  0 };
		}
		problems++;
	}
	return problems;
}
