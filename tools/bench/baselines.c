/*
 * The benchmark's baselines: an xv6-style free list and a next-fit bitmap
 * frame allocator (see baselines.h). Deliberately plain, but not slow on
 * purpose: the bitmap scans a 64-bit word at a time and uses ctz, which is
 * what a careful hobby kernel does. docs/08-measuring.md.
 */
#include "tools/bench/baselines.h"

#include <string.h>

#define FRAME 4096ULL

void freelist_init(struct freelist *fl, void *mem, uint64_t bytes)
{
	spin_lock_init(&fl->lock);
	fl->head = NULL;
	fl->nfree = 0;
	/* xv6's freerange: low addresses pushed first, so they come out last */
	for (uint64_t off = 0; off + FRAME <= bytes; off += FRAME)
		freelist_free_nolock(fl, (char *)mem + off);
}

void *freelist_alloc_nolock(struct freelist *fl)
{
	struct run *r = fl->head;
	if (r) {
		fl->head = r->next;
		fl->nfree--;
	}
	return r;
}

void freelist_free_nolock(struct freelist *fl, void *page)
{
	struct run *r = page;
	r->next = fl->head;
	fl->head = r;
	fl->nfree++;
}

void *freelist_alloc(struct freelist *fl)
{
	unsigned long flags;
	spin_lock_irqsave(&fl->lock, flags);
	void *r = freelist_alloc_nolock(fl);
	spin_unlock_irqrestore(&fl->lock, flags);
	return r;
}

void freelist_free(struct freelist *fl, void *page)
{
	unsigned long flags;
	spin_lock_irqsave(&fl->lock, flags);
	freelist_free_nolock(fl, page);
	spin_unlock_irqrestore(&fl->lock, flags);
}

void bitmap_init(struct bitmap_alloc *b, void *mem, uint64_t phys,
		 uint64_t bytes)
{
	uint64_t frames = bytes / FRAME;
	spin_lock_init(&b->lock);
	b->bits = mem;
	b->phys = phys;
	b->nwords = (frames + 63) / 64;
	b->cursor = 0;
	memset(b->bits, 0, b->nwords * 8);
	/* the bitmap's own frames, and the tail of the last word, are used */
	uint64_t own = (b->nwords * 8 + FRAME - 1) / FRAME;
	for (uint64_t f = 0; f < own; f++)
		b->bits[f / 64] |= 1ULL << (f % 64);
	for (uint64_t f = frames; f < b->nwords * 64; f++)
		b->bits[f / 64] |= 1ULL << (f % 64);
	b->nfree = frames - own;
}

/* First clear run of n = 2^order bits at a multiple of n inside word w, or
 * -1. For order 0 that is just the lowest clear bit. */
static inline int fit_in_word(uint64_t w, unsigned int order)
{
	if (order == 0)
		return __builtin_ctzll(~w);
	unsigned int n = 1U << order;
	uint64_t mask = n == 64 ? ~0ULL : (1ULL << n) - 1;
	for (unsigned int pos = 0; pos < 64; pos += n)
		if (!(w & (mask << pos)))
			return (int)pos;
	return -1;
}

uint64_t bitmap_alloc(struct bitmap_alloc *b, unsigned int order)
{
	unsigned long flags;
	uint64_t phys = 0;
	if (order > BITMAP_MAX_ORDER)
		return 0;
	spin_lock_irqsave(&b->lock, flags);
	if (b->nfree >= 1ULL << order) {
		uint64_t w = b->cursor;
		for (uint64_t i = 0; i < b->nwords; i++, w++) {
			if (w == b->nwords)
				w = 0;
			if (b->bits[w] == ~0ULL)
				continue;
			int pos = fit_in_word(b->bits[w], order);
			if (pos < 0)
				continue;
			uint64_t n = 1ULL << order;
			b->bits[w] |= (n == 64 ? ~0ULL : (1ULL << n) - 1)
				      << pos;
			b->nfree -= n;
			b->cursor = w; /* next fit: start here next time */
			phys = b->phys + (w * 64 + (uint64_t)pos) * FRAME;
			break;
		}
	}
	spin_unlock_irqrestore(&b->lock, flags);
	return phys;
}

int bitmap_free(struct bitmap_alloc *b, uint64_t phys, unsigned int order)
{
	unsigned long flags;
	uint64_t f = (phys - b->phys) / FRAME, n = 1ULL << order;
	uint64_t mask = (n == 64 ? ~0ULL : (1ULL << n) - 1) << (f % 64);
	int ret = -1;
	if (order > BITMAP_MAX_ORDER || (f & (n - 1)) || f / 64 >= b->nwords)
		return -1;
	spin_lock_irqsave(&b->lock, flags);
	if ((b->bits[f / 64] & mask) == mask) {
		b->bits[f / 64] &= ~mask;
		b->nfree += n;
		ret = 0;
	}
	spin_unlock_irqrestore(&b->lock, flags);
	return ret;
}
