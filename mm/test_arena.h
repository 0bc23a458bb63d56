/*
 * Memory for allocator tests: a physically contiguous, direct-mapped piece
 * of RAM that a test builds its own small node (struct pglist_data) over, so
 * the same suites run on the host and inside the kernel without touching the
 * kernel's own allocator. The host implements it in mm/test_arena_host.c
 * (anonymous memory playing RAM at a made-up physical address); the kernel
 * implements it with real frames. docs/03-buddy-and-gfp.md ("Tests").
 */
#ifndef LABYRINTH_MM_TEST_ARENA_H
#define LABYRINTH_MM_TEST_ARENA_H

#include <stddef.h>
#include <stdint.h>

/*
 * Returns the virtual address of `bytes` (a multiple of 4 MiB) of writable
 * memory whose physical address *phys_base is aligned to 4 MiB, or NULL if
 * none is available (the test then skips). The memory's contents are
 * undefined. virtual = physical + ((uintptr_t)result - *phys_base).
 */
void *mm_test_arena(size_t bytes, uint64_t *phys_base);

/* Gives an arena back (same bytes as asked for). */
void mm_test_arena_free(void *arena, size_t bytes);

#endif
