/*
 * Host side of the small platform interface mm/ needs beyond locks and
 * printk: a millisecond clock for rate-limited reports (mm/page_alloc.h).
 * The kernel provides its own from jiffies. docs/03-buddy-and-gfp.md.
 */
#include <time.h>

#include "mm/page_alloc.h"

uint64_t mm_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
