/*
 * Memory map ingestion (mm/memmap.c), table-driven: every case is built as a
 * raw UEFI map with descriptor sizes 40, 48, 56 and 64 (padding filled with
 * junk, so stepping by the wrong size shows) and must give exactly the
 * expected usable ranges. Runs on the host and on target.
 * docs/02-memory-map.md explains the policy these cases pin down.
 */
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"
#include "mm/memmap.h"
#include "tests/support/test_arena.h"
#include "tests/ktest.h"

#define KiB 0x400ULL
#define M 0x100000ULL
#define G 0x40000000ULL
#define WB 0xfULL /* UC|WC|WT|WB, what OVMF reports for RAM */
#define UC 0x1ULL
#define RT EFI_MEMORY_RUNTIME
#define SP EFI_MEMORY_SP
#define OS1 0x80000001u
#define OS2 0x80000002u

struct desc {
	uint32_t type;
	uint64_t start, pages, attr;
};
struct range {
	uint64_t start, end;
	unsigned int zone;
};
enum {
	DMA = MEMMAP_ZONE_DMA,
	DMA32 = MEMMAP_ZONE_DMA32,
	NORMAL = MEMMAP_ZONE_NORMAL
};

struct map_case {
	const char *name;
	unsigned int maxphyaddr; /* 0: 52 */
	struct desc d[10];
	unsigned int nr_d;
	int err;
	struct range r[8];
	unsigned int nr_r;
	unsigned int dropped;
	uint64_t low_pages;
};

