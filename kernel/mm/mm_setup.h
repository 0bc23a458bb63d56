/*
 * Bringing up physical memory management from the boot_info (mm/ does the
 * work; this is the kernel's side of it). See docs/02-memory-map.md.
 */
#ifndef LABYRINTH_KERNEL_MM_MM_SETUP_H
#define LABYRINTH_KERNEL_MM_MM_SETUP_H

/* mm_init over the UEFI map, then hands the loader's boot_info pages to the
 * allocator. Stops the boot with a clear message if memory is unusable. */
void mm_setup(void);

#endif
