/*
 * Host side of tests/support/test_arena.h: an anonymous mapping plays RAM. Its made-up
 * physical address is 1 GiB, aligned like real RAM would be; nothing else on
 * the host cares, because each test node has its own direct-map offset.
 * docs/03-buddy-and-gfp.md ("Tests").
 */
#include "tests/support/test_arena.h"

#include <sys/mman.h>

#define ARENA_PHYS_BASE 0x40000000ULL

void *mm_test_arena(size_t bytes, uint64_t *phys_base)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	*phys_base = ARENA_PHYS_BASE;
	return p;
}

void mm_test_arena_free(void *arena, size_t bytes)
{
	if (arena)
		munmap(arena, bytes);
}
