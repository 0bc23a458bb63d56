/*
 * The loader's ELF checks (boot/elf.c), run on the host over synthetic
 * kernels: one good image, then one corruption per rule, each of which must
 * be refused with the message that names it.
 */
#include <string.h>

#include "boot/bootinfo.h"
#include "boot/elf.h"
#include "tests/ktest.h"

#define FILE_SIZE 0x4000
#define BASE KERNEL_WINDOW_BASE

struct fake_elf {
	union {
		unsigned char bytes[FILE_SIZE];
		Elf64_Ehdr eh;
	};
};

static Elf64_Phdr *phdr(struct fake_elf *f, int i)
{
	return (Elf64_Phdr *)(f->bytes + f->eh.e_phoff) + i;
}

/* A good kernel: text (R X) at BASE, data (R W) one page later. */
static void make_good(struct fake_elf *f)
{
	memset(f, 0, sizeof(*f));
	memcpy(f->eh.e_ident, "\177ELF\2\1\1", 7);
	f->eh.e_type = ET_EXEC;
	f->eh.e_machine = EM_X86_64;
	f->eh.e_version = 1;
	f->eh.e_entry = BASE + 0x10;
	f->eh.e_phoff = sizeof(Elf64_Ehdr);
	f->eh.e_ehsize = sizeof(Elf64_Ehdr);
	f->eh.e_phentsize = sizeof(Elf64_Phdr);
	f->eh.e_phnum = 2;
	*phdr(f, 0) = (Elf64_Phdr){ PT_LOAD, PF_R | PF_X, 0x1000, BASE,
				    BASE,    0x1000,	  0x1000, 0x1000 };
	*phdr(f, 1) =
	    (Elf64_Phdr){ PT_LOAD,	 PF_R | PF_W, 0x2000, BASE + 0x1000,
			  BASE + 0x1000, 0x800,	      0x3000, 0x1000 };
}

static int validate(struct fake_elf *f, size_t size, char *err)
{
	struct elf_image img;
	return elf_validate(f->bytes, size, KERNEL_WINDOW_BASE,
			    KERNEL_WINDOW_END, &img, err, 160);
}

static void test_good_kernel_accepted(struct ktest *t)
{
	static struct fake_elf f;
	struct elf_image img;
	char err[160] = "";
	make_good(&f);
	KTEST_ASSERT_TRUE(t, elf_validate(f.bytes, FILE_SIZE,
					  KERNEL_WINDOW_BASE, KERNEL_WINDOW_END,
					  &img, err, sizeof(err)) == 0);
	KTEST_EXPECT_EQ(t, img.nsegments, 2);
	KTEST_EXPECT_EQ(t, img.vaddr_start, BASE);
	KTEST_EXPECT_EQ(t, img.vaddr_end, BASE + 0x4000);
	KTEST_EXPECT_EQ(t, img.entry, BASE + 0x10);
}

/* Each case: corrupt one thing, expect this message. */
struct corruption {
	const char *expect;
	size_t size; /* 0: FILE_SIZE */
	void (*corrupt)(struct fake_elf *f);
};

static void bad_magic(struct fake_elf *f)
{
	f->bytes[1] = 'X';
}
static void elf32(struct fake_elf *f)
{
	f->eh.e_ident[4] = 1;
}
static void big_endian(struct fake_elf *f)
{
	f->eh.e_ident[5] = 2;
}
static void arm64(struct fake_elf *f)
{
	f->eh.e_machine = 183;
}
static void shared_object(struct fake_elf *f)
{
	f->eh.e_type = 3;
}
static void phdrs_outside(struct fake_elf *f)
{
	f->eh.e_phoff = FILE_SIZE - 8;
}
static void phdrs_overflow(struct fake_elf *f)
{
	f->eh.e_phoff = ~0ULL - 8;
}
static void no_phdrs(struct fake_elf *f)
{
	f->eh.e_phnum = 0;
}
static void filesz_gt_memsz(struct fake_elf *f)
{
	phdr(f, 1)->p_filesz = 0x4000;
}
static void past_eof(struct fake_elf *f)
{
	phdr(f, 1)->p_filesz = 0x2800;
}
static void unaligned(struct fake_elf *f)
{
	phdr(f, 1)->p_vaddr += 0x10;
}
static void low_half(struct fake_elf *f)
{
	phdr(f, 1)->p_vaddr = 0x400000;
}
static void wraps(struct fake_elf *f)
{
	phdr(f, 1)->p_memsz = ~0ULL - 0x100;
}
static void overlap(struct fake_elf *f)
{
	phdr(f, 1)->p_vaddr = BASE;
}
static void writable_text(struct fake_elf *f)
{
	phdr(f, 0)->p_flags |= PF_W;
}
static void entry_in_data(struct fake_elf *f)
{
	f->eh.e_entry = BASE + 0x1800;
}
static void nothing_loadable(struct fake_elf *f)
{
	phdr(f, 0)->p_type = 4;
	phdr(f, 1)->p_type = 4;
}

static const struct corruption corruptions[] = {
	{ "bad ELF magic (not an ELF file)", 0, bad_magic },
	{ "not ELF64 (class 1)", 0, elf32 },
	{ "not little-endian (data 2)", 0, big_endian },
	{ "not x86-64 (machine 183)", 0, arm64 },
	{ "not an executable (type 3, want ET_EXEC)", 0, shared_object },
	{ "program headers outside the file (truncated? 16384 bytes)", 0,
	  phdrs_outside },
	{ "program headers outside the file (truncated? 16384 bytes)", 0,
	  phdrs_overflow },
	{ "no program headers", 0, no_phdrs },
	{ "segment 1: file size 0x4000 > memory size 0x3000", 0,
	  filesz_gt_memsz },
	{ "segment 1 extends past the end of the file (truncated? 16384 bytes)",
	  0, past_eof },
	{ "segment 1 is not page aligned", 0, unaligned },
	{ "segment 1 (0x400000+0x3000) is outside the kernel window 0xffffffff80000000-0xffffffffc0000000",
	  0, low_half },
	{ "segment 1 (0xffffffff80001000+0xfffffffffffffeff) is outside the kernel window 0xffffffff80000000-0xffffffffc0000000",
	  0, wraps },
	{ "segment 1 overlaps segment 0", 0, overlap },
	{ "segment 0 is both writable and executable (W^X)", 0, writable_text },
	{ "entry point 0xffffffff80001800 is not inside an executable segment",
	  0, entry_in_data },
	{ "no loadable segments", 0, nothing_loadable },
	{ "file too small for an ELF header (40 bytes, truncated?)", 40, NULL },
	{ "segment 1 extends past the end of the file (truncated? 9216 bytes)",
	  0x2400, NULL },
};

static void test_each_corruption_is_named(struct ktest *t)
{
	static struct fake_elf f;
	for (size_t i = 0; i < sizeof(corruptions) / sizeof(corruptions[0]);
	     i++) {
		const struct corruption *c = &corruptions[i];
		char err[160] = "";
		make_good(&f);
		if (c->corrupt)
			c->corrupt(&f);
		KTEST_EXPECT_EQ(t,
				validate(&f, c->size ? c->size : FILE_SIZE,
					 err),
				-1);
		KTEST_EXPECT_STREQ(t, err, c->expect);
	}
}

static const struct ktest_case elf_cases[] = {
	KTEST_CASE(test_good_kernel_accepted),
	KTEST_CASE(test_each_corruption_is_named),
	{ 0 },
};
KTEST_SUITE_WHERE(loader_elf, elf_cases, KTEST_HOST_ONLY);