/* clang-format off: one case per entry reads better than the formatter's */
static const struct map_case cases[] = {
	{ "split at 16 MiB",
	  0,
	  { { 7, 1 * M, 0x1000, WB } },
	  1,
	  0,
	  { { 1 * M, 16 * M, DMA }, { 16 * M, 17 * M, DMA32 } },
	  2,
	  0,
	  0 },
	{ "unsorted entries come out sorted",
	  0,
	  { { 7, 40 * M, 256, WB },
	    { 7, 1 * M, 256, WB },
	    { 7, 20 * M, 256, WB } },
	  3,
	  0,
	  { { 1 * M, 2 * M, DMA },
	    { 20 * M, 21 * M, DMA32 },
	    { 40 * M, 41 * M, DMA32 } },
	  3,
	  0,
	  0 },
	{ "reserved wins (usable listed first)",
	  0,
	  { { 7, 1 * M, 512, WB }, { 0, 1 * M + 512 * KiB, 2, WB } },
	  2,
	  0,
	  { { 1 * M, 1 * M + 512 * KiB, DMA },
	    { 1 * M + 520 * KiB, 3 * M, DMA } },
	  2,
	  0,
	  0 },
	{ "reserved wins (reserved listed first)",
	  0,
	  { { 0, 1 * M + 512 * KiB, 2, WB }, { 7, 1 * M, 512, WB } },
	  2,
	  0,
	  { { 1 * M, 1 * M + 512 * KiB, DMA },
	    { 1 * M + 520 * KiB, 3 * M, DMA } },
	  2,
	  0,
	  0 },
	{ "usable inside reserved vanishes",
	  0,
	  { { 11, 1 * M, 1024, UC },
	    { 7, 2 * M, 16, WB },
	    { 7, 8 * M, 16, WB } },
	  3,
	  0,
	  { { 8 * M, 8 * M + 64 * KiB, DMA } },
	  1,
	  0,
	  0 },
	{ "overlapping usable entries merge",
	  0,
	  { { 7, 1 * M, 512, WB }, { 4, 1 * M + 512 * KiB, 512, WB } },
	  2,
	  0,
	  { { 1 * M, 3 * M + 512 * KiB, DMA } },
	  1,
	  0,
	  0 },
	{ "adjacent usable entries merge",
	  0,
	  { { 7, 1 * M, 256, WB }, { 3, 2 * M, 256, WB } },
	  2,
	  0,
	  { { 1 * M, 3 * M, DMA } },
	  1,
	  0,
	  0 },
	{ "zero-length entries change nothing",
	  0,
	  { { 7, 1 * M, 0, WB },
	    { 0, 2 * M + 4 * KiB, 0, UC },
	    { 7, 2 * M, 16, WB } },
	  3,
	  0,
	  { { 2 * M, 2 * M + 64 * KiB, DMA } },
	  1,
	  0,
	  0 },
	{ "unaligned usable trimmed inward",
	  0,
	  { { 7, 0x100800, 3, WB } },
	  1,
	  0,
	  { { 0x101000, 0x103000, DMA } },
	  1,
	  0,
	  0 },
	{ "unaligned reserved rounded outward",
	  0,
	  { { 7, 1 * M, 256, WB }, { 0, 0x180800, 1, UC } },
	  2,
	  0,
	  { { 1 * M, 0x180000, DMA }, { 0x182000, 2 * M, DMA } },
	  2,
	  0,
	  0 },
	{ "entries overflowing 2^64 dropped",
	  0,
	  { { 7, 0xFFFFFFFFFFFFF000ULL, 2, WB },
	    { 7, 0x1000, 1ULL << 52, WB },
	    { 7, 1 * M, 16, WB } },
	  3,
	  0,
	  { { 1 * M, 1 * M + 64 * KiB, DMA } },
	  1,
	  2,
	  0 },
	{ "entries past MAXPHYADDR dropped",
	  36,
	  { { 7, 64 * G, 16, WB },
	    { 7, 64 * G - 64 * KiB, 16, WB },
	    { 7, 1 * M, 16, WB } },
	  3,
	  0,
	  { { 1 * M, 1 * M + 64 * KiB, DMA },
	    { 64 * G - 64 * KiB, 64 * G, NORMAL } },
	  2,
	  1,
	  0 },
	{ "RUNTIME, SP and no-WB memory reserved",
	  0,
	  { { 7, 1 * M, 16, WB | RT },
	    { 7, 2 * M, 16, WB | SP },
	    { 7, 3 * M, 16, 0x7 },
	    { 7, 4 * M, 16, WB } },
	  4,
	  0,
	  { { 4 * M, 4 * M + 64 * KiB, DMA } },
	  1,
	  0,
	  0 },
	{ "RUNTIME overlapping usable wins",
	  0,
	  { { 7, 1 * M, 256, WB }, { 4, 1 * M + 64 * KiB, 16, WB | RT } },
	  2,
	  0,
	  { { 1 * M, 1 * M + 64 * KiB, DMA },
	    { 1 * M + 128 * KiB, 2 * M, DMA } },
	  2,
	  0,
	  0 },
	{ "types 1-4 usable, 14 and 15 reserved",
	  0,
	  { { 14, 1 * M, 16, WB },
	    { 15, 2 * M, 16, WB },
	    { 1, 3 * M, 16, WB },
	    { 2, 4 * M, 16, WB },
	    { 3, 5 * M, 16, WB },
	    { 4, 6 * M, 16, WB } },
	  6,
	  0,
	  { { 3 * M, 3 * M + 64 * KiB, DMA },
	    { 4 * M, 4 * M + 64 * KiB, DMA },
	    { 5 * M, 5 * M + 64 * KiB, DMA },
	    { 6 * M, 6 * M + 64 * KiB, DMA } },
	  4,
	  0,
	  0 },
	{ "other firmware types reserved",
	  0,
	  { { 0, 1 * M, 16, WB },
	    { 5, 2 * M, 16, WB },
	    { 6, 3 * M, 16, WB },
	    { 8, 4 * M, 16, WB },
	    { 9, 5 * M, 16, WB },
	    { 10, 6 * M, 16, WB },
	    { 12, 7 * M, 16, WB },
	    { 13, 8 * M, 16, WB },
	    { 7, 20 * M, 16, WB } },
	  9,
	  0,
	  { { 20 * M, 20 * M + 64 * KiB, DMA32 } },
	  1,
	  0,
	  0 },
	{ "OS-defined types stay reserved",
	  0,
	  { { OS1, 2 * M, 16, WB }, { 7, 1 * M, 1024, WB } },
	  2,
	  0,
	  { { 1 * M, 2 * M, DMA }, { 2 * M + 64 * KiB, 5 * M, DMA } },
	  2,
	  0,
	  0 },
	{ "first MiB held back, frame 0 never used",
	  0,
	  { { 7, 0, 512, WB } },
	  1,
	  0,
	  { { 1 * M, 2 * M, DMA } },
	  1,
	  0,
	  255 },
	{ "split at 4 GiB",
	  0,
	  { { 7, 4 * G - 8 * KiB, 4, WB } },
	  1,
	  0,
	  { { 4 * G - 8 * KiB, 4 * G, DMA32 },
	    { 4 * G, 4 * G + 8 * KiB, NORMAL } },
	  2,
	  0,
	  0 },
	{ "empty map", 0, { { 0 } }, 0, MEMMAP_ERR_EMPTY, { { 0 } }, 0, 0, 0 },
	{ "only reserved memory",
	  0,
	  { { 0, 1 * M, 16, WB }, { 7, 2 * M, 16, UC } },
	  2,
	  MEMMAP_ERR_NO_USABLE,
	  { { 0 } },
	  0,
	  0,
	  0 },
	{ "only memory below 1 MiB",
	  0,
	  { { 7, 0x1000, 100, WB } },
	  1,
	  MEMMAP_ERR_NO_USABLE,
	  { { 0 } },
	  0,
	  0,
	  0 },
};
/* clang-format on */

