/*
 * ACPI on target: the firmware's tables are found and pass their checks,
 * the MADT lists what interrupts need; then the same scanner runs over
 * synthetic tables built in .bss (which the direct map covers, like ACPI
 * memory) and broken one way at a time: each problem must be reported by
 * name and the documented fallback must be in force afterwards.
 * See docs/04-interrupts.md ("ACPI").
 */
#include <stdint.h>

#include "kernel/arch/x86/acpi.h"
#include "kernel/arch/x86/ioremap.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"
#include "tests/ktest.h"

static char capture[4096];

static void test_firmware_tables_valid(struct ktest *t)
{
	KTEST_ASSERT_TRUE(t, acpi.rsdp_valid);
	KTEST_EXPECT_GT(t, acpi.ntables, 0);
	for (unsigned int i = 0; i < acpi.ntables; i++) {
		const struct acpi_table_header *h =
		    acpi_find_table(&acpi, acpi.tables[i].signature);
		KTEST_EXPECT_TRUE(t, acpi.tables[i].valid);
		KTEST_ASSERT_TRUE(t, h != NULL);
		KTEST_EXPECT_EQ(t, acpi_checksum(h, h->length), 0);
	}
	KTEST_EXPECT_TRUE(t, acpi_find_table(&acpi, "APIC") != NULL);
	KTEST_EXPECT_TRUE(t, acpi_find_table(&acpi, "FACP") != NULL);
	KTEST_EXPECT_TRUE(t, acpi.xsdt == (acpi.rsdp_revision >= 2));
}

static void test_madt_lists_apics(struct ktest *t)
{
	KTEST_ASSERT_TRUE(t, acpi.madt_valid);
	KTEST_EXPECT_GE(t, acpi.ncpus, 1);
	KTEST_EXPECT_GE(t, acpi.nioapics, 1);
	KTEST_EXPECT_NE(t, acpi.lapic_phys, 0);
	KTEST_EXPECT_NE(t, acpi.ioapics[0].phys, 0);
	ktest_diag(t, "%u CPU(s), %u I/O APIC(s), %u override(s), HPET %s",
		   acpi.ncpus, acpi.nioapics, acpi.noverrides,
		   acpi.hpet_valid ? "present" : "absent");
	/* Without an override an ISA IRQ keeps the bus defaults. */
	for (unsigned int irq = 0; irq < NR_ISA_IRQS; irq++) {
		const struct acpi_isa_route *r = &acpi.isa[irq];
		if (!r->overridden) {
			KTEST_EXPECT_EQ(t, r->gsi, irq);
			KTEST_EXPECT_FALSE(t, r->level || r->active_low);
		}
	}
}

/* ------------------------------------------------------------ synthetic */

enum {
	RSDP_OFF = 0,
	XSDT_OFF = 64,
	RSDT_OFF = 256,
	MADT_OFF = 512,
	HPET_OFF = 1024,
	AREA_SIZE = 2048
};
static uint8_t area[AREA_SIZE] __attribute__((aligned(16)));
static struct acpi_info info;

static uint64_t phys_of(unsigned int off)
{
	return kernel_image_virt_to_phys(area + off);
}

static struct acpi_table_header *hdr(unsigned int off)
{
	return (struct acpi_table_header *)(area + off);
}

static void seal(unsigned int off)
{
	struct acpi_table_header *h = hdr(off);
	h->checksum = 0;
	h->checksum = (uint8_t)(0x100 - acpi_checksum(h, h->length));
}

static void header(unsigned int off, const char *sig, uint32_t len)
{
	struct acpi_table_header *h = hdr(off);
	memcpy(h->signature, sig, 4);
	h->length = len;
	h->revision = 1;
	memcpy(h->oem_id, "LABYRI", 6);
}

static uint8_t *put(uint8_t *p, const void *v, size_t n)
{
	memcpy(p, v, n);
	return p + n;
}

/* A machine with two CPUs (one an x2APIC entry), one I/O APIC with GSI
 * base 0, IRQ 0 -> GSI 2 and IRQ 9 level/low overrides, and an HPET. */
