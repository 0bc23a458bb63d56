/*
 * Watermarks (Linux's min_free_kbytes and __setup_per_zone_wmarks: each
 * zone's min, low and high, shared out of one figure for the machine) and
 * zone protection (Linux's lowmem_reserve). A request that may use Normal
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
 * docs/03-buddy-and-gfp.md, docs/09-emergency-memory.md ("Zone protection").
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

/* ---------------------------------------------------------------- watermarks */

uint64_t int_sqrt64(uint64_t x)
{
	uint64_t root = 0, bit = 1ULL << 62;
	while (bit > x)
		bit >>= 2;
	while (bit) { /* digit-by-digit, base 4 */
		if (x >= root + bit) {
			x -= root + bit;
			root = (root >> 1) + bit;
		} else {
			root >>= 1;
		}
		bit >>= 2;
	}
	return root;
}

/*
 * Linux's calculate_min_free_kbytes + __setup_per_zone_wmarks:
 * min_free_kbytes = sqrt(lowmem_kbytes * 16), clamped to [128 KiB, 256 MiB],
 * shared out between zones by size; each zone's low and high sit one and two
 * steps above min, a step being max(min/4, watermark_scale_factor/10000 of
 * the zone).
 */
void setup_per_zone_wmarks(struct pglist_data *p)
{
	uint64_t node_pages = 0;
	for (int zi = 0; zi < MAX_NR_ZONES; zi++)
		node_pages += p->node_zones[zi].managed_pages;
	p->totalram_pages = node_pages;
	/* With several nodes, min_free_kbytes is the machine's and each
	 * zone's share is by its size among all nodes' (as Linux). */
	uint64_t lowmem_pages =
	    p->machine_pages > node_pages ? p->machine_pages : node_pages;

	if (p->user_min_free_kbytes) {
		/* What the node can bear: a quarter of its RAM below `min`
		 * (with low and high above it, kswapd then keeps up to about
		 * half free). More, and the kernel cannot even start its
		 * threads: say so once, and use the most it can bear. */
		uint64_t bearable = K(lowmem_pages) / 4;
		uint64_t want = p->user_min_free_kbytes;
		if (want > bearable && lowmem_pages) {
			if (p->min_free_kbytes_clamped != want)
				pr_warn("mm: min_free_kbytes=%llu is more than node %d can bear (%llu KiB of RAM); using %llu, a quarter of it\n",
					(unsigned long long)want, p->node_id,
					(unsigned long long)K(lowmem_pages),
					(unsigned long long)bearable);
			p->min_free_kbytes_clamped = want;
			want = bearable;
		}
		p->min_free_kbytes = want;
	} else {
		uint64_t kb = int_sqrt64(K(lowmem_pages) * 16);
		p->min_free_kbytes = kb < 128 ? 128 : kb > 262144 ? 262144 : kb;
	}
	uint64_t pages_min = p->min_free_kbytes >> (PAGE_SHIFT - 10);

	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		struct zone *z = &p->node_zones[zi];
		unsigned long flags;
		spin_lock_irqsave(&z->lock, flags);
		uint64_t min = lowmem_pages
				   ? pages_min * z->managed_pages / lowmem_pages
				   : 0;
		uint64_t scaled =
		    z->managed_pages * p->watermark_scale_factor / 10000;
		uint64_t step = min / 4 > scaled ? min / 4 : scaled;
		z->watermark[WMARK_MIN] = min;
		z->watermark[WMARK_LOW] = min + step;
		z->watermark[WMARK_HIGH] = min + 2 * step;
		spin_unlock_irqrestore(&z->lock, flags);
	}
	setup_per_zone_lowmem_reserve(p);
}
