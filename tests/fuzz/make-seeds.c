/*
 * Turns memory map fixtures (the .map files in tests/fixtures, the text format) into
 * seed inputs for fuzz_memmap: a 3-byte header (descriptor size 48, version
 * 1, MAXPHYADDR 52) and the raw 48-byte descriptors OVMF would write.
 * With --alloc, writes seeds for fuzz_alloc instead that reach its
 * compaction steps: a node filled with movable and unmovable pages, holes
 * freed in it, then compaction runs and contiguous runs
 * (tests/fuzz/fuzz_alloc.c decodes them; docs/07b, "Fuzzing the allocator").
 * Usage: make-seeds OUTDIR FILE.map...   make-seeds --alloc OUTDIR
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static unsigned char seed[8192];
static size_t len;

static void op(unsigned int code, unsigned int a, unsigned int b)
{
	seed[len++] = (unsigned char)code;
	seed[len++] = (unsigned char)a;
	seed[len++] = (unsigned char)b;
}

/* An allocation (ops 0-11): a % 8 == 0 gives order (a >> 3) % 11, b's
 * bit 6 __GFP_MOVABLE. A free of held block idx (ops 12-17). */
static void alloc(unsigned int order, int movable)
{
	op(len / 3 % 12, order << 3, movable ? 0x40 : 0);
}

static void free_held(unsigned int idx)
{
	op(12 + len / 3 % 6, idx & 0xff, idx >> 8);
}

/* Blocks are handed out from the top of the normal zone down, and its
 * last pageblock is cut short by the node's metadata page (compaction
 * leaves it alone). So: five order-8 blocks take the two pageblocks
 * below it, one block of each order 7..0 the rest of it, n single pages
 * go below them, one in `every` unmovable; then the order-8 blocks are
 * freed (held 4..0: a free moves the last held block into the freed
 * slot), and `holes` singles, spread out: movable pages in the bottom
 * pageblocks, free pageblocks above them for compaction to fill. */
static void fill(unsigned int n, unsigned int every, unsigned int holes)
{
	for (unsigned int i = 0; i < 5; i++)
		alloc(8, 1);
	for (unsigned int o = 8; o-- > 0;)
		alloc(o, 1);
	for (unsigned int i = 0; i < n; i++)
		alloc(0, i % every != every - 1);
	for (unsigned int i = 5; i-- > 0;)
		free_held(i);
	for (unsigned int i = 0; i < holes; i++)
		free_held(13 + i * 37 % (n - i));
}

/* Compaction ops: op 29, a & 0xc0 == 0xc0, a % 8 the step
 * (tests/fuzz/fuzz_alloc_compact.h). */
static void compact(unsigned int a, unsigned int b)
{
	op(29, 0xc0 | a, b);
}

static int write_seed(const char *dir, const char *name)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *out = fopen(path, "wb");
	if (!out || fwrite(seed, 1, len, out) != len || fclose(out)) {
		perror(path);
		return 2;
	}
	len = 0;
	return 0;
}

static int alloc_seeds(const char *dir)
{
	int bad = 0;
	/* 1: every compaction run over the normal zone (b & 3 == 2): async
	 * and sync full over the whole zone (b & 4), sync light for order 9
	 * ((b >> 3) % 11), then the node, then sync light with a busy page. */
	op(0, 0, 0); /* header: no lists, no pool, no injection */
	fill(300, 8, 150);
	compact(0, 2 | 4);
	compact(1, 2 | 9 << 3);
	compact(2, 2 | 4);
	compact(3, 0);
	for (unsigned int i = 0; i < 50; i++)
		alloc(0, 1);
	compact(8 | 1, 2 | 4); /* with a busy block */
	bad |= write_seed(dir, "compact-zones");
	/* 2: contiguous runs of 1 and 4 pageblocks and one for DMA32, the
	 * refused requests, and a free of a run; per-CPU lists on. */
	op(1, 0, 0);
	fill(300, 1000, 150);
	compact(4 | 1 << 4, 0);
	compact(5 | 3 << 4, 0x7f);
	compact(4, 0x80);
	compact(6, 0);
	compact(6, 1);
	compact(6, 2);
	compact(7, 0);
	compact(4 | 1 << 4, 0x10);
	for (unsigned int i = 0; i < 50; i++)
		alloc(0, 1);
	compact(4 | 1 << 4, 0x10);
	bad |= write_seed(dir, "contig-runs");
	return bad;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--alloc"))
		return alloc_seeds(argv[2]);
	for (int f = 2; f < argc; f++) {
		FILE *in = fopen(argv[f], "r");
		if (!in) {
			perror(argv[f]);
			return 2;
		}
		const char *base = strrchr(argv[f], '/');
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s.bin", argv[1],
			 base ? base + 1 : argv[f]);
		FILE *out = fopen(path, "wb");
		if (!out) {
			perror(path);
			return 2;
		}
		/* data[0] % 8 == 1 -> 48 bytes; data[2] % 17 == 16 -> 52 bits */
		const unsigned char header[3] = { 1, 1, 16 };
		fwrite(header, 1, 3, out);
		char line[512];
		while (fgets(line, sizeof(line), in)) {
			unsigned long long type, start, pages, attr;
			if (line[0] == '#' ||
			    sscanf(line, "%llu %llx %llx %llx", &type, &start,
				   &pages, &attr) != 4)
				continue;
			uint8_t d[48] = { 0 };
			uint32_t t = (uint32_t)type;
			memcpy(d, &t, 4);
			memcpy(d + 8, &start, 8);
			memcpy(d + 24, &pages, 8);
			memcpy(d + 32, &attr, 8);
			fwrite(d, 1, sizeof(d), out);
		}
		fclose(in);
		fclose(out);
	}
	return 0;
}