static void build_tables(bool list_hpet)
{
	memset(area, 0, sizeof(area));

	/* MADT */
	struct acpi_madt *madt = (struct acpi_madt *)(area + MADT_OFF);
	madt->lapic_address = 0xfee00000;
	madt->flags = 1;
	uint8_t *p = area + MADT_OFF + sizeof(*madt);
	uint32_t u32;
	uint16_t u16;
	uint8_t lapic[8] = { ACPI_MADT_LOCAL_APIC, 8, 0 /* uid */, 0 /* id */,
			     1 };
	p = put(p, lapic, 8);
	uint8_t x2[16] = { ACPI_MADT_LOCAL_X2APIC, 16 };
	u32 = 300;
	memcpy(x2 + 4, &u32, 4); /* x2APIC ID above 255 */
	u32 = 1;
	memcpy(x2 + 8, &u32, 4); /* enabled */
	u32 = 7;
	memcpy(x2 + 12, &u32, 4); /* uid */
	p = put(p, x2, 16);
	uint8_t disabled[8] = { ACPI_MADT_LOCAL_APIC, 8, 2, 9, 0 }; /* absent */
	p = put(p, disabled, 8);
	uint8_t io[12] = { ACPI_MADT_IO_APIC, 12, 5, 0 };
	u32 = 0xfec00000;
	memcpy(io + 4, &u32, 4);
	u32 = 0;
	memcpy(io + 8, &u32, 4);
	p = put(p, io, 12);
	uint8_t iso0[10] = { ACPI_MADT_INTERRUPT_OVERRIDE, 10, 0, 0 };
	u32 = 2;
	memcpy(iso0 + 4, &u32, 4);
	p = put(p, iso0, 10);
	uint8_t iso9[10] = { ACPI_MADT_INTERRUPT_OVERRIDE, 10, 0, 9 };
	u32 = 9;
	memcpy(iso9 + 4, &u32, 4);
	u16 = ACPI_POLARITY_LOW | ACPI_TRIGGER_LEVEL;
	memcpy(iso9 + 8, &u16, 2);
	p = put(p, iso9, 10);
	header(MADT_OFF, "APIC", (uint32_t)(p - (area + MADT_OFF)));
	seal(MADT_OFF);

	/* HPET */
	struct acpi_hpet *hpet = (struct acpi_hpet *)(area + HPET_OFF);
	hpet->address.space_id = 0;
	hpet->address.address = 0xfed00000;
	hpet->minimum_tick = 128;
	header(HPET_OFF, "HPET", sizeof(*hpet));
	seal(HPET_OFF);

	/* XSDT (64-bit entries) and RSDT (32-bit) list the same tables. */
	unsigned int n = list_hpet ? 2 : 1;
	uint64_t x[2] = { phys_of(MADT_OFF), phys_of(HPET_OFF) };
	memcpy(area + XSDT_OFF + sizeof(struct acpi_table_header), x, 8 * n);
	header(XSDT_OFF, "XSDT", sizeof(struct acpi_table_header) + 8 * n);
	seal(XSDT_OFF);
	uint32_t r[2] = { (uint32_t)x[0], (uint32_t)x[1] };
	memcpy(area + RSDT_OFF + sizeof(struct acpi_table_header), r, 4 * n);
	header(RSDT_OFF, "RSDT", sizeof(struct acpi_table_header) + 4 * n);
	seal(RSDT_OFF);

	/* RSDP, ACPI 2.0 */
	struct acpi_rsdp *rsdp = (struct acpi_rsdp *)(area + RSDP_OFF);
	memcpy(rsdp->signature, "RSD PTR ", 8);
	memcpy(rsdp->oem_id, "LABYRI", 6);
	rsdp->revision = 2;
	rsdp->rsdt_address = (uint32_t)phys_of(RSDT_OFF);
	rsdp->length = sizeof(*rsdp);
	rsdp->xsdt_address = phys_of(XSDT_OFF);
	rsdp->checksum = (uint8_t)(0x100 - acpi_checksum(rsdp, 20));
	rsdp->extended_checksum =
	    (uint8_t)(0x100 - acpi_checksum(rsdp, sizeof(*rsdp)));
}

static unsigned int scan(uint64_t rsdp_phys)
{
	int saved = console_loglevel;
	console_loglevel = 0; /* expected complaints stay out of the KTAP */
	capture[0] = '\0';
	printk_capture_start(capture, sizeof(capture));
	unsigned int problems = acpi_scan(rsdp_phys, &info);
	printk_capture_stop();
	console_loglevel = saved;
	return problems;
}

