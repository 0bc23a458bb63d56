/*
 * The kernel's side of mm/test_arena.h: the allocator suites build their own
 * small nodes over real frames taken from the kernel's allocator, so the
 * same tests that run on the host run on target RAM. An arena is a run of
 * physically contiguous 4 MiB blocks (MAX_ORDER), found by allocating blocks
 * until enough of them sit side by side, then returning the rest.
 */
#include "mm/test_arena.h"
#include "mm/page_alloc.h"

#define BLOCK_BYTES (PAGE_SIZE << MAX_ORDER)
#define MAX_TRIES 64

void *mm_test_arena(size_t bytes, uint64_t *phys_base)
{
	uint64_t blocks[MAX_TRIES];
	size_t want = (bytes + BLOCK_BYTES - 1) / BLOCK_BYTES;
	int n = 0, found = -1;

	while (found < 0 && n < MAX_TRIES) {
		uint64_t b = alloc_pages(GFP_KERNEL | __GFP_NOWARN, MAX_ORDER);
		if (!b)
			break;
		/* Insertion sort; then look for `want` neighbours. */
		int i = n++;
		while (i > 0 && blocks[i - 1] > b) {
			blocks[i] = blocks[i - 1];
			i--;
		}
		blocks[i] = b;
		for (int s = 0; s + (int)want <= n; s++)
			if (blocks[s + want - 1] - blocks[s] ==
			    (want - 1) * BLOCK_BYTES) {
				found = s;
				break;
			}
	}
	for (int i = 0; i < n; i++)
		if (found < 0 || i < found || i >= found + (int)want)
			__free_pages(blocks[i], MAX_ORDER);
	if (found < 0)
		return NULL;
	*phys_base = blocks[found];
	return phys_to_virt(blocks[found]);
}

void mm_test_arena_free(void *arena, size_t bytes)
{
	if (!arena)
		return;
	for (size_t off = 0; off < bytes; off += BLOCK_BYTES)
		__free_pages(virt_to_phys(arena) + off, MAX_ORDER);
}