static struct memmap map; /* ~90 KiB: static, not on a kernel stack */
static unsigned char raw[600 * 64];

static void put(unsigned char *p, size_t off, const void *v, size_t n)
{
	memcpy(p + off, v, n);
}

/* Writes descriptors the way firmware does, junk in every gap. */
static uint64_t build_raw(const struct desc *d, unsigned int n, size_t dsize)
{
	memset(raw, 0xa5, n * dsize);
	for (unsigned int i = 0; i < n; i++) {
		unsigned char *p = raw + i * dsize;
		uint64_t virt = 0xdeadbeef000ULL;
		put(p, EFI_DESC_OFF_TYPE, &d[i].type, 4);
		put(p, EFI_DESC_OFF_PHYS_START, &d[i].start, 8);
		put(p, EFI_DESC_OFF_VIRT_START, &virt, 8);
		put(p, EFI_DESC_OFF_NUM_PAGES, &d[i].pages, 8);
		put(p, EFI_DESC_OFF_ATTRIBUTE, &d[i].attr, 8);
	}
	return n * dsize;
}

static const size_t desc_sizes[] = { 40, 48, 56, 64 };

static void quiet_start(char *buf, size_t n, int *saved)
{
	*saved = console_loglevel;
	console_loglevel = 0;
	printk_capture_start(buf, n);
}

static void quiet_stop(int saved)
{
	printk_capture_stop();
	console_loglevel = saved;
}

static void test_policy_table(struct ktest *t)
{
	static char log[4096];
	for (unsigned int c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const struct map_case *mc = &cases[c];
		for (unsigned int s = 0; s < 4; s++) {
			int saved;
			uint64_t size =
			    build_raw(mc->d, mc->nr_d, desc_sizes[s]);
			quiet_start(log, sizeof(log), &saved);
			int err =
			    memmap_from_efi(&map, raw, size, desc_sizes[s], 1,
					    mc->maxphyaddr ? mc->maxphyaddr
							   : 52);
			quiet_stop(saved);
			bool ok = err == mc->err;
			if (!err) {
				uint64_t low = 0;
				for (unsigned int i = 0; i < map.nr_low; i++)
					low += (map.low[i].end -
						map.low[i].start) >>
					       12;
				ok = ok && map.nr_usable == mc->nr_r &&
				     map.nr_dropped == mc->dropped &&
				     low == mc->low_pages;
				for (unsigned int i = 0; ok && i < mc->nr_r;
				     i++)
					ok =
					    map.usable[i].start ==
						mc->r[i].start &&
					    map.usable[i].end == mc->r[i].end &&
					    map.usable[i].zone == mc->r[i].zone;
			}
			if (!ok) {
				ktest_fail(
				    t, __FILE__, __LINE__,
				    "case \"%s\", descriptor size %zu: err %d (want %d), %u ranges (want %u), %u dropped (want %u)",
				    mc->name, desc_sizes[s], err, mc->err,
				    map.nr_usable, mc->nr_r, map.nr_dropped,
				    mc->dropped);
				for (unsigned int i = 0; i < map.nr_usable; i++)
					ktest_diag(t,
						   "got [0x%llx, 0x%llx) zone %u",
						   (unsigned long long)map
						       .usable[i]
						       .start,
						   (unsigned long long)map
						       .usable[i]
						       .end,
						   map.usable[i].zone);
			}
		}
	}
}

static void test_totals_add_up(struct ktest *t)
{
	const struct map_case *mc = &cases[1];
	uint64_t size = build_raw(mc->d, mc->nr_d, 48);
	KTEST_ASSERT_TRUE(t, memmap_from_efi(&map, raw, size, 48, 1, 52) == 0);
	KTEST_EXPECT_EQ(t, map.zone_pages[DMA], 256);
	KTEST_EXPECT_EQ(t, map.zone_pages[DMA32], 512);
	KTEST_EXPECT_EQ(t, map.zone_pages[NORMAL], 0);
	KTEST_EXPECT_EQ(t, map.usable_pages, 768);
}