/* The fallbacks the kernel promises when the MADT cannot be used. */
static void expect_default_routes(struct ktest *t)
{
	KTEST_EXPECT_FALSE(t, info.madt_valid);
	KTEST_EXPECT_EQ(t, info.lapic_phys, 0xfee00000);
	KTEST_EXPECT_EQ(t, info.nioapics, 1);
	KTEST_EXPECT_EQ(t, info.ioapics[0].phys, 0xfec00000);
	KTEST_EXPECT_EQ(t, info.isa[0].gsi, 0);
	KTEST_EXPECT_EQ(t, info.isa[9].gsi, 9);
	KTEST_EXPECT_FALSE(t, info.isa[9].level);
}

static void test_synthetic_tables_parse(struct ktest *t)
{
	build_tables(true);
	KTEST_EXPECT_EQ(t, scan(phys_of(RSDP_OFF)), 0);
	KTEST_EXPECT_TRUE(t, info.xsdt);
	KTEST_EXPECT_EQ(t, info.ntables, 2);
	KTEST_ASSERT_TRUE(t, info.madt_valid);
	KTEST_EXPECT_EQ(t, info.ncpus, 2);
	KTEST_EXPECT_EQ(t, info.cpus[1].apic_id, 300);
	KTEST_EXPECT_TRUE(t, info.cpus[1].from_x2apic);
	KTEST_EXPECT_EQ(t, info.cpus[1].uid, 7);
	KTEST_EXPECT_EQ(t, info.nioapics, 1);
	KTEST_EXPECT_EQ(t, info.ioapics[0].id, 5);
	KTEST_EXPECT_EQ(t, info.noverrides, 2);
	KTEST_EXPECT_EQ(t, info.isa[0].gsi, 2);
	KTEST_EXPECT_FALSE(t, info.isa[0].level);
	KTEST_EXPECT_TRUE(t, info.isa[9].level && info.isa[9].active_low);
	KTEST_EXPECT_EQ(t, info.isa[1].gsi, 1);
	KTEST_EXPECT_TRUE(t, info.hpet_valid);
	KTEST_EXPECT_EQ(t, info.hpet_phys, 0xfed00000);
	KTEST_EXPECT_EQ(t, capture[0], '\0'); /* nothing to complain about */
}

static void test_bad_xsdt_falls_back_to_rsdt(struct ktest *t)
{
	if (phys_of(0) >> 32) {
		ktest_skip(t,
			   "the kernel is above 4 GiB: no RSDT can point at it");
		return;
	}
	build_tables(true);
	hdr(XSDT_OFF)->checksum ^= 0x5a;
	KTEST_EXPECT_GE(t, scan(phys_of(RSDP_OFF)), 1);
	KTEST_EXPECT_TRUE(
	    t, ktest_contains(capture,
			      "XSDT table (from the RSDP) has a bad checksum"));
	KTEST_EXPECT_TRUE(t,
			  ktest_contains(capture, "falling back to the RSDT"));
	KTEST_EXPECT_FALSE(t, info.xsdt);
	KTEST_EXPECT_TRUE(t, info.madt_valid); /* found through the RSDT */
	KTEST_EXPECT_EQ(t, info.isa[0].gsi, 2);
}

static void test_bad_madt_checksum_uses_defaults(struct ktest *t)
{
	build_tables(true);
	area[MADT_OFF + 50] ^= 1; /* a byte inside an entry */
	KTEST_EXPECT_GE(t, scan(phys_of(RSDP_OFF)), 1);
	KTEST_EXPECT_TRUE(
	    t, ktest_contains(capture,
			      "APIC table (XSDT entry 0) has a bad checksum"));
	KTEST_EXPECT_TRUE(t,
			  ktest_contains(capture,
					 "MADT (APIC) table missing or invalid"));
	expect_default_routes(t);
}

static void test_bad_madt_length_reported(struct ktest *t)
{
	build_tables(true);
	hdr(MADT_OFF)->length = 20; /* shorter than its own header */
	seal(MADT_OFF);
	scan(phys_of(RSDP_OFF));
	KTEST_EXPECT_TRUE(
	    t,
	    ktest_contains(capture, "APIC table (XSDT entry 0) has length 20"));
	expect_default_routes(t);
}

