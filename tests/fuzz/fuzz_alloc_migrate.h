/*
 * Migration steps for tests/fuzz/fuzz_alloc.c: the fuzzer owns its
 * __GFP_MOVABLE blocks through a movable owner (mm/migrate.h), and a step
 * isolates some held blocks and moves them, checked against the model.
 * docs/07b-soak-stress-and-fuzzing.md ("Fuzzing the allocator").
 */
#ifndef LABYRINTH_TESTS_FUZZ_FUZZ_ALLOC_MIGRATE_H
#define LABYRINTH_TESTS_FUZZ_FUZZ_ALLOC_MIGRATE_H

/* Registers the fuzzer's owner on the model's node (after fz_reset). */
void fz_migrate_setup(void);
/* Unregisters it (before the node is built again). */
void fz_migrate_teardown(void);
/* One step: up to 8 held blocks from a position b picks; a's bits say
 * whether the first one is busy and whether new frames can be had. */
void fz_migrate(unsigned int a, unsigned int b);

/* What the owner has seen since its node was built, from any migration
 * (a step of its own, compaction, alloc_contig_pages, direct compaction):
 * pages it isolated, moved (the model's record repointed) and got back. */
struct fz_owner_counts {
	uint64_t isolated, moved, put_back;
};
void fz_owner_counts(struct fz_owner_counts *c);
/* Makes the held block at pfn busy (its moves fail) until the next call;
 * 0: none. */
void fz_owner_busy(uint64_t pfn);

#endif