static void test_bad_descriptor_size(struct ktest *t)
{
	char log[256];
	int saved;
	uint64_t size = build_raw(cases[0].d, 1, 40);
	quiet_start(log, sizeof(log), &saved);
	int err = memmap_from_efi(&map, raw, size, 32, 1, 52);
	quiet_stop(saved);
	KTEST_EXPECT_EQ(t, err, MEMMAP_ERR_BAD_DESC_SIZE);
	KTEST_EXPECT_TRUE(t, log[0] != '\0');
}

static void test_too_many_entries(struct ktest *t)
{
	static struct desc many[MEMMAP_MAX_ENTRIES + 1];
	char log[512];
	int saved;
	for (unsigned int i = 0; i <= MEMMAP_MAX_ENTRIES; i++)
		many[i] = (struct desc){ 7, 1 * M + i * 2 * 4 * KiB, 1, WB };
	uint64_t size = build_raw(many, MEMMAP_MAX_ENTRIES + 1, 40);
	quiet_start(log, sizeof(log), &saved);
	int err = memmap_from_efi(&map, raw, size, 40, 1, 52);
	quiet_stop(saved);
	KTEST_EXPECT_EQ(t, err, MEMMAP_ERR_TOO_MANY);
	/* One fewer fits, and every one-page entry survives. */
	size = build_raw(many, MEMMAP_MAX_ENTRIES, 40);
	quiet_start(log, sizeof(log), &saved);
	err = memmap_from_efi(&map, raw, size, 40, 1, 52);
	quiet_stop(saved);
	KTEST_EXPECT_EQ(t, err, 0);
	KTEST_EXPECT_EQ(t, map.usable_pages, MEMMAP_MAX_ENTRIES);
}

static void test_partial_trailing_descriptor_ignored(struct ktest *t)
{
	char log[512];
	int saved;
	struct desc d[2] = { { 7, 1 * M, 16, WB }, { 7, 8 * M, 16, WB } };
	uint64_t size = build_raw(d, 2, 48);
	quiet_start(log, sizeof(log), &saved);
	int err = memmap_from_efi(&map, raw, size - 8, 48, 1, 52);
	quiet_stop(saved);
	KTEST_EXPECT_EQ(t, err, 0);
	KTEST_EXPECT_EQ(t, map.nr_usable, 1);
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "multiple"));
}

static void test_dropped_entry_is_named(struct ktest *t)
{
	char log[512];
	int saved;
	/* The zero-length entry still counts: the message uses the
	 * firmware's numbering, so the dropped one is entry 2. */
	struct desc d[3] = { { 7, 1 * M, 16, WB },
			     { 0, 2 * M, 0, UC },
			     { 7, 64 * G, 16, WB } };
	uint64_t size = build_raw(d, 3, 48);
	quiet_start(log, sizeof(log), &saved);
	int err = memmap_from_efi(&map, raw, size, 48, 1, 36);
	quiet_stop(saved);
	KTEST_EXPECT_EQ(t, err, 0);
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "dropping entry 2 "));
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "0x1000000000"));
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "MAXPHYADDR (36 bits)"));
}

static void test_persistent_memory_noted(struct ktest *t)
{
	char log[512];
	int saved;
	struct desc d[2] = { { 14, 4 * G, 16, WB }, { 7, 1 * M, 16, WB } };
	uint64_t size = build_raw(d, 2, 48);
	quiet_start(log, sizeof(log), &saved);
	int err = memmap_from_efi(&map, raw, size, 48, 1, 52);
	quiet_stop(saved);
	KTEST_EXPECT_EQ(t, err, 0);
	KTEST_EXPECT_TRUE(t,
			  ktest_contains(log, "persistent memory (type 14)"));
}

