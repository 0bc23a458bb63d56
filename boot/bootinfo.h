/*
 * struct boot_info: the one ABI between the UEFI loader (boot/) and the
 * kernel (kernel/). The loader fills it in, the kernel only reads it.
 * Every address in it is physical unless its name ends in _virt; the kernel
 * reaches physical memory through the direct map at hhdm_offset.
 * Bump BOOT_INFO_VERSION whenever the layout changes. See docs/01-boot.md.
 */
#ifndef LABYRINTH_BOOT_BOOTINFO_H
#define LABYRINTH_BOOT_BOOTINFO_H

#include <stdint.h>

#define BOOT_INFO_MAGIC 0x31544e5259424c4cULL /* "LLBYRNT1" little-endian */
#define BOOT_INFO_VERSION 1

/* Virtual layout the loader sets up (docs/01-boot.md, "Page tables"). */
#define HHDM_OFFSET 0xffff800000000000ULL /* phys P is at HHDM_OFFSET + P */
#define KERNEL_WINDOW_BASE 0xffffffff80000000ULL /* -2 GiB: -mcmodel=kernel */
#define KERNEL_WINDOW_END 0xffffffffc0000000ULL	 /* kernel image must fit */
#define BOOT_STACK_TOP 0xffffffffff000000ULL	 /* guard page below it */
#define BOOT_STACK_SIZE (64 * 1024ULL)

/*
 * OS-defined UEFI memory types (the spec reserves 0x80000000..0xffffffff for
 * the OS loader). Every page the loader hands over carries one of them, so
 * the memory map alone tells the kernel what it must keep.
 */
#define LABYRINTH_MEM_KERNEL 0x80000000u      /* the kernel image */
#define LABYRINTH_MEM_PAGE_TABLES 0x80000001u /* the loader's page tables */
#define LABYRINTH_MEM_BOOT_INFO 0x80000002u   /* boot_info, map, cmdline */
#define LABYRINTH_MEM_BOOT_STACK 0x80000003u  /* the kernel's first stack */

struct boot_framebuffer {
	uint64_t base; /* 0: no GOP framebuffer was found */
	uint64_t size;
	uint32_t width, height;
	uint32_t pixels_per_scanline;
	uint32_t pixel_format; /* EFI_GRAPHICS_PIXEL_FORMAT */
};

struct boot_info {
	uint64_t magic;
	uint32_t version;
	uint32_t size; /* sizeof(struct boot_info) as the loader saw it */

	/* The UEFI memory map exactly as GetMemoryMap returned it, taken
	 * right before ExitBootServices. Step through it by descriptor_size,
	 * never by sizeof(EFI_MEMORY_DESCRIPTOR). */
	uint64_t memory_map;
	uint64_t memory_map_size;
	uint64_t descriptor_size;
	uint32_t descriptor_version;
	uint32_t reserved0;

	uint64_t rsdp;		/* 0 if the firmware gave none */
	uint32_t rsdp_revision; /* 2: ACPI 2.0+ (XSDT), 0: ACPI 1.0 (RSDT) */
	uint32_t uefi_revision;

	uint64_t cmdline; /* NUL-terminated, from \labyrinth\cmdline.txt */
	uint64_t cmdline_len;

	uint64_t kernel_phys_base; /* where the image was placed, contiguous */
	uint64_t kernel_phys_size;
	uint64_t kernel_virt_base;
	uint64_t kernel_entry_virt;

	uint64_t hhdm_offset;
	uint64_t page_table_root; /* physical address of the PML4 */
	uint64_t boot_stack_phys;
	uint64_t boot_stack_size;
	uint64_t
	    loader_image_base; /* identity-mapped until the kernel drops it */
	uint64_t loader_image_size;

	char firmware_vendor[64]; /* ASCII copy of the UEFI FirmwareVendor */
	uint32_t firmware_revision;
	uint32_t reserved1;

	struct boot_framebuffer framebuffer;
};

#endif
