/*
 * The zone locks under real concurrency: two host threads allocate and free
 * at random on one shared node (three zones in 12 MiB), each stamping its
 * blocks and checking the stamps before freeing, so a block handed out twice
 * or a list corrupted by a race shows up. Host only (pthreads). Every lock
 * and counter the allocator uses is exercised; mm_check() must be clean and
 * every page back at the end. docs/03-buddy-and-gfp.md ("Interrupt safety").
 */
#include "tests/ktest.h"

#include <pthread.h>

#include "tests/support/test_arena.h"

/* No more threads than a small CI box has CPUs: a ticket lock whose next
 * holder is descheduled stalls everyone (in the kernel, CPUs are real). */
#define THREADS 2
#define STEPS 20000
#define SLOTS 64

static struct mm_test_node tn;
static unsigned long errors[THREADS];

static void *worker(void *arg)
{
	unsigned long id = (unsigned long)arg;
	uint64_t rng = 0x9e3779b97f4a7c15ULL * (id + 1);
	struct {
		uint64_t phys;
		unsigned int order;
	} mine[SLOTS] = { { 0, 0 } };
	static const gfp_t kinds[] = { GFP_KERNEL, GFP_ATOMIC, GFP_NOWAIT,
				       GFP_KERNEL | __GFP_DMA32,
				       GFP_ATOMIC | __GFP_DMA };

	for (int s = 0; s < STEPS; s++) {
		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		unsigned int k = rng % SLOTS;
		if (mine[k].phys) {
			uint64_t *v =
			    pgdat_phys_to_virt(&tn.pgdat, mine[k].phys);
			if (*v != (mine[k].phys ^ id))
				errors[id]++; /* someone else got our block */
			if (pgdat_free_pages(&tn.pgdat, mine[k].phys,
					     mine[k].order))
				errors[id]++;
			mine[k].phys = 0;
		} else {
			unsigned int order = (rng >> 8) % 6;
			gfp_t gfp = kinds[(rng >> 16) % 5] | __GFP_NOWARN;
			uint64_t phys =
			    pgdat_alloc_pages(&tn.pgdat, gfp, order);
			if (phys) {
				*(uint64_t *)pgdat_phys_to_virt(&tn.pgdat,
								phys) =
				    phys ^ id;
				mine[k].phys = phys;
				mine[k].order = order;
			}
		}
	}
	for (int k = 0; k < SLOTS; k++)
		if (mine[k].phys &&
		    pgdat_free_pages(&tn.pgdat, mine[k].phys, mine[k].order))
			errors[id]++;
	return NULL;
}

static void test_threads_share_a_node(struct ktest *t)
{
	static uint64_t snap[MAX_NR_ZONES][NR_PAGE_ORDERS];
	pthread_t th[THREADS];
	/* Real watermarks: the reserve and highatomic paths race too. */
	KTEST_ASSERT_TRUE(t, mm_test_node_init(&tn, 12UL << 20, 2UL << 20,
					       4UL << 20, false) == 0);
	mm_test_snapshot(&tn.pgdat, snap);
	for (unsigned long i = 0; i < THREADS; i++) {
		errors[i] = 0;
		KTEST_ASSERT_TRUE(t, pthread_create(&th[i], NULL, worker,
						    (void *)i) == 0);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < THREADS; i++)
		KTEST_EXPECT_EQ(t, errors[i], 0);
	KTEST_EXPECT_EQ(t, tn.pgdat.bad_frees, 0);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	KTEST_EXPECT_EQ(t, mm_test_free_pages(&tn.pgdat), 3071);
	/* Highatomic pageblocks may remain reserved (they are given back only
	 * under pressure), so compare orders only when none is. */
	uint64_t reserved = 0;
	for (int z = 0; z < MAX_NR_ZONES; z++)
		reserved += tn.pgdat.node_zones[z].nr_reserved_highatomic;
	if (!reserved)
		KTEST_EXPECT_TRUE(t, mm_test_snapshot_equal(&tn.pgdat, snap));
	ktest_diag(t,
		   "%d threads x %d steps, %llu pages left in highatomic pageblocks",
		   THREADS, STEPS, (unsigned long long)reserved);
	mm_test_node_destroy(&tn);
}

static const struct ktest_case threads_cases[] = {
	KTEST_CASE(test_threads_share_a_node),
	{ 0 },
};
KTEST_SUITE_WHERE(mm_threads, threads_cases, KTEST_HOST_ONLY);
