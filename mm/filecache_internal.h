/*
 * What mm/filecache.c shares with mm/filecache_migrate.c and nobody else:
 * the header every cached page starts with, the content formula, and the
 * hash lookups. docs/06-sleeping-allocations-and-reclaim.md ("A cache to
 * reclaim"); migration: docs/10-fragmentation-and-compaction.md
 * ("Migration").
 */
#ifndef LABYRINTH_MM_FILECACHE_INTERNAL_H
#define LABYRINTH_MM_FILECACHE_INTERNAL_H

#include "mm/filecache.h"

struct filecache_page {
	struct list_head lru;
	struct filecache_page *hash_next;
	uint64_t file, index;
	uint64_t magic; /* page_seed() ^ FILECACHE_MAGIC: a bad header shows */
};

#define HDR_WORDS (sizeof(struct filecache_page) / sizeof(uint64_t))
#define PAGE_WORDS (PAGE_SIZE / sizeof(uint64_t))
#define FILECACHE_MAGIC 0x46494c4543414348ULL /* "FILECACH" */
#define GOLDEN 0x9e3779b97f4a7c15ULL

/* An isolated page (being migrated) is off the LRU, its links pointing at
 * itself, which no page on the list ever has. */
static inline bool isolated(const struct filecache_page *p)
{
	return p->lru.next == &p->lru;
}

/* splitmix64's finaliser: a bijection that scatters every input bit. */
static inline uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint64_t page_seed(uint64_t file, uint64_t index)
{
	return mix64(mix64(file + GOLDEN) ^ index);
}

/* Word i of a page: a splitmix64 stream, so any word can be computed
 * (and checked) on its own. */
static inline uint64_t page_word(uint64_t seed, unsigned long i)
{
	return mix64(seed + (i + 1) * GOLDEN);
}

static inline struct filecache_page **bucket(struct filecache *c, uint64_t seed)
{
	return &c->hash[seed >> (64 - c->hash_bits)];
}

static inline struct filecache_page *lookup(struct filecache *c, uint64_t file,
					    uint64_t index, uint64_t seed)
{
	struct filecache_page *p;
	for (p = *bucket(c, seed); p; p = p->hash_next)
		if (p->file == file && p->index == index)
			return p;
	return NULL;
}

/* Compares the page's data with what it should be, copying the data to buf
 * (if not NULL) on the way. Returns the first wrong word, or -1. Lock held:
 * the page cannot be freed meanwhile. */
long filecache_verify_copy(const struct filecache_page *p, uint64_t seed,
			   uint64_t *buf);

/* The cache's movable_operations (mm/filecache_migrate.c). */
extern const struct movable_operations filecache_movable_ops;

#endif
