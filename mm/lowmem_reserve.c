/*
 * Zone protection (Linux's lowmem_reserve). A request that may use Normal
 * memory falls back into DMA32 and DMA when Normal runs low; left alone,
 * such requests would eat the low zones, and a device driver that can only
 * use memory below 4 GiB (or 16 MiB) would then find none. So each zone
 * keeps, on top of its watermarks, a share of the zones above it away from
 * requests that could have used them: zone i protects
 *
 *	lowmem_reserve[j] = (managed pages of zones i+1..j) / ratio[i]
 *
 * pages against requests whose highest zone is j > i; requests that need
 * zone i (or below) are not held back at all. __zone_watermark_ok adds it
 * to the floor (mm/page_alloc.c). zoneinfo shows it as "protection: (...)".
 * docs/09-emergency-memory.md ("Zone protection").
 */
#include "mm/internal.h"

#include "kernel/lib/printk.h"

const unsigned int lowmem_reserve_ratio_default[MAX_NR_ZONES] =
    LOWMEM_RESERVE_RATIO_DEFAULT;
unsigned int boot_lowmem_reserve_ratio[MAX_NR_ZONES] =
    LOWMEM_RESERVE_RATIO_DEFAULT;

void setup_per_zone_lowmem_reserve(struct pglist_data *p)
{
	for (int i = 0; i < MAX_NR_ZONES; i++) {
		struct zone *z = &p->node_zones[i];
		unsigned int ratio = p->lowmem_reserve_ratio[i];
		uint64_t above = 0;
		unsigned long flags;

		spin_lock_irqsave(&z->lock, flags);
		for (int j = 0; j <= i; j++)
			z->lowmem_reserve[j] = 0;
		for (int j = i + 1; j < MAX_NR_ZONES; j++) {
			above += p->node_zones[j].managed_pages;
			z->lowmem_reserve[j] = ratio ? above / ratio : 0;
		}
		spin_unlock_irqrestore(&z->lock, flags);
	}
}

void pgdat_set_lowmem_reserve_ratio(struct pglist_data *p,
				    const unsigned int ratio[MAX_NR_ZONES])
{
	for (int i = 0; i < MAX_NR_ZONES; i++)
		p->lowmem_reserve_ratio[i] = ratio[i];
	setup_per_zone_lowmem_reserve(p);
}

_Static_assert(MAX_NR_ZONES == 3, "the cmdline list and report name 3 zones");

/* "256,256,32": one ratio per zone, DMA first; each 0 (off) or 1..65536. */
int mm_set_lowmem_reserve_ratio(const char *list)
{
	unsigned int ratio[MAX_NR_ZONES];
	const char *s = list;

	for (int i = 0; i < MAX_NR_ZONES; i++) {
		unsigned long v = 0;
		unsigned int digits = 0;
		while (*s >= '0' && *s <= '9' && v <= 65536) {
			v = v * 10 + (unsigned long)(*s++ - '0');
			digits++;
		}
		if (!digits || v > 65536 ||
		    (i + 1 < MAX_NR_ZONES ? *s != ',' : *s != '\0')) {
			pr_warn("mm: lowmem_reserve_ratio=%s: expected %d ratios (DMA,DMA32,Normal), each 0..65536; kept %u,%u,%u\n",
				list, MAX_NR_ZONES,
				boot_lowmem_reserve_ratio[0],
				boot_lowmem_reserve_ratio[1],
				boot_lowmem_reserve_ratio[2]);
			return -1;
		}
		ratio[i] = (unsigned int)v;
		if (*s)
			s++;
	}
	for (int i = 0; i < MAX_NR_ZONES; i++)
		boot_lowmem_reserve_ratio[i] = ratio[i];
	if (contig_page_data.initialised)
		pgdat_set_lowmem_reserve_ratio(&contig_page_data, ratio);
	return 0;
}
