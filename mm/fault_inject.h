/*
 * Fault injection for the page allocator, in the spirit of Linux's
 * fail_page_alloc (Documentation/fault-injection/fault-injection.rst): make
 * alloc_pages() fail on purpose, now and then, so that callers' failure
 * paths run in tests instead of for the first time on a customer's machine.
 * docs/07-debugging-the-allocator.md explains the knobs.
 *
 * An eligible request is one that is not __GFP_NOFAIL (never), has order >=
 * min_order (default 1), does not sleep (unless ignore_gfp_reclaim is
 * cleared) and is made on `node` (NULL: any node). Every interval-th eligible
 * request is a candidate; a candidate fails with `probability` percent; at
 * most `times` failures are injected (-1: no limit).
 */
#ifndef LABYRINTH_MM_FAULT_INJECT_H
#define LABYRINTH_MM_FAULT_INJECT_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/gfp.h"
#include "mm/mmzone.h"

struct fault_attr {
	bool enabled;
	unsigned long interval;	  /* 1: every eligible request */
	unsigned int probability; /* percent, 0..100 */
	long times;		  /* failures left; -1: unlimited */
	unsigned int min_order;	  /* Linux's min-order (default 1) */
	bool ignore_gfp_reclaim;  /* Linux's ignore-gfp-wait (default on) */
	const struct pglist_data *node; /* only this node; NULL: all */
	uint64_t seed;			/* for the probability draws */

	/* Counters (atomic; read them with __atomic_load_n or after). */
	uint64_t eligible; /* eligible requests seen */
	uint64_t injected; /* failures injected */
	uint64_t draws;	   /* random numbers drawn */
	struct ratelimit_state rs;
};

/* The one instance, like Linux's fail_page_alloc.attr. */
extern struct fault_attr fail_page_alloc;

/* Sets the attribute from "<interval>,<probability>,<times>" (the cmdline
 * value, as Linux's setup_fault_attr) and enables it with the defaults
 * above for the rest. Returns 0, or -1 if the text is malformed (nothing
 * changed). */
int fail_page_alloc_setup(const char *text, const struct pglist_data *node);

/* Turns fail_page_alloc on or off (never write .enabled directly: the
 * allocator's fast paths test one count of the debug options that are on,
 * mm/internal.h). */
void fail_page_alloc_enable(bool on);
/* Puts back settings a test saved (a copy of fail_page_alloc), on or off
 * as they were. */
void fail_page_alloc_restore(const struct fault_attr *saved);

/* Resets *attr to the defaults, disabled (interval 1, probability 100,
 * times -1, min_order 1, ignore_gfp_reclaim on), counters zeroed. */
void fault_attr_init(struct fault_attr *attr);

/* Gives fail_page_alloc its defaults if it has never been set up, so that
 * knobs (min_order, ignore_gfp_reclaim) may be set before or after. */
void fail_page_alloc_defaults(void);

bool __should_fail_alloc_page(struct pglist_data *p, gfp_t gfp,
			      unsigned int order);

/* The allocator's hook: true means "fail this request now". */
static inline bool should_fail_alloc_page(struct pglist_data *p, gfp_t gfp,
					  unsigned int order)
{
	if (!__atomic_load_n(&fail_page_alloc.enabled, __ATOMIC_RELAXED))
		return false;
	return __should_fail_alloc_page(p, gfp, order);
}

#endif
