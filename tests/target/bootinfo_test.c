/*
 * boot_info sanity on target: what the loader handed over is well formed,
 * the memory map is tagged with our OS-defined types where the loader put
 * things, the RSDP is real, and the page tables give the promised layout
 * (direct map, W^X kernel, no identity map left).
 */
#include <stdint.h>

#include "boot/bootinfo.h"
#include "kernel/init/bootlog.h"
#include "kernel/arch/x86/cpu.h"
#include "kernel/lib/string.h"
#include "tests/ktest.h"

struct efi_desc {
	uint32_t type, pad;
	uint64_t phys_start, virt_start, num_pages, attribute;
};

static const struct efi_desc *desc_at(uint64_t i)
{
	const uint8_t *map = phys_to_virt_early(boot_info->memory_map);
	return (const void *)(map + i * boot_info->descriptor_size);
}

static uint64_t desc_count(void)
{
	return boot_info->memory_map_size / boot_info->descriptor_size;
}

/* The type of the descriptor containing phys, or ~0 if none does. */
static uint32_t type_of(uint64_t phys)
{
	for (uint64_t i = 0; i < desc_count(); i++) {
		const struct efi_desc *d = desc_at(i);
		if (phys >= d->phys_start &&
		    phys < d->phys_start + d->num_pages * 4096)
			return d->type;
	}
	return ~0u;
}

static void test_header(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, boot_info->magic, BOOT_INFO_MAGIC);
	KTEST_EXPECT_EQ(t, boot_info->version, BOOT_INFO_VERSION);
	KTEST_EXPECT_EQ(t, boot_info->size, sizeof(struct boot_info));
	KTEST_EXPECT_EQ(t, boot_info->hhdm_offset, HHDM_OFFSET);
}

static void test_memory_map_shape(struct ktest *t)
{
	/* The firmware's stride, never sizeof: at least the 40-byte v1
	 * descriptor, 8-byte aligned, and the map a whole number of them. */
	KTEST_EXPECT_GE(t, boot_info->descriptor_size, 40);
	KTEST_EXPECT_EQ(t, boot_info->descriptor_size % 8, 0);
	KTEST_EXPECT_EQ(t, boot_info->descriptor_version, 1);
	KTEST_EXPECT_EQ(t,
			boot_info->memory_map_size % boot_info->descriptor_size,
			0);
	KTEST_EXPECT_GT(t, desc_count(), 4);
	ktest_diag(t, "descriptors=%lu descriptor_size=%lu", desc_count(),
		   boot_info->descriptor_size);
}

static void test_memory_map_entries_aligned(struct ktest *t)
{
	for (uint64_t i = 0; i < desc_count(); i++) {
		const struct efi_desc *d = desc_at(i);
		KTEST_EXPECT_EQ(t, d->phys_start % 4096, 0);
		KTEST_EXPECT_LE(t, d->num_pages,
				(~0ULL - d->phys_start) / 4096);
	}
}

/* Everything the loader handed over is in the map under our own types. */
static void test_loader_memory_is_tagged(struct ktest *t)
{
	const struct boot_info *bi = boot_info;
	KTEST_EXPECT_EQ(t, type_of(bi->kernel_phys_base), LABYRINTH_MEM_KERNEL);
	KTEST_EXPECT_EQ(t,
			type_of(bi->kernel_phys_base + bi->kernel_phys_size -
				1),
			LABYRINTH_MEM_KERNEL);
	KTEST_EXPECT_EQ(t, type_of(bi->page_table_root),
			LABYRINTH_MEM_PAGE_TABLES);
	KTEST_EXPECT_EQ(t, type_of(read_cr3() & ~0xfffULL),
			LABYRINTH_MEM_PAGE_TABLES);
	KTEST_EXPECT_EQ(t, type_of(boot_info_loader_phys),
			LABYRINTH_MEM_BOOT_INFO);
	/* The kernel's copies of the map and cmdline live in its own image. */
	KTEST_EXPECT_EQ(t, type_of(bi->memory_map), LABYRINTH_MEM_KERNEL);
	KTEST_EXPECT_EQ(t, type_of(bi->cmdline), LABYRINTH_MEM_KERNEL);
	KTEST_EXPECT_EQ(t, type_of(bi->boot_stack_phys),
			LABYRINTH_MEM_BOOT_STACK);
}

/* These tests only run because the cmdline said ktest=... (or shell=1,
 * and the allocator shell's `ktest` ran them), so that word must be in the
 * cmdline the loader handed over. */
static void test_cmdline(struct ktest *t)
{
	const char *cmdline = phys_to_virt_early(boot_info->cmdline);
	int found = 0;
	KTEST_EXPECT_EQ(t, strlen(cmdline), boot_info->cmdline_len);
	for (const char *p = cmdline; *p; p++)
		if ((p == cmdline || p[-1] == ' ') &&
		    (strncmp(p, "ktest=", 6) == 0 ||
		     strncmp(p, "shell=1", 7) == 0))
			found = 1;
	KTEST_EXPECT_TRUE(t, found);
}

