/*
 * Validating the kernel's ELF file before the loader trusts a byte of it.
 * Pure C with no UEFI dependency, so the host tests (tests/host/elf_test.c)
 * exercise every rejection. See docs/01-boot.md ("Loading the kernel").
 */
#ifndef LABYRINTH_BOOT_ELF_H
#define LABYRINTH_BOOT_ELF_H

#include <stddef.h>
#include <stdint.h>

/* The ELF-64 structures, as in the System V ABI (names as in <elf.h>). */
typedef struct {
	unsigned char e_ident[16];
	uint16_t e_type;
	uint16_t e_machine;
	uint32_t e_version;
	uint64_t e_entry;
	uint64_t e_phoff;
	uint64_t e_shoff;
	uint32_t e_flags;
	uint16_t e_ehsize;
	uint16_t e_phentsize;
	uint16_t e_phnum;
	uint16_t e_shentsize;
	uint16_t e_shnum;
	uint16_t e_shstrndx;
} Elf64_Ehdr;

typedef struct {
	uint32_t p_type;
	uint32_t p_flags;
	uint64_t p_offset;
	uint64_t p_vaddr;
	uint64_t p_paddr;
	uint64_t p_filesz;
	uint64_t p_memsz;
	uint64_t p_align;
} Elf64_Phdr;

#define ET_EXEC 2
#define EM_X86_64 62
#define PT_LOAD 1
#define PF_X 1
#define PF_W 2
#define PF_R 4

#define ELF_MAX_SEGMENTS 16

struct elf_segment {
	unsigned index; /* program header number, as `readelf -l` counts */
	uint64_t vaddr, memsz;
	uint64_t offset, filesz;
	uint32_t flags; /* PF_R | PF_W | PF_X */
};

struct elf_image {
	uint64_t entry;
	uint64_t vaddr_start, vaddr_end; /* page-rounded span of all segments */
	unsigned nsegments;
	struct elf_segment segments[ELF_MAX_SEGMENTS];
};

/*
 * Checks that `file` (size bytes) is an x86-64 ELF64 executable whose
 * loadable segments lie inside [window_start, window_end), page aligned,
 * not overlapping, W^X, with the entry point in an executable segment.
 * Returns 0 and fills *out, or -1 with a one-line reason in err.
 */
int elf_validate(const void *file, size_t size, uint64_t window_start,
		 uint64_t window_end, struct elf_image *out, char *err,
		 size_t errlen);

#endif
