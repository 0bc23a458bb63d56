/*
 * What the kernel prints about its start: firmware, CPU, placement, and the
 * UEFI memory map exactly as the firmware returned it.
 */
#ifndef LABYRINTH_KERNEL_INIT_BOOTLOG_H
#define LABYRINTH_KERNEL_INIT_BOOTLOG_H

#include <stdint.h>

#include "boot/bootinfo.h"

/* The kernel's own copy of the boot_info, its memory map and cmdline (see
 * boot_info_adopt), so that the loader's pages can be given to mm. */
extern const struct boot_info *boot_info;
/* Where the loader put the boot_info (physical; released after mm_init). */
extern uint64_t boot_info_loader_phys;

/* Copies the loader's boot_info, map and cmdline into kernel memory. */
void boot_info_adopt(const struct boot_info *loader_bi);

/* Direct-map address of a physical address. */
static inline void *phys_to_virt_early(uint64_t phys)
{
	return (void *)(uintptr_t)(phys + boot_info->hhdm_offset);
}

const char *efi_memory_type_name(uint32_t type);
void print_boot_summary(void);
void print_memory_map(void);

#endif
