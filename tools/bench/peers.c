/*
 * The two peer buddy allocators of peers.h, for `make bench` only.
 * docs/08-measuring.md ("Against the peers").
 */
#include "tools/bench/peers.h"

static struct peer_block *block_at(struct peer_buddy *b, uint64_t page)
{
	return (struct peer_block *)(b->base + (page << 12));
}

static void list_push(struct peer_block *head, struct peer_block *e)
{
	e->next = head->next;
	e->prev = head;
	head->next->prev = e;
	head->next = e;
}

static void list_unlink(struct peer_block *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
}

static bool bit_test(const uint64_t *bits, uint64_t i)
{
	return bits[i >> 6] >> (i & 63) & 1;
}

static void bit_set(uint64_t *bits, uint64_t i)
{
	bits[i >> 6] |= 1ULL << (i & 63);
}

static void bit_clear(uint64_t *bits, uint64_t i)
{
	bits[i >> 6] &= ~(1ULL << (i & 63));
}

/* bbuddy: marks pages [first, first + n) in use or free, a word at a time
 * where it can. */
static void mark_pages(uint64_t *bits, uint64_t first, uint64_t n, bool used)
{
	while (n && (first & 63)) {
		used ? bit_set(bits, first) : bit_clear(bits, first);
		first++, n--;
	}
	for (; n >= 64; first += 64, n -= 64)
		bits[first >> 6] = used ? ~0ULL : 0;
	while (n--) {
		used ? bit_set(bits, first) : bit_clear(bits, first);
		first++;
	}
}

/* Puts the free block at page on its list; tagbuddy tags its head. */
static void put_free(struct peer_buddy *b, uint64_t page, unsigned int order)
{
	struct peer_block *e = block_at(b, page);
	e->order = order;
	list_push(&b->free_list[order], e);
	if (!b->per_page)
		bit_set(b->bits, page);
}

void peer_init(struct peer_buddy *b, bool per_page, void *base, uint64_t bytes,
	       uint64_t *bits)
{
	b->base = base;
	b->pages = (bytes >> 12) & ~((1ULL << PEER_MAX_ORDER) - 1);
	b->bits = bits;
	b->per_page = per_page;
	for (int o = 0; o <= PEER_MAX_ORDER; o++)
		b->free_list[o].next = b->free_list[o].prev = &b->free_list[o];
	for (uint64_t p = 0; p < b->pages; p += 1ULL << PEER_MAX_ORDER)
		put_free(b, p, PEER_MAX_ORDER);
}

int64_t peer_alloc(struct peer_buddy *b, unsigned int order)
{
	unsigned int o = order;
	while (o <= PEER_MAX_ORDER && b->free_list[o].next == &b->free_list[o])
		o++;
	if (o > PEER_MAX_ORDER)
		return -1;
	struct peer_block *e = b->free_list[o].next;
	list_unlink(e);
	uint64_t page = (uint64_t)((char *)e - b->base) >> 12;
	while (o > order) { /* split: the upper halves go back */
		o--;
		put_free(b, page + (1ULL << o), o);
	}
	if (b->per_page)
		mark_pages(b->bits, page, 1ULL << order, true);
	else
		bit_clear(b->bits, page);
	return (int64_t)page;
}

void peer_free(struct peer_buddy *b, uint64_t page, unsigned int order)
{
	if (b->per_page)
		mark_pages(b->bits, page, 1ULL << order, false);
	while (order < PEER_MAX_ORDER) {
		uint64_t buddy = page ^ (1ULL << order);
		/* A free page at an aligned buddy is the head of a free block
		 * of that order or less, so its header can be trusted. */
		bool free = b->per_page ? !bit_test(b->bits, buddy)
					: bit_test(b->bits, buddy);
		if (!free || block_at(b, buddy)->order != order)
			break;
		list_unlink(block_at(b, buddy));
		if (!b->per_page)
			bit_clear(b->bits, buddy);
		page &= ~(1ULL << order);
		order++;
	}
	put_free(b, page, order);
}
