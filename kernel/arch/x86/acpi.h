/*
 * ACPI, only as far as interrupts and the topology need it: the RSDP leads
 * to the XSDT (or the older RSDT), which lists the tables; the MADT says
 * where the local APICs and I/O APICs are and how the ISA IRQs are wired,
 * the HPET table where the HPET is (the SRAT and SLIT: kernel/numa/). Every
 * table is checked (signature, length, checksum) before a byte of it is
 * believed. See docs/04-interrupts.md ("ACPI") and docs/11-numa.md.
 */
#ifndef LABYRINTH_KERNEL_ARCH_X86_ACPI_H
#define LABYRINTH_KERNEL_ARCH_X86_ACPI_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/lib/config.h"

/* On-disk layouts (ACPI 6.x, chapter 5). All packed: firmware does not align. */
struct __attribute__((packed)) acpi_rsdp {
	char signature[8]; /* "RSD PTR " */
	uint8_t checksum;  /* first 20 bytes sum to 0 */
	char oem_id[6];
	uint8_t revision; /* 0: ACPI 1.0, 2: 2.0+ */
	uint32_t rsdt_address;
	uint32_t length; /* 2.0+: the whole structure (36) */
	uint64_t xsdt_address;
	uint8_t extended_checksum; /* all `length` bytes sum to 0 */
	uint8_t reserved[3];
};

struct __attribute__((packed)) acpi_table_header {
	char signature[4];
	uint32_t length; /* header included */
	uint8_t revision;
	uint8_t checksum; /* all `length` bytes sum to 0 */
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	uint32_t creator_id;
	uint32_t creator_revision;
};

struct __attribute__((packed)) acpi_madt {
	struct acpi_table_header header;
	uint32_t lapic_address;
	uint32_t flags; /* bit 0: PC-AT compatible 8259s present */
			/* followed by entries: type, length, body */
};

enum acpi_madt_type {
	ACPI_MADT_LOCAL_APIC = 0,
	ACPI_MADT_IO_APIC = 1,
	ACPI_MADT_INTERRUPT_OVERRIDE = 2,
	ACPI_MADT_NMI_SOURCE = 3,
	ACPI_MADT_LOCAL_APIC_NMI = 4,
	ACPI_MADT_LOCAL_APIC_OVERRIDE = 5,
	ACPI_MADT_LOCAL_X2APIC = 9,
	ACPI_MADT_LOCAL_X2APIC_NMI = 10,
};

struct __attribute__((packed)) acpi_gas { /* Generic Address Structure */
	uint8_t space_id;		  /* 0: system memory */
	uint8_t bit_width, bit_offset, access_size;
	uint64_t address;
};

struct __attribute__((packed)) acpi_hpet {
	struct acpi_table_header header;
	uint32_t event_timer_block_id;
	struct acpi_gas address;
	uint8_t hpet_number;
	uint16_t minimum_tick;
	uint8_t page_protection;
};

/* MADT interrupt source override flags (MPS INTI flags). */
#define ACPI_POLARITY_MASK 0x3
#define ACPI_POLARITY_HIGH 0x1
#define ACPI_POLARITY_LOW 0x3
#define ACPI_TRIGGER_MASK 0xc
#define ACPI_TRIGGER_EDGE 0x4
#define ACPI_TRIGGER_LEVEL 0xc

#define ACPI_MAX_TABLES 32
#define ACPI_MAX_TABLE_LENGTH (4u << 20)
/* The MADT parse keeps this many enabled CPUs and refuses the rest by
 * APIC ID: the kernel could not bring them up (smp.c asserts they agree). */
#define ACPI_MAX_CPUS CONFIG_NR_CPUS
#define ACPI_MAX_IOAPICS 8
#define NR_ISA_IRQS 16

/* What the kernel learned, in a form the APIC and timer code can use. */
struct acpi_cpu {
	uint32_t apic_id;
	uint32_t uid;
	bool enabled;	  /* usable now (kept only if so: see ncpus_hotplug) */
	bool from_x2apic; /* listed by an x2APIC entry (ID may be > 255) */
};

struct acpi_ioapic {
	uint8_t id;
	uint64_t phys;
	uint32_t gsi_base;
};

struct acpi_isa_route {
	uint32_t gsi;
	bool active_low;
	bool level;
	bool overridden; /* an interrupt source override said so */
};

struct acpi_table_ref {
	char signature[5];
	uint64_t phys;
	uint32_t length;
	bool valid;
};

#define ACPI_DEFAULT_IOAPIC_PHYS 0xfec00000ULL

/* Little-endian reads at any alignment (firmware packs its tables). */
static inline uint16_t acpi_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}
static inline uint32_t acpi_get32(const uint8_t *p)
{
	return (uint32_t)acpi_get16(p) | (uint32_t)acpi_get16(p + 2) << 16;
}
static inline uint64_t acpi_get64(const uint8_t *p)
{
	return (uint64_t)acpi_get32(p) | (uint64_t)acpi_get32(p + 4) << 32;
}

struct acpi_info {
	bool rsdp_valid;
	unsigned int rsdp_revision;
	bool xsdt; /* the table list came from the XSDT (else RSDT) */
	unsigned int ntables;
	struct acpi_table_ref tables[ACPI_MAX_TABLES];

	bool madt_valid; /* false: the defaults below are in force */
	uint64_t lapic_phys;
	bool pcat_compat;
	unsigned int ncpus; /* enabled CPUs kept in cpus[] */
	struct acpi_cpu cpus[ACPI_MAX_CPUS];
	unsigned int ncpus_listed;  /* enabled CPUs the MADT lists, all */
	unsigned int ncpus_refused; /* ... of which beyond ACPI_MAX_CPUS */
	unsigned int ncpus_hotplug; /* online-capable, not enabled: not kept */
	unsigned int nioapics;
	struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
	struct acpi_isa_route isa[NR_ISA_IRQS];
	unsigned int noverrides;

	bool hpet_valid; /* false: the PIT stands in */
	uint64_t hpet_phys;
	uint16_t hpet_min_tick;

	unsigned int problems; /* tables reported as bad or missing */
};

/* What the machine's firmware said (filled by acpi_init). */
extern struct acpi_info acpi;

/* Reads the tables from the boot_info's RSDP and prints a summary. */
void acpi_init(void);

/*
 * The work behind acpi_init, over any RSDP in the direct map (tests hand it
 * synthetic tables). Reports every bad or missing table by name and fills
 * `out` with what could be trusted plus the defaults for the rest.
 * Returns the number of problems reported.
 */
unsigned int acpi_scan(uint64_t rsdp_phys, struct acpi_info *out);

/* Checks a table's signature (NULL: any), length (at least min_length, at
 * most ACPI_MAX_TABLE_LENGTH, all of it mapped) and checksum; a failure is
 * reported naming the table and `where` it was found. */
bool acpi_table_ok(const struct acpi_table_header *h, const char *signature,
		   uint32_t min_length, const char *where);

/* Sums `len` bytes (a valid table sums to 0). kernel/arch/x86/madt.c, like
 * acpi_parse_madt: both read only the buffer, so the host tests run them. */
uint8_t acpi_checksum(const void *p, uint32_t len);

/* Reads a checked MADT's entries into `out` (CPUs, I/O APICs, overrides);
 * returns the number of problems reported. */
unsigned int acpi_parse_madt(const struct acpi_madt *madt,
			     struct acpi_info *out);

/* The table with this signature from the last acpi_scan, or NULL. */
const struct acpi_table_header *acpi_find_table(const struct acpi_info *info,
						const char *signature);

#endif