static void test_bad_madt_entry_stops_parsing(struct ktest *t)
{
	build_tables(true);
	/* The I/O APIC entry (after 8 + 16 + 8 bytes of CPUs) claims length 0. */
	area[MADT_OFF + sizeof(struct acpi_madt) + 32 + 1] = 0;
	seal(MADT_OFF);
	KTEST_EXPECT_GE(t, scan(phys_of(RSDP_OFF)), 1);
	KTEST_EXPECT_TRUE(
	    t,
	    ktest_contains(capture,
			   "MADT: entry type 1 at offset 76 has bad length 0"));
	KTEST_EXPECT_EQ(t, info.ncpus, 2);    /* kept */
	KTEST_EXPECT_EQ(t, info.nioapics, 1); /* the default */
	KTEST_EXPECT_EQ(t, info.ioapics[0].phys, 0xfec00000);
	KTEST_EXPECT_EQ(t, info.isa[0].gsi, 0); /* never read */
}

static void test_missing_hpet_means_pit(struct ktest *t)
{
	build_tables(false);
	KTEST_EXPECT_EQ(t, scan(phys_of(RSDP_OFF)), 1);
	KTEST_EXPECT_TRUE(
	    t,
	    ktest_contains(
		capture,
		"HPET table missing or invalid: the PIT calibrates the timers"));
	KTEST_EXPECT_FALSE(t, info.hpet_valid);
	KTEST_EXPECT_TRUE(t, info.madt_valid);
}

static void test_hpet_in_io_space_refused(struct ktest *t)
{
	build_tables(true);
	((struct acpi_hpet *)(area + HPET_OFF))->address.space_id = 1;
	seal(HPET_OFF);
	KTEST_EXPECT_EQ(t, scan(phys_of(RSDP_OFF)), 1);
	KTEST_EXPECT_TRUE(t,
			  ktest_contains(capture,
					 "HPET table gives address space 1"));
	KTEST_EXPECT_FALSE(t, info.hpet_valid);
}

static void test_unmapped_table_refused(struct ktest *t)
{
	build_tables(true);
	/* Point the HPET entry at MMIO, which the direct map does not cover. */
	uint64_t mmio = 0xfec00000;
	memcpy(area + XSDT_OFF + sizeof(struct acpi_table_header) + 8, &mmio,
	       8);
	seal(XSDT_OFF);
	KTEST_EXPECT_GE(t, scan(phys_of(RSDP_OFF)), 2);
	KTEST_EXPECT_TRUE(t, ktest_contains(capture, "is not mapped: ignored"));
	KTEST_EXPECT_FALSE(t, info.tables[1].valid);
	KTEST_EXPECT_FALSE(t, info.hpet_valid);
}

static void test_bad_rsdp_reported(struct ktest *t)
{
	build_tables(true);
	area[RSDP_OFF + 9] ^= 0xff; /* an OEM ID byte: breaks the checksum */
	KTEST_EXPECT_GE(t, scan(phys_of(RSDP_OFF)), 1);
	KTEST_EXPECT_TRUE(t, ktest_contains(capture, "RSDP: bad checksum"));
	KTEST_EXPECT_FALSE(t, info.rsdp_valid);
	expect_default_routes(t);
	KTEST_EXPECT_GE(t, scan(0), 1);
	KTEST_EXPECT_TRUE(t,
			  ktest_contains(capture, "the firmware gave no RSDP"));
}

static void test_wrong_signature_refused(struct ktest *t)
{
	build_tables(true);
	memcpy(hdr(XSDT_OFF)->signature, "XSDX", 4);
	seal(XSDT_OFF);
	scan(phys_of(RSDP_OFF));
	KTEST_EXPECT_TRUE(
	    t,
	    ktest_contains(capture,
			   "expected a XSDT table but found signature 'XSDX'"));
	KTEST_EXPECT_FALSE(t, info.xsdt);
	KTEST_EXPECT_TRUE(t, info.madt_valid);
}

static const struct ktest_case acpi_cases[] = {
	KTEST_CASE(test_firmware_tables_valid),
	KTEST_CASE(test_madt_lists_apics),
	KTEST_CASE(test_synthetic_tables_parse),
	KTEST_CASE(test_bad_xsdt_falls_back_to_rsdt),
	KTEST_CASE(test_bad_madt_checksum_uses_defaults),
	KTEST_CASE(test_bad_madt_length_reported),
	KTEST_CASE(test_bad_madt_entry_stops_parsing),
	KTEST_CASE(test_missing_hpet_means_pit),
	KTEST_CASE(test_hpet_in_io_space_refused),
	KTEST_CASE(test_unmapped_table_refused),
	KTEST_CASE(test_bad_rsdp_reported),
	KTEST_CASE(test_wrong_signature_refused),
	{ 0 },
};
KTEST_SUITE_WHERE(acpi, acpi_cases, KTEST_TARGET_ONLY);
