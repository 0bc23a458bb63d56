/*
 * fail_page_alloc: deliberate allocation failures (Linux's
 * mm/fail_page_alloc.c and lib/fault-inject.c, reduced to what the page
 * allocator needs). Lock-free, so interrupt handlers may be failed too: the
 * counters are atomic and the random numbers come from an atomic counter
 * run through splitmix64. docs/07-debugging-the-allocator.md.
 */
#include "mm/fault_inject.h"

#include "mm/internal.h"

#include "kernel/lib/printk.h"

struct fault_attr fail_page_alloc;

/* Counted before it goes on and after it goes off: the count never
 * misses it (mm_debug_hooks, mm/internal.h). */
void fail_page_alloc_enable(bool on)
{
	if (on)
		mm_debug_hooks_add(1);
	if (__atomic_exchange_n(&fail_page_alloc.enabled, on, __ATOMIC_SEQ_CST))
		mm_debug_hooks_add(-1);
}

void fail_page_alloc_restore(const struct fault_attr *saved)
{
	struct fault_attr off = *saved;
	off.enabled = false; /* never on and uncounted, even for a moment */
	fail_page_alloc_enable(false);
	fail_page_alloc = off;
	fail_page_alloc_enable(saved->enabled);
}

void fault_attr_init(struct fault_attr *attr)
{
	if (attr == &fail_page_alloc) /* its count goes with it */
		fail_page_alloc_enable(false);
	memset(attr, 0, sizeof(*attr));
	attr->interval = 1;
	attr->probability = 100;
	attr->times = -1;
	attr->min_order = 1;
	attr->ignore_gfp_reclaim = true;
	attr->seed = 0x6c616279726e7468ULL; /* "labyrnth": runs repeat */
	attr->rs.interval_ms = 5000;
	spin_lock_init(&attr->rs.lock);
}

void fail_page_alloc_defaults(void)
{
	if (!fail_page_alloc.interval)
		fault_attr_init(&fail_page_alloc);
}

/* Parses a decimal number, or "-1" when allow_minus_one; advances *s. */
static int parse_long(const char **s, long *out, bool allow_minus_one)
{
	const char *p = *s;
	long v = 0;
	if (allow_minus_one && p[0] == '-' && p[1] == '1') {
		*out = -1;
		*s = p + 2;
		return 0;
	}
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (0x7fffffffL - (*p - '0')) / 10)
			return -1;
		v = v * 10 + (*p - '0');
	}
	*out = v;
	*s = p;
	return 0;
}

int fail_page_alloc_setup(const char *text, const struct pglist_data *node)
{
	long interval, probability, times;
	const char *s = text;

	if (parse_long(&s, &interval, false) || *s++ != ',' ||
	    parse_long(&s, &probability, false) || *s++ != ',' ||
	    parse_long(&s, &times, true) || *s != '\0' || interval < 1 ||
	    probability > 100)
		return -1;
	fail_page_alloc_defaults(); /* keeps knobs set before */
	fail_page_alloc.interval = (unsigned long)interval;
	fail_page_alloc.probability = (unsigned int)probability;
	fail_page_alloc.times = times;
	fail_page_alloc.node = node;
	fail_page_alloc_enable(true);
	return 0;
}

/* splitmix64 over an atomic counter: a new number per call, from any
 * context, without a lock. */
static uint64_t fault_random(struct fault_attr *attr)
{
	uint64_t z =
	    attr->seed +
	    0x9E3779B97F4A7C15ULL *
		(__atomic_fetch_add(&attr->draws, 1, __ATOMIC_RELAXED) + 1);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* Takes one from times unless it is -1 (unlimited); false if none left. */
static bool take_one(struct fault_attr *attr)
{
	long t = __atomic_load_n(&attr->times, __ATOMIC_RELAXED);
	do {
		if (t == 0)
			return false;
		if (t < 0)
			return true;
	} while (!__atomic_compare_exchange_n(&attr->times, &t, t - 1, false,
					      __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return true;
}

static __attribute__((cold, noinline)) void
report_injection(struct pglist_data *p, gfp_t gfp, unsigned int order)
{
	struct fault_attr *a = &fail_page_alloc;
	char names[160];
	if ((gfp & __GFP_NOWARN) || !__ratelimit(&a->rs))
		return;
	gfp_flags_name(gfp, names, sizeof(names));
	pr_warn("FAULT_INJECTION: forcing a failure: fail_page_alloc order:%u mode:0x%x(%s) node %d; interval %lu, probability %u, times %ld, injected %llu\n",
		order, gfp, names, p->node_id, a->interval, a->probability,
		a->times, (unsigned long long)a->injected);
}

bool __should_fail_alloc_page(struct pglist_data *p, gfp_t gfp,
			      unsigned int order)
{
	struct fault_attr *a = &fail_page_alloc;

	/* Who may be failed: never __GFP_NOFAIL; not below min_order; not
	 * sleeping requests unless asked; only the chosen node. */
	if ((gfp & __GFP_NOFAIL) || order < a->min_order ||
	    (a->ignore_gfp_reclaim && (gfp & __GFP_DIRECT_RECLAIM)) ||
	    (a->node && a->node != p))
		return false;
	if (__atomic_load_n(&a->times, __ATOMIC_RELAXED) == 0)
		return false;
	uint64_t n = __atomic_add_fetch(&a->eligible, 1, __ATOMIC_RELAXED);
	if (a->interval > 1 && n % a->interval)
		return false;
	if (a->probability < 100 && fault_random(a) % 100 >= a->probability)
		return false;
	if (!take_one(a))
		return false;
	__atomic_fetch_add(&a->injected, 1, __ATOMIC_RELAXED);
	report_injection(p, gfp, order);
	return true;
}
