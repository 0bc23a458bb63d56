/*
 * elf_validate: every check the loader makes on kernel.elf, in the order a
 * reader would make them. A file that fails gets one clear line naming the
 * problem; the loader prints it and returns to the firmware.
 */
#include "boot/elf.h"
#include "kernel/lib/format.h"

#define PAGE_SIZE 4096ULL

static int reject(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kvsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* a + b <= limit, without overflowing. */
static int fits(uint64_t a, uint64_t b, uint64_t limit)
{
	return a <= limit && b <= limit - a;
}

static int check_header(const Elf64_Ehdr *eh, size_t size, char *err,
			size_t errlen)
{
	const unsigned char *id = eh->e_ident;
	if (id[0] != 0x7f || id[1] != 'E' || id[2] != 'L' || id[3] != 'F')
		return reject(err, errlen, "bad ELF magic (not an ELF file)");
	if (id[4] != 2)
		return reject(err, errlen, "not ELF64 (class %u)", id[4]);
	if (id[5] != 1)
		return reject(err, errlen, "not little-endian (data %u)",
			      id[5]);
	if (eh->e_machine != EM_X86_64)
		return reject(err, errlen, "not x86-64 (machine %u)",
			      eh->e_machine);
	if (eh->e_type != ET_EXEC)
		return reject(err, errlen,
			      "not an executable (type %u, want ET_EXEC)",
			      eh->e_type);
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return reject(err, errlen, "program header size %u, want %u",
			      eh->e_phentsize, (unsigned)sizeof(Elf64_Phdr));
	if (eh->e_phnum == 0)
		return reject(err, errlen, "no program headers");
	if (!fits(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr),
		  size))
		return reject(
		    err, errlen,
		    "program headers outside the file (truncated? %lu bytes)",
		    (unsigned long)size);
	return 0;
}

static int check_segment(const Elf64_Phdr *ph, unsigned i, size_t size,
			 uint64_t window_start, uint64_t window_end, char *err,
			 size_t errlen)
{
	if (ph->p_filesz > ph->p_memsz)
		return reject(err, errlen,
			      "segment %u: file size 0x%lx > memory size 0x%lx",
			      i, (unsigned long)ph->p_filesz,
			      (unsigned long)ph->p_memsz);
	if (!fits(ph->p_offset, ph->p_filesz, size))
		return reject(
		    err, errlen,
		    "segment %u extends past the end of the file (truncated? %lu bytes)",
		    i, (unsigned long)size);
	if (ph->p_vaddr % PAGE_SIZE || ph->p_offset % PAGE_SIZE)
		return reject(err, errlen, "segment %u is not page aligned", i);
	if (ph->p_vaddr < window_start || ph->p_memsz == 0 ||
	    !fits(ph->p_vaddr, ph->p_memsz, window_end))
		return reject(
		    err, errlen,
		    "segment %u (0x%lx+0x%lx) is outside the kernel window 0x%lx-0x%lx",
		    i, (unsigned long)ph->p_vaddr, (unsigned long)ph->p_memsz,
		    (unsigned long)window_start, (unsigned long)window_end);
	if ((ph->p_flags & PF_W) && (ph->p_flags & PF_X))
		return reject(err, errlen,
			      "segment %u is both writable and executable (W^X)",
			      i);
	return 0;
}

static uint64_t page_end(const struct elf_segment *s)
{
	return (s->vaddr + s->memsz + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
}

int elf_validate(const void *file, size_t size, uint64_t window_start,
		 uint64_t window_end, struct elf_image *out, char *err,
		 size_t errlen)
{
	const Elf64_Ehdr *eh = file;

	if (size < sizeof(Elf64_Ehdr))
		return reject(
		    err, errlen,
		    "file too small for an ELF header (%lu bytes, truncated?)",
		    (unsigned long)size);
	if (check_header(eh, size, err, errlen))
		return -1;

	const Elf64_Phdr *phdrs =
	    (const Elf64_Phdr *)((const char *)file + eh->e_phoff);
	out->nsegments = 0;
	out->entry = eh->e_entry;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;
		/* Copy: phoff need not be aligned for an Elf64_Phdr. */
		const unsigned char *src = (const unsigned char *)&phdrs[i];
		unsigned char *dst = (unsigned char *)&ph;
		for (size_t b = 0; b < sizeof(ph); b++)
			dst[b] = src[b];
		if (ph.p_type != PT_LOAD)
			continue;
		if (check_segment(&ph, i, size, window_start, window_end, err,
				  errlen))
			return -1;
		if (out->nsegments == ELF_MAX_SEGMENTS)
			return reject(err, errlen,
				      "more than %d loadable segments",
				      ELF_MAX_SEGMENTS);
		struct elf_segment *s = &out->segments[out->nsegments];
		*s = (struct elf_segment){
			i,	     ph.p_vaddr,  ph.p_memsz,
			ph.p_offset, ph.p_filesz, ph.p_flags
		};
		/* Permissions are per page, so compare page-rounded ranges. */
		for (unsigned j = 0; j < out->nsegments; j++) {
			const struct elf_segment *o = &out->segments[j];
			if (s->vaddr < page_end(o) && o->vaddr < page_end(s))
				return reject(err, errlen,
					      "segment %u overlaps segment %u",
					      s->index, o->index);
		}
		out->nsegments++;
	}
	if (out->nsegments == 0)
		return reject(err, errlen, "no loadable segments");

	out->vaddr_start = ~0ULL;
	out->vaddr_end = 0;
	int entry_ok = 0;
	for (unsigned j = 0; j < out->nsegments; j++) {
		const struct elf_segment *s = &out->segments[j];
		if (s->vaddr < out->vaddr_start)
			out->vaddr_start = s->vaddr;
		if (page_end(s) > out->vaddr_end)
			out->vaddr_end = page_end(s);
		if ((s->flags & PF_X) && eh->e_entry >= s->vaddr &&
		    eh->e_entry < s->vaddr + s->memsz)
			entry_ok = 1;
	}
	if (!entry_ok)
		return reject(
		    err, errlen,
		    "entry point 0x%lx is not inside an executable segment",
		    (unsigned long)eh->e_entry);
	return 0;
}
