/*
 * ACPI table discovery: RSDP -> XSDT (RSDT fallback) -> MADT and HPET
 * (the MADT's entries are read in madt.c, the SRAT and SLIT in kernel/numa/).
 * The tables sit in ACPI reclaim/NVS memory, which the loader put in the
 * direct map; still, every address the firmware gives is checked to be
 * mapped before it is read, and every table's length and checksum are
 * verified. Whatever is bad or missing is reported by name and replaced by
 * the PC defaults (LAPIC at 0xfee00000, one I/O APIC at 0xfec00000, ISA IRQ
 * n on GSI n, the PIT instead of the HPET). See docs/04-interrupts.md.
 */
#include "kernel/arch/x86/acpi.h"
#include "kernel/init/bootlog.h"
#include "kernel/lib/format.h"
#include "kernel/arch/x86/ioremap.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"

struct acpi_info acpi;

#define DEFAULT_LAPIC_PHYS 0xfee00000ULL

/* A printable copy of a 4-byte signature (firmware may put anything there). */
static void sig_string(const char *sig, char out[5])
{
	for (int i = 0; i < 4; i++)
		out[i] = sig[i] >= 0x20 && sig[i] < 0x7f ? sig[i] : '?';
	out[4] = '\0';
}

bool acpi_table_ok(const struct acpi_table_header *h, const char *signature,
		   uint32_t min_length, const char *where)
{
	char sig[5] = "????";
	const char *name = signature ? signature : sig;

	if (!kernel_range_mapped(h, sizeof(*h))) {
		pr_err("acpi: %s table at %p (%s) is not mapped: ignored\n",
		       name, h, where);
		return false;
	}
	sig_string(h->signature, sig);
	if (signature && memcmp(h->signature, signature, 4) != 0) {
		pr_err("acpi: %s: expected a %s table but found signature '%s': ignored\n",
		       where, signature, sig);
		return false;
	}
	if (h->length < min_length || h->length > ACPI_MAX_TABLE_LENGTH) {
		pr_err("acpi: %s table (%s) has length %u, outside %u..%u: ignored\n",
		       name, where, h->length, min_length,
		       ACPI_MAX_TABLE_LENGTH);
		return false;
	}
	if (!kernel_range_mapped(h, h->length)) {
		pr_err("acpi: %s table (%s) of %u bytes runs into unmapped memory: ignored\n",
		       name, where, h->length);
		return false;
	}
	uint8_t sum = acpi_checksum(h, h->length);
	if (sum != 0) {
		pr_err("acpi: %s table (%s) has a bad checksum (bytes sum to 0x%02x, not 0): ignored\n",
		       name, where, sum);
		return false;
	}
	return true;
}

static void set_defaults(struct acpi_info *out)
{
	out->lapic_phys = DEFAULT_LAPIC_PHYS;
	out->ncpus = 0;
	out->nioapics = 1;
	out->ioapics[0] =
	    (struct acpi_ioapic){ 0, ACPI_DEFAULT_IOAPIC_PHYS, 0 };
	out->noverrides = 0;
	for (unsigned int i = 0; i < NR_ISA_IRQS; i++)
		out->isa[i] = (struct acpi_isa_route){ i, false, false, false };
	out->pcat_compat = true;
}

static bool rsdp_ok(const struct acpi_rsdp *r, struct acpi_info *out)
{
	if (!kernel_range_mapped(r, 20)) {
		pr_err("acpi: RSDP at %p is not mapped\n", r);
		return false;
	}
	if (memcmp(r->signature, "RSD PTR ", 8) != 0) {
		pr_err("acpi: RSDP: bad signature\n");
		return false;
	}
	if (acpi_checksum(r, 20) != 0) {
		pr_err("acpi: RSDP: bad checksum over its first 20 bytes\n");
		return false;
	}
	out->rsdp_revision = r->revision;
	if (r->revision >= 2 && (r->length < sizeof(*r) || r->length > 4096 ||
				 !kernel_range_mapped(r, r->length) ||
				 acpi_checksum(r, r->length) != 0)) {
		pr_err("acpi: RSDP: bad ACPI 2.0 length %u or extended checksum; using the RSDT\n",
		       r->length);
		out->rsdp_revision = 0; /* the 1.0 part is still good */
	}
	return true;
}

/* Reads the XSDT (entry_size 8) or RSDT (4) into out->tables. */
static bool read_root(uint64_t phys, unsigned int entry_size,
		      struct acpi_info *out)
{
	const char *sig = entry_size == 8 ? "XSDT" : "RSDT";
	const struct acpi_table_header *root = phys_to_virt_early(phys);

	if (!phys) {
		pr_err("acpi: the RSDP gives no %s address\n", sig);
		return false;
	}
	if (!acpi_table_ok(root, sig, sizeof(*root), "from the RSDP"))
		return false;
	const uint8_t *p = (const uint8_t *)(root + 1);
	unsigned int n = (root->length - sizeof(*root)) / entry_size;
	if (n > ACPI_MAX_TABLES) {
		pr_warn("acpi: %s lists %u tables; only the first %d are read\n",
			sig, n, ACPI_MAX_TABLES);
		n = ACPI_MAX_TABLES;
	}
	out->xsdt = entry_size == 8;
	out->ntables = 0;
	for (unsigned int i = 0; i < n; i++, p += entry_size) {
		uint64_t tp = entry_size == 8 ? acpi_get64(p) : acpi_get32(p);
		struct acpi_table_ref *ref = &out->tables[out->ntables++];
		const struct acpi_table_header *h = phys_to_virt_early(tp);
		char where[32];
		ksnprintf(where, sizeof(where), "%s entry %u", sig, i);
		ref->phys = tp;
		ref->valid = tp && acpi_table_ok(h, NULL, sizeof(*h), where);
		if (tp && kernel_range_mapped(h, sizeof(*h))) {
			sig_string(h->signature, ref->signature);
			ref->length = h->length;
		} else {
			memcpy(ref->signature, "????", 5);
		}
		if (!tp)
			pr_err("acpi: %s entry %u is a null pointer: ignored\n",
			       sig, i);
	}
	return true;
}

