/*
 * The boot log: firmware, CPU features later chapters rely on, where the
 * kernel sits, and the raw UEFI memory map, one line per descriptor, read
 * with the descriptor size the firmware reported (OVMF says 48, more than
 * sizeof(EFI_MEMORY_DESCRIPTOR) = 40). See docs/01-boot.md.
 */
#include "kernel/init/bootlog.h"
#include "kernel/arch/x86/cpu.h"
#include "kernel/debug/panic.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"

const struct boot_info *boot_info;
uint64_t boot_info_loader_phys;

#define MAP_COPY_BYTES (64 * 1024)
static struct boot_info boot_info_copy;
static char cmdline_copy[2048];
static uint8_t map_copy[MAP_COPY_BYTES] __attribute__((aligned(8)));

/* Physical address of something inside the kernel image (.data/.bss). */
static uint64_t kernel_image_phys(const void *p)
{
	return boot_info_copy.kernel_phys_base +
	       ((uint64_t)(uintptr_t)p - boot_info_copy.kernel_virt_base);
}

void boot_info_adopt(const struct boot_info *loader_bi)
{
	const void *map = (const void *)(uintptr_t)(loader_bi->memory_map +
						    loader_bi->hhdm_offset);
	const char *cmdline = (const char *)(uintptr_t)(loader_bi->cmdline +
							loader_bi->hhdm_offset);

	boot_info_loader_phys =
	    (uint64_t)(uintptr_t)loader_bi - loader_bi->hhdm_offset;
	if (loader_bi->memory_map_size > MAP_COPY_BYTES)
		panic("boot_info: the memory map (%lu bytes) is larger than the kernel's copy (%d bytes)",
		      loader_bi->memory_map_size, MAP_COPY_BYTES);
	if (loader_bi->cmdline_len >= sizeof(cmdline_copy))
		panic("boot_info: cmdline of %lu bytes is longer than %lu",
		      loader_bi->cmdline_len, sizeof(cmdline_copy) - 1);
	boot_info_copy = *loader_bi;
	memcpy(map_copy, map, loader_bi->memory_map_size);
	memcpy(cmdline_copy, cmdline, loader_bi->cmdline_len + 1);
	boot_info_copy.memory_map = kernel_image_phys(map_copy);
	boot_info_copy.cmdline = kernel_image_phys(cmdline_copy);
	boot_info = &boot_info_copy;
}

static const char *const type_names[] = {
	"Reserved",
	"LoaderCode",
	"LoaderData",
	"BootServicesCode",
	"BootServicesData",
	"RuntimeServicesCode",
	"RuntimeServicesData",
	"Conventional",
	"Unusable",
	"ACPIReclaim",
	"ACPINVS",
	"MMIO",
	"MMIOPortSpace",
	"PalCode",
	"Persistent",
	"Unaccepted",
};

const char *efi_memory_type_name(uint32_t type)
{
	switch (type) {
	case LABYRINTH_MEM_KERNEL:
		return "OS:Kernel";
	case LABYRINTH_MEM_PAGE_TABLES:
		return "OS:PageTables";
	case LABYRINTH_MEM_BOOT_INFO:
		return "OS:BootInfo";
	case LABYRINTH_MEM_BOOT_STACK:
		return "OS:BootStack";
	}
	if (type < sizeof(type_names) / sizeof(type_names[0]))
		return type_names[type];
	return type >= 0x80000000u ? "OS:Unknown" : "Invalid";
}

void print_boot_summary(void)
{
	const struct boot_info *bi = boot_info;
	const struct cpu_info *c = &boot_cpu;

	pr_info("firmware: %s revision 0x%x, UEFI %u.%u\n", bi->firmware_vendor,
		bi->firmware_revision, bi->uefi_revision >> 16,
		(bi->uefi_revision & 0xffff) / 10);
	pr_info("cpu: %s \"%s\" family 0x%x model 0x%x stepping %u\n",
		c->vendor, c->model, c->family, c->model_number, c->stepping);
	pr_info("cpu: MAXPHYADDR %u bits, virtual %u bits; x2apic=%s tsc-deadline=%s invariant-tsc=%s nx=%s 1g-pages=%s\n",
		c->max_phys_addr_bits, c->max_virt_addr_bits,
		c->x2apic ? "yes" : "no", c->tsc_deadline ? "yes" : "no",
		c->invariant_tsc ? "yes" : "no", c->nx ? "yes" : "no",
		c->pdpe1gb ? "yes" : "no");
	pr_info("kernel: phys 0x%lx-0x%lx (%lu KiB) at virt 0x%lx, entry 0x%lx\n",
		bi->kernel_phys_base,
		bi->kernel_phys_base + bi->kernel_phys_size,
		bi->kernel_phys_size / 1024, bi->kernel_virt_base,
		bi->kernel_entry_virt);
	pr_info("kernel: direct map at 0x%lx, page tables at phys 0x%lx, boot stack phys 0x%lx\n",
		bi->hhdm_offset, bi->page_table_root, bi->boot_stack_phys);
	if (bi->rsdp)
		pr_info("acpi: RSDP at phys 0x%lx (ACPI %s)\n", bi->rsdp,
			bi->rsdp_revision >= 2 ? "2.0+" : "1.0");
	else
		pr_warn("acpi: no RSDP from the firmware\n");
	if (bi->framebuffer.base)
		pr_info("gop: framebuffer 0x%lx %ux%u, %u pixels per scanline\n",
			bi->framebuffer.base, bi->framebuffer.width,
			bi->framebuffer.height,
			bi->framebuffer.pixels_per_scanline);
	pr_info("cmdline: \"%s\"\n",
		(const char *)phys_to_virt_early(bi->cmdline));
}

/* The EFI_MEMORY_DESCRIPTOR fields we print (UEFI spec 2.10, 7.2). */
struct efi_memory_descriptor {
	uint32_t type;
	uint32_t pad;
	uint64_t phys_start;
	uint64_t virt_start;
	uint64_t num_pages;
	uint64_t attribute;
};

void print_memory_map(void)
{
	const struct boot_info *bi = boot_info;
	const uint8_t *map = phys_to_virt_early(bi->memory_map);
	uint64_t count = bi->memory_map_size / bi->descriptor_size;

	pr_info("UEFI memory map: %lu descriptors of %lu bytes (version %u)\n",
		count, bi->descriptor_size, bi->descriptor_version);
	for (uint64_t i = 0; i < count; i++) {
		const struct efi_memory_descriptor *d =
		    (const void *)(map + i * bi->descriptor_size);
		pr_info("  [%3lu] %-20s 0x%016lx-0x%016lx %10lu pages attr 0x%lx\n",
			i, efi_memory_type_name(d->type), d->phys_start,
			d->phys_start + d->num_pages * 4096 - 1, d->num_pages,
			d->attribute);
	}
}
