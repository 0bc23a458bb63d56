/*
 * mm_hoard(): the demonstrations' way to take all the memory a request
 * type will get (kernel/demo/hoard.h).
 * docs/04b-interrupts-and-the-atomic-reserve.md.
 */
#include "kernel/demo/hoard.h"
#include "mm/page_alloc.h"

uint64_t mm_hoard(gfp_t gfp, uint64_t *pages)
{
	return mm_hoard_max(gfp, UINT64_MAX, pages);
}

uint64_t mm_hoard_max(gfp_t gfp, uint64_t max_pages, uint64_t *pages)
{
	uint64_t head = 0, n = 0;
	/* Take what reclaim can give, but never wait for others to free:
	 * the hoarder is the one keeping the memory. */
	if (gfp & __GFP_DIRECT_RECLAIM)
		gfp |= __GFP_NORETRY;
	for (int order = MAX_ORDER; order >= 0; order--) {
		uint64_t p;
		while (max_pages - n >= (1ULL << order) &&
		       (p = alloc_pages(gfp | __GFP_NOWARN,
					(unsigned int)order))) {
			uint64_t *w = phys_to_virt(p);
			w[0] = head;
			w[1] = (uint64_t)order;
			head = p;
			n += 1ULL << order;
		}
	}
	if (pages)
		*pages = n;
	return head;
}

uint64_t mm_hoard_release(uint64_t head)
{
	uint64_t n = 0;
	while (head) {
		const uint64_t *w = phys_to_virt(head);
		uint64_t next = w[0];
		unsigned int order = (unsigned int)w[1];
		__free_pages(head, order);
		n += 1ULL << order;
		head = next;
	}
	return n;
}