const struct acpi_table_header *acpi_find_table(const struct acpi_info *info,
						const char *signature)
{
	for (unsigned int i = 0; i < info->ntables; i++)
		if (info->tables[i].valid &&
		    memcmp(info->tables[i].signature, signature, 4) == 0)
			return phys_to_virt_early(info->tables[i].phys);
	return NULL;
}

static unsigned int parse_hpet(const struct acpi_hpet *h, struct acpi_info *out)
{
	if (h->address.space_id != 0 || h->address.address == 0) {
		pr_err("acpi: HPET table gives address space %u, address 0x%lx (want memory): the PIT stands in\n",
		       h->address.space_id, h->address.address);
		return 1;
	}
	out->hpet_valid = true;
	out->hpet_phys = h->address.address;
	out->hpet_min_tick = h->minimum_tick;
	return 0;
}

unsigned int acpi_scan(uint64_t rsdp_phys, struct acpi_info *out)
{
	unsigned int problems = 0;

	memset(out, 0, sizeof(*out));
	set_defaults(out);
	const struct acpi_rsdp *rsdp = phys_to_virt_early(rsdp_phys);
	if (!rsdp_phys) {
		pr_err("acpi: the firmware gave no RSDP\n");
		problems++;
	} else if (!rsdp_ok(rsdp, out)) {
		problems++;
	} else {
		out->rsdp_valid = true;
		bool have_root = false;
		if (out->rsdp_revision >= 2) {
			have_root = read_root(rsdp->xsdt_address, 8, out);
			if (!have_root) {
				pr_err(
				    "acpi: XSDT unusable; falling back to the RSDT\n");
				problems++;
			}
		}
		if (!have_root && !read_root(rsdp->rsdt_address, 4, out))
			problems++;
		for (unsigned int i = 0; i < out->ntables; i++)
			problems += !out->tables[i].valid;
	}

	const struct acpi_table_header *madt = acpi_find_table(out, "APIC");
	if (madt &&
	    acpi_table_ok(madt, "APIC", sizeof(struct acpi_madt), "MADT")) {
		out->madt_valid = true;
		problems +=
		    acpi_parse_madt((const struct acpi_madt *)madt, out);
	} else {
		pr_err("acpi: MADT (APIC) table missing or invalid: assuming LAPIC at 0x%llx, I/O APIC at 0x%llx, ISA IRQ n on GSI n\n",
		       DEFAULT_LAPIC_PHYS, ACPI_DEFAULT_IOAPIC_PHYS);
		problems++;
	}

	const struct acpi_table_header *hpet = acpi_find_table(out, "HPET");
	if (hpet &&
	    acpi_table_ok(hpet, "HPET", sizeof(struct acpi_hpet), "HPET")) {
		problems += parse_hpet((const struct acpi_hpet *)hpet, out);
	} else {
		pr_warn(
		    "acpi: HPET table missing or invalid: the PIT calibrates the timers\n");
		problems++;
	}
	out->problems = problems;
	return problems;
}

void acpi_init(void)
{
	char list[ACPI_MAX_TABLES * 5 + 1];
	size_t n = 0;

	acpi_scan(boot_info->rsdp, &acpi);
	for (unsigned int i = 0; i < acpi.ntables; i++) {
		memcpy(list + n, acpi.tables[i].signature, 4);
		list[n + 4] = acpi.tables[i].valid ? ' ' : '!';
		n += 5;
	}
	list[n ? n - 1 : 0] = '\0';
	pr_info("acpi: %s with %u tables: %s\n", acpi.xsdt ? "XSDT" : "RSDT",
		acpi.ntables, list);
	pr_info("acpi: MADT%s: %u CPU(s), LAPIC at 0x%lx, %u I/O APIC(s), %u ISA override(s)%s\n",
		acpi.madt_valid ? "" : " (defaults)", acpi.ncpus,
		acpi.lapic_phys, acpi.nioapics, acpi.noverrides,
		acpi.pcat_compat ? ", 8259 PICs present" : "");
	if (acpi.ncpus_refused || acpi.ncpus_hotplug)
		pr_info("acpi: MADT lists %u enabled CPU(s): %u kept, %u refused (beyond CONFIG_NR_CPUS=%d); %u online-capable not started\n",
			acpi.ncpus_listed, acpi.ncpus, acpi.ncpus_refused,
			ACPI_MAX_CPUS, acpi.ncpus_hotplug);
	for (unsigned int i = 0; i < acpi.nioapics; i++)
		pr_info("acpi:   I/O APIC id %u at 0x%lx, GSI base %u\n",
			acpi.ioapics[i].id, acpi.ioapics[i].phys,
			acpi.ioapics[i].gsi_base);
	for (unsigned int irq = 0; irq < NR_ISA_IRQS; irq++) {
		const struct acpi_isa_route *r = &acpi.isa[irq];
		if (r->overridden)
			pr_info("acpi:   ISA IRQ %u -> GSI %u, %s, active %s\n",
				irq, r->gsi, r->level ? "level" : "edge",
				r->active_low ? "low" : "high");
	}
	if (acpi.hpet_valid)
		pr_info("acpi: HPET at 0x%lx\n", acpi.hpet_phys);
}
