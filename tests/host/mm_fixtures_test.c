/*
 * The real OVMF memory maps in tests/fixtures/ (and one synthetic map with
 * 64 GiB around a 1 TiB hole): their totals under the policy, and the whole
 * allocator booted over host memory shaped like each of them, drained and
 * refilled without losing a page. Host only: it reads files and maps
 * gigabytes of address space. docs/02-memory-map.md ("Trying it").
 */
#include "tests/ktest.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/host/ktest_host.h"
#include "tests/support/simulate_host.h"

/* Expected totals, computed separately (a few lines of Python over the same
 * files, one page at a time) from the policy in issue 3. */
static const struct fixture {
	const char *file;
	uint64_t usable, dma, dma32, normal;
} fixtures[] = {
	{ "ovmf-q35-64m.map", 14732, 3591, 11141, 0 },
	{ "ovmf-q35-256m.map", 63884, 3591, 60293, 0 },
	{ "ovmf-pc-512m.map", 129420, 3591, 125829, 0 },
	{ "ovmf-q35-3g.map", 784780, 3591, 519045, 262144 },
	{ "ovmf-q35-8g.map", 2095500, 3591, 519045, 1572864 },
	{ "synthetic-64g-holes.map", 17039104, 3840, 520192, 16515072 },
};

static struct memmap map;

/* The fixtures folder is found from the binary's place, not the current
 * directory (or given with ktest-host --fixtures DIR): tests/host/ktest_host.c.
 * Returns -1, after failing the case with the paths tried, if there is none. */
static int fixture_path(struct ktest *t, char *buf, size_t n, const char *file)
{
	char dir[PATH_MAX], err[2 * PATH_MAX + 256];
	if (ktest_host_fixtures_dir(dir, sizeof(dir), err, sizeof(err))) {
		ktest_fail(t, __FILE__, __LINE__, "%s", err);
		return -1;
	}
	snprintf(buf, n, "%s/%s", dir, file);
	return 0;
}

static void test_fixture_totals(struct ktest *t)
{
	char path[PATH_MAX + 64], err[PATH_MAX + 256];
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		const struct fixture *f = &fixtures[i];
		if (fixture_path(t, path, sizeof(path), f->file))
			return;
		int r = mm_read_map_file(path, &map, 52, err, sizeof(err));
		if (r) {
			ktest_fail(t, __FILE__, __LINE__, "%s", err);
			continue;
		}
		KTEST_EXPECT_EQ(t, map.usable_pages, f->usable);
		KTEST_EXPECT_EQ(t, map.zone_pages[MEMMAP_ZONE_DMA], f->dma);
		KTEST_EXPECT_EQ(t, map.zone_pages[MEMMAP_ZONE_DMA32], f->dma32);
		KTEST_EXPECT_EQ(t, map.zone_pages[MEMMAP_ZONE_NORMAL],
				f->normal);
		KTEST_EXPECT_EQ(t, map.nr_dropped, 0);
	}
}

static void test_fixture_simulation(struct ktest *t)
{
	char path[PATH_MAX + 64], err[PATH_MAX + 256];
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		struct mm_sim_result r;
		if (fixture_path(t, path, sizeof(path), fixtures[i].file))
			return;
		if (mm_read_map_file(path, &map, 52, err, sizeof(err))) {
			ktest_fail(t, __FILE__, __LINE__, "%s", err);
			continue;
		}
		KTEST_EXPECT_EQ(t, mm_simulate(&map, &r, false), 0);
		KTEST_EXPECT_EQ(t, r.problems, 0);
		KTEST_EXPECT_EQ(t, r.allocated_pages + r.metadata_pages,
				fixtures[i].usable);
		/* Metadata: one byte per frame plus the section table, well
		 * under 0.05% of RAM. */
		KTEST_EXPECT_LE(t, r.metadata_pages * 2000, fixtures[i].usable);
		ktest_diag(
		    t,
		    "%s: %llu pages allocated, %llu metadata, %u sections, init %.2f ms",
		    fixtures[i].file, (unsigned long long)r.allocated_pages,
		    (unsigned long long)r.metadata_pages, r.sections,
		    r.init_ms);
	}
}

static void test_bad_line_is_named(struct ktest *t)
{
	static const char *const bad[] = {
		"7 0x100000 0x100 0xf\n# comment\n7 0x200000 zz 0xf\n",
		"7 0x100000 0x100 0xf\n\n\n7 0x200000 0x10\n",
		"7 0x100000 0x100 0xf 0x1\n",
		"-7 0x100000 0x100 0xf\n",
		"0x100000000 0x100000 0x100 0xf\n",
	};
	static const int line[] = { 3, 4, 1, 1, 1 };
	char path[] = "/tmp/labyrinth-map-XXXXXX", err[256];
	for (int i = 0; i < 5; i++) {
		int fd = mkstemp(path);
		KTEST_ASSERT_TRUE(t, fd >= 0);
		KTEST_ASSERT_TRUE(t, write(fd, bad[i], strlen(bad[i])) ==
					 (ssize_t)strlen(bad[i]));
		close(fd);
		int r = mm_read_map_file(path, &map, 52, err, sizeof(err));
		unlink(path);
		strcpy(path, "/tmp/labyrinth-map-XXXXXX");
		KTEST_EXPECT_EQ(t, r, line[i]);
		char where[32];
		snprintf(where, sizeof(where), ":%d: bad line", line[i]);
		KTEST_EXPECT_TRUE(t, strstr(err, where) != NULL);
	}
	KTEST_EXPECT_EQ(t,
			mm_read_map_file("/nonexistent.map", &map, 52, err,
					 sizeof(err)),
			-1);
}

static const struct ktest_case fixture_cases[] = {
	KTEST_CASE(test_fixture_totals),
	KTEST_CASE(test_fixture_simulation),
	KTEST_CASE(test_bad_line_is_named),
	{ 0 },
};
KTEST_SUITE_WHERE(mm_fixtures, fixture_cases, KTEST_HOST_ONLY);
