/*
 * make-bad-elf: derives broken kernels from a good kernel.elf, one per
 * loader check the boot matrix exercises (tests/matrix.conf):
 *   truncated.elf  cut in the middle of segment 0's bytes
 *   bad-magic.elf  first byte changed
 *   overlap.elf    program header 1 moved onto segment 0's pages
 *   wx.elf         the text segment made writable too
 * Usage: make-bad-elf KERNEL.ELF OUTDIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot/elf.h"

static unsigned char *load(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	*size = (size_t)ftell(f);
	rewind(f);
	unsigned char *buf = malloc(*size);
	if (!buf || fread(buf, 1, *size, f) != *size) {
		fprintf(stderr, "make-bad-elf: cannot read %s\n", path);
		exit(2);
	}
	fclose(f);
	return buf;
}

static void save(const char *dir, const char *name, const unsigned char *buf,
		 size_t size)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, size, f) != size || fclose(f)) {
		fprintf(stderr, "make-bad-elf: cannot write %s\n", path);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: make-bad-elf KERNEL.ELF OUTDIR\n");
		return 2;
	}
	size_t size;
	unsigned char *good = load(argv[1], &size);
	unsigned char *copy = malloc(size);
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)good;
	if (size < sizeof(*eh) || eh->e_phnum < 2) {
		fprintf(stderr,
			"make-bad-elf: %s does not look like our kernel\n",
			argv[1]);
		return 2;
	}
	Elf64_Phdr *ph;

	const Elf64_Phdr *ph0 = (const Elf64_Phdr *)(good + eh->e_phoff);
	save(argv[2], "truncated.elf", good, ph0->p_offset + ph0->p_filesz / 2);

	memcpy(copy, good, size);
	copy[0] = 'X';
	save(argv[2], "bad-magic.elf", copy, size);

	memcpy(copy, good, size);
	ph = (Elf64_Phdr *)(copy + eh->e_phoff);
	ph[1].p_vaddr = ph[0].p_vaddr;
	save(argv[2], "overlap.elf", copy, size);

	memcpy(copy, good, size);
	ph = (Elf64_Phdr *)(copy + eh->e_phoff);
	ph[0].p_flags |= PF_W;
	save(argv[2], "wx.elf", copy, size);

	free(copy);
	free(good);
	return 0;
}
