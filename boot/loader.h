/*
 * What the loader's files share (boot/loader.c, boot/address_space.c).
 */
#ifndef LABYRINTH_BOOT_LOADER_H
#define LABYRINTH_BOOT_LOADER_H

#include <efi.h>

#include "boot/bootinfo.h"
#include "boot/elf.h"

/* Prints "boot: <message>" on the firmware console and returns status. */
EFI_STATUS loader_error(EFI_STATUS status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Allocates zeroed pages of an OS-defined memory type. */
EFI_STATUS alloc_pages(UINT32 type, UINTN pages, UINT64 *phys);

/*
 * Builds the kernel's page tables (direct map, kernel W^X, boot stack,
 * identity map of the loader) into bi->page_table_root, and allocates the
 * buffer the final memory map will be written to (*map_buf, *map_cap bytes).
 */
EFI_STATUS build_page_tables(struct boot_info *bi, const struct elf_image *img,
			     UINT64 *map_buf, UINTN *map_cap);

#endif