static void test_rsdp(struct ktest *t)
{
	KTEST_ASSERT_TRUE(t, boot_info->rsdp != 0);
	const uint8_t *r = phys_to_virt_early(boot_info->rsdp);
	KTEST_EXPECT_TRUE(t, memcmp(r, "RSD PTR ", 8) == 0);
	uint8_t sum = 0;
	for (int i = 0; i < 20; i++) /* ACPI 1.0 part */
		sum += r[i];
	KTEST_EXPECT_EQ(t, sum, 0);
	if (boot_info->rsdp_revision >= 2) {
		uint32_t len;
		memcpy(&len, r + 20, 4);
		KTEST_EXPECT_GE(t, len, 36);
		sum = 0;
		for (uint32_t i = 0; i < len && i < 64; i++)
			sum += r[i];
		KTEST_EXPECT_EQ(t, sum, 0);
	}
}

/* Walks the live page tables: the leaf entry for virt, or 0 if unmapped. */
static uint64_t leaf_entry(uint64_t virt)
{
	uint64_t table = read_cr3() & 0x000ffffffffff000ULL;
	for (int level = 3; level >= 0; level--) {
		const uint64_t *t = phys_to_virt_early(table);
		uint64_t e = t[(virt >> (12 + 9 * level)) & 511];
		if (!(e & 1))
			return 0;
		if (level == 0 || (level <= 2 && (e & 0x80)))
			return e;
		table = e & 0x000ffffffffff000ULL;
	}
	return 0;
}

#define PTE_W (1ULL << 1)
#define PTE_NX (1ULL << 63)

static void test_kernel_is_wx(struct ktest *t)
{
	extern const char __text_start[], __rodata_start[], __data_start[],
	    __bss_start[];
	uint64_t text = leaf_entry((uint64_t)__text_start);
	uint64_t ro = leaf_entry((uint64_t)__rodata_start);
	uint64_t data = leaf_entry((uint64_t)__data_start);
	uint64_t bss = leaf_entry((uint64_t)__bss_start);
	KTEST_ASSERT_TRUE(t, text && ro && data && bss);
	KTEST_EXPECT_EQ(t, text & (PTE_W | PTE_NX), 0);	   /* R X */
	KTEST_EXPECT_EQ(t, ro & (PTE_W | PTE_NX), PTE_NX); /* R   */
	KTEST_EXPECT_EQ(t, data & (PTE_W | PTE_NX), PTE_W | PTE_NX);
	KTEST_EXPECT_EQ(t, bss & (PTE_W | PTE_NX), PTE_W | PTE_NX);
	/* The kernel's physical placement is what boot_info says. */
	KTEST_EXPECT_EQ(t, text & 0x000ffffffffff000ULL,
			boot_info->kernel_phys_base);
}

static void test_direct_map(struct ktest *t)
{
	extern const char __text_start[];
	/* The same physical bytes through the direct map and the kernel map. */
	const uint8_t *via_hhdm =
	    phys_to_virt_early(boot_info->kernel_phys_base);
	KTEST_EXPECT_EQ(t, memcmp(via_hhdm, __text_start, 256), 0);
	uint64_t e = leaf_entry(HHDM_OFFSET + boot_info->kernel_phys_base);
	KTEST_EXPECT_EQ(t, e & PTE_NX, PTE_NX);
	/* Every RAM descriptor's first page is in the direct map. */
	for (uint64_t i = 0; i < desc_count(); i++) {
		const struct efi_desc *d = desc_at(i);
		if (d->type == 7 || d->type == 4 || d->type >= 0x80000000u)
			KTEST_EXPECT_NE(t,
					leaf_entry(HHDM_OFFSET + d->phys_start),
					0);
	}
}

static void test_identity_map_dropped(struct ktest *t)
{
	const uint64_t *pml4 = phys_to_virt_early(read_cr3() & ~0xfffULL);
	for (int i = 0; i < 256; i++)
		KTEST_EXPECT_EQ(t, pml4[i], 0);
	KTEST_EXPECT_EQ(t, leaf_entry(boot_info->loader_image_base), 0);
}

static void test_boot_stack_guard(struct ktest *t)
{
	KTEST_EXPECT_NE(t, leaf_entry(BOOT_STACK_TOP - 4096), 0);
	KTEST_EXPECT_NE(t, leaf_entry(BOOT_STACK_TOP - BOOT_STACK_SIZE), 0);
	KTEST_EXPECT_EQ(t, leaf_entry(BOOT_STACK_TOP - BOOT_STACK_SIZE - 4096),
			0);
}

static const struct ktest_case bootinfo_cases[] = {
	KTEST_CASE(test_header),
	KTEST_CASE(test_memory_map_shape),
	KTEST_CASE(test_memory_map_entries_aligned),
	KTEST_CASE(test_loader_memory_is_tagged),
	KTEST_CASE(test_cmdline),
	KTEST_CASE(test_rsdp),
	KTEST_CASE(test_kernel_is_wx),
	KTEST_CASE(test_direct_map),
	KTEST_CASE(test_identity_map_dropped),
	KTEST_CASE(test_boot_stack_guard),
	{ 0 },
};
KTEST_SUITE_WHERE(bootinfo, bootinfo_cases, KTEST_TARGET_ONLY);
