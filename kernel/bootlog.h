/*
 * What the kernel prints about its start: firmware, CPU, placement, and the
 * UEFI memory map exactly as the firmware returned it.
 */
#ifndef LABYRINTH_KERNEL_BOOTLOG_H
#define LABYRINTH_KERNEL_BOOTLOG_H

#include <stdint.h>

#include "boot/bootinfo.h"

/* The boot_info the loader handed over (a direct-map pointer). */
extern const struct boot_info *boot_info;

/* Direct-map address of a physical address. */
static inline void *phys_to_virt_early(uint64_t phys)
{
	return (void *)(uintptr_t)(phys + boot_info->hhdm_offset);
}

const char *efi_memory_type_name(uint32_t type);
void print_boot_summary(void);
void print_memory_map(void);

#endif
