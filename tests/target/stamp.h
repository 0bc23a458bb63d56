/*
 * Stamping pages: every 4 KiB page of a block handed out by a test gets its
 * own physical address, a tag (CPU, context, sequence number) and the tag's
 * complement, and is checked before it is freed. A page handed out twice,
 * or written by anyone else while held, breaks its stamp.
 */
#ifndef LABYRINTH_TESTS_TARGET_STAMP_H
#define LABYRINTH_TESTS_TARGET_STAMP_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/page_alloc.h"

static inline void stamp_block(uint64_t phys, unsigned int order, uint64_t tag)
{
	for (uint64_t i = 0; i < (1ULL << order); i++) {
		uint64_t *w = phys_to_virt(phys + i * PAGE_SIZE);
		w[0] = phys + i * PAGE_SIZE;
		w[1] = tag;
		w[511] = ~tag;
	}
}

static inline bool stamp_block_ok(uint64_t phys, unsigned int order,
				  uint64_t tag)
{
	for (uint64_t i = 0; i < (1ULL << order); i++) {
		const uint64_t *w = phys_to_virt(phys + i * PAGE_SIZE);
		if (w[0] != phys + i * PAGE_SIZE || w[1] != tag ||
		    w[511] != ~tag)
			return false;
	}
	return true;
}

#endif