static void test_release_os_type(struct ktest *t)
{
	static struct memmap_range out[8];
	unsigned int n = 99;
	char log[512];
	int saved;
	struct desc d[4] = { { OS1, 2 * M, 16, WB },
			     { OS2, 3 * M, 16, WB },
			     { 7, 1 * M, 1024, WB },
			     { 0, 2 * M + 32 * KiB, 1, UC } };
	uint64_t size = build_raw(d, 4, 48);
	KTEST_ASSERT_TRUE(t, memmap_from_efi(&map, raw, size, 48, 1, 52) == 0);
	uint64_t before = map.usable_pages;
	KTEST_EXPECT_EQ(t, before, 1024 - 32);

	/* The potential set (for allocator metadata) has both OS ranges. */
	int np = memmap_potential_ranges(&map, out, 8);
	KTEST_EXPECT_EQ(t, np, 2);
	KTEST_EXPECT_EQ(t, out[0].end, 2 * M + 32 * KiB);
	KTEST_EXPECT_EQ(t, out[1].start, 2 * M + 36 * KiB);
	KTEST_EXPECT_EQ(t, map.usable_pages, before); /* nothing changed */

	KTEST_EXPECT_EQ(t, memmap_release_type(&map, OS1, out, 8, &n), 0);
	KTEST_EXPECT_EQ(t, n, 2); /* the firmware page inside stays reserved */
	KTEST_EXPECT_EQ(t, out[0].start, 2 * M);
	KTEST_EXPECT_EQ(t, out[0].end, 2 * M + 32 * KiB);
	KTEST_EXPECT_EQ(t, out[1].start, 2 * M + 36 * KiB);
	KTEST_EXPECT_EQ(t, out[1].end, 2 * M + 64 * KiB);
	KTEST_EXPECT_EQ(t, map.usable_pages, before + 15);

	KTEST_EXPECT_EQ(t, memmap_release_type(&map, OS1, out, 8, &n), 0);
	KTEST_EXPECT_EQ(t, n, 0); /* twice: nothing new */
	KTEST_EXPECT_EQ(t, memmap_release_type(&map, OS2, out, 8, &n), 0);
	KTEST_EXPECT_EQ(t, n, 1);
	KTEST_EXPECT_EQ(t, map.usable_pages, 1023); /* firmware page stays */
	KTEST_EXPECT_EQ(t, map.nr_usable, 2);

	quiet_start(log, sizeof(log), &saved);
	int err =
	    memmap_release_type(&map, EFI_RESERVED_MEMORY_TYPE, out, 8, &n);
	quiet_stop(saved);
	KTEST_EXPECT_EQ(t, err, MEMMAP_ERR_BAD_ARGS);
	KTEST_EXPECT_EQ(t, map.usable_pages, 1023); /* firmware page stays */
}

/* tests/fixtures/ovmf-q35-256m.map, embedded so target runs it too. */
static const struct desc ovmf_q35_256m[] = {
#include "tests/fixtures/ovmf-q35-256m.inc"
};

static void test_ovmf_q35_256m_fixture(struct ktest *t)
{
	unsigned int n = sizeof(ovmf_q35_256m) / sizeof(ovmf_q35_256m[0]);
	for (unsigned int s = 0; s < 4; s++) {
		uint64_t size = build_raw(ovmf_q35_256m, n, desc_sizes[s]);
		KTEST_ASSERT_TRUE(t,
				  memmap_from_efi(&map, raw, size,
						  desc_sizes[s], 1, 52) == 0);
		/* Totals computed independently from the policy. */
		KTEST_EXPECT_EQ(t, map.usable_pages, 63884);
		KTEST_EXPECT_EQ(t, map.zone_pages[DMA], 3591);
		KTEST_EXPECT_EQ(t, map.zone_pages[DMA32], 60293);
		KTEST_EXPECT_EQ(t, map.zone_pages[NORMAL], 0);
		KTEST_EXPECT_EQ(t, map.nr_entries, 118);
		for (unsigned int i = 1; i < map.nr_usable; i++)
			KTEST_EXPECT_LE(t, map.usable[i - 1].end,
					map.usable[i].start);
	}
}

static const struct ktest_case memmap_cases[] = {
	KTEST_CASE(test_policy_table),
	KTEST_CASE(test_totals_add_up),
	KTEST_CASE(test_bad_descriptor_size),
	KTEST_CASE(test_too_many_entries),
	KTEST_CASE(test_partial_trailing_descriptor_ignored),
	KTEST_CASE(test_dropped_entry_is_named),
	KTEST_CASE(test_persistent_memory_noted),
	KTEST_CASE(test_release_os_type),
	KTEST_CASE(test_ovmf_q35_256m_fixture),
	{ 0 },
};
KTEST_SUITE(mm_memmap, memmap_cases);
