/*
 * From the ACPI SRAT and SLIT to struct numa_topology. The SRAT ties each
 * memory range and each CPU (by APIC ID) to a proximity domain; the SLIT
 * gives the distance between any two domains. Each domain becomes a node,
 * numbered in ascending domain order (Linux numbers them in the order it
 * meets them; both give node n = domain n on QEMU). Only the buffers are
 * read, never the hardware: the kernel hands in the firmware's tables
 * (kernel/numa/numa.c), the host tests synthetic ones. See docs/11-numa.md.
 */
#include "kernel/numa/topology.h"
#include "kernel/arch/x86/acpi.h"
#include "kernel/lib/format.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"

#define SRAT_HEADER 48 /* the ACPI header, table revision, 8 reserved */
#define SLIT_HEADER 44 /* the ACPI header, the 8-byte locality count */
#define SRAT_CPU_APIC 0
#define SRAT_MEMORY 1
#define SRAT_CPU_X2APIC 2
#define SRAT_ENABLED 1u
#define SRAT_MEM_HOTPLUG 2u
#define REFUSED_NAMED 4 /* CPUs over the limit named before only counting */

static const char srat_fallback[] = "the SRAT is ignored: one node";
static const char slit_fallback[] = "distances stay 10 local, 20 remote";

void numa_topology_single(struct numa_topology *t)
{
	memset(t, 0, sizeof(*t));
	t->nr_nodes = 1;
	t->distance[0][0] = NUMA_LOCAL_DISTANCE;
}

/* Signature, length within what may be read, checksum. */
static bool table_ok(const void *buf, uint32_t avail, const char *sig,
		     uint32_t min, const char *fallback)
{
	const struct acpi_table_header *h = buf;
	if (avail < sizeof(*h)) {
		pr_err("numa: %s: %u bytes, too short for a table header: %s\n",
		       sig, avail, fallback);
		return false;
	}
	if (memcmp(h->signature, sig, 4) != 0) {
		pr_err("numa: %s: the table's signature is not '%s': %s\n", sig,
		       sig, fallback);
		return false;
	}
	if (h->length < min || h->length > avail) {
		pr_err("numa: %s: bad length %u (at least %u, at most the %u bytes there): %s\n",
		       sig, h->length, min, avail, fallback);
		return false;
	}
	uint8_t sum = acpi_checksum(h, h->length);
	if (sum != 0) {
		pr_err("numa: %s: bad checksum (bytes sum to 0x%02x, not 0): %s\n",
		       sig, sum, fallback);
		return false;
	}
	return true;
}

static bool add_cpu(struct numa_topology *t, uint32_t apic_id, uint32_t pxm,
		    bool x2)
{
	for (unsigned int i = 0; i < t->ncpus; i++) {
		if (t->cpus[i].apic_id != apic_id)
			continue;
		if (t->cpus[i].pxm == pxm)
			return true; /* an xAPIC and an x2APIC entry agree */
		pr_err("numa: SRAT: CPU with APIC ID %u is in proximity domains %u and %u: %s\n",
		       apic_id, t->cpus[i].pxm, pxm, srat_fallback);
		return false;
	}
	if (t->ncpus == NUMA_MAX_CPUS) {
		if (++t->ncpus_refused <= REFUSED_NAMED)
			pr_warn("numa: SRAT: CPU with APIC ID %u refused: at most %d CPUs (CONFIG_NR_CPUS)\n",
				apic_id, NUMA_MAX_CPUS);
		return true;
	}
	t->cpus[t->ncpus++] = (struct numa_cpu){ apic_id, pxm, 0, x2 };
	return true;
}

static bool add_range(struct numa_topology *t, const uint8_t *e)
{
	uint64_t base = acpi_get64(e + 8), len = acpi_get64(e + 16);
	uint32_t flags = acpi_get32(e + 28);
	if (len == 0)
		return true; /* firmware pads with empty entries */
	if (base + len < base) {
		pr_err("numa: SRAT: memory range at 0x%lx of 0x%lx bytes wraps around: %s\n",
		       base, len, srat_fallback);
		return false;
	}
	if (t->nranges == NUMA_MAX_RANGES) {
		pr_err("numa: SRAT: more than %d memory ranges: %s\n",
		       NUMA_MAX_RANGES, srat_fallback);
		return false;
	}
	t->ranges[t->nranges++] =
	    (struct numa_range){ base, base + len, acpi_get32(e + 2), 0,
				 (flags & SRAT_MEM_HOTPLUG) != 0 };
	return true;
}

/* The smallest length an SRAT entry of this type can have. */
static uint8_t srat_entry_min(uint8_t type)
{
	switch (type) {
	case SRAT_CPU_APIC:
		return 16;
	case SRAT_MEMORY:
		return 40;
	case SRAT_CPU_X2APIC:
		return 24;
	default:
		return 2;
	}
}

static bool read_srat_entries(struct numa_topology *t, const uint8_t *base,
			      uint32_t length)
{
	uint32_t off = SRAT_HEADER;
	while (off < length) {
		const uint8_t *e = base + off;
		uint8_t type = e[0], len = off + 2 <= length ? e[1] : 0;
		if (len < srat_entry_min(type) || off + len > length) {
			pr_err("numa: SRAT: entry type %u at offset %u has bad length %u (needs %u, %u bytes left): %s\n",
			       type, off, len, srat_entry_min(type),
			       length - off, srat_fallback);
			return false;
		}
		bool ok = true;
		if (type == SRAT_CPU_APIC && (acpi_get32(e + 4) & SRAT_ENABLED))
			ok = add_cpu(t, e[3],
				     e[2] | (uint32_t)e[9] << 8 |
					 (uint32_t)e[10] << 16 |
					 (uint32_t)e[11] << 24,
				     false);
		else if (type == SRAT_CPU_X2APIC &&
			 (acpi_get32(e + 12) & SRAT_ENABLED))
			ok = add_cpu(t, acpi_get32(e + 8), acpi_get32(e + 4),
				     true);
		else if (type == SRAT_MEMORY &&
			 (acpi_get32(e + 28) & SRAT_ENABLED))
			ok = add_range(t, e);
		if (!ok)
			return false;
		off += len;
	}
	return true;
}

/* Node numbers: the proximity domains in use, in ascending order. */
static bool number_nodes(struct numa_topology *t)
{
	uint32_t pxm[NUMA_MAX_NODES];
	unsigned int n = 0;
	for (unsigned int i = 0; i < t->nranges + t->ncpus; i++) {
		uint32_t p = i < t->nranges ? t->ranges[i].pxm
					    : t->cpus[i - t->nranges].pxm;
		unsigned int k = 0;
		while (k < n && pxm[k] < p)
			k++;
		if (k < n && pxm[k] == p)
			continue;
		if (n == NUMA_MAX_NODES) {
			pr_err("numa: SRAT: more than %d proximity domains (domain %u): %s\n",
			       NUMA_MAX_NODES, p, srat_fallback);
			return false;
		}
		memmove(&pxm[k + 1], &pxm[k], (n - k) * sizeof(pxm[0]));
		pxm[k] = p;
		n++;
	}
	t->nr_nodes = n;
	for (unsigned int k = 0; k < n; k++)
		t->nodes[k].pxm = pxm[k];
	for (unsigned int i = 0; i < t->nranges; i++) {
		struct numa_range *r = &t->ranges[i];
		while (t->nodes[r->node].pxm != r->pxm)
			r->node++;
		t->nodes[r->node].nranges++;
		if (!r->hotplug)
			t->nodes[r->node].mem_bytes += r->end - r->start;
	}
	for (unsigned int i = 0; i < t->ncpus; i++) {
		struct numa_cpu *c = &t->cpus[i];
		while (t->nodes[c->node].pxm != c->pxm)
			c->node++;
		t->nodes[c->node].ncpus++;
	}
	return true;
}

static bool ranges_disjoint(const struct numa_topology *t)
{
	for (unsigned int i = 0; i < t->nranges; i++)
		for (unsigned int j = 0; j < i; j++) {
			const struct numa_range *a = &t->ranges[j],
						*b = &t->ranges[i];
			if (a->start < b->end && b->start < a->end) {
				pr_err("numa: SRAT: memory ranges 0x%lx-0x%lx (domain %u) and 0x%lx-0x%lx (domain %u) overlap: %s\n",
				       a->start, a->end - 1, a->pxm, b->start,
				       b->end - 1, b->pxm, srat_fallback);
				return false;
			}
		}
	return true;
}

/* Each node's nearest node with memory (itself if it has some); ties go to
 * the lower node number. False if no node has memory. */
static bool find_memory_nodes(struct numa_topology *t)
{
	for (unsigned int a = 0; a < t->nr_nodes; a++) {
		unsigned int best = NUMA_MAX_NODES, best_d = NUMA_UNREACHABLE;
		for (unsigned int b = 0; b < t->nr_nodes; b++) {
			unsigned int d = a == b ? 0 : t->distance[a][b];
			if (t->nodes[b].mem_bytes && d < best_d) {
				best = b;
				best_d = d;
			}
		}
		if (best == NUMA_MAX_NODES)
			return false;
		t->nodes[a].mem_node = (uint8_t)best;
	}
	return true;
}

static void default_distances(struct numa_topology *t)
{
	for (unsigned int a = 0; a < NUMA_MAX_NODES; a++)
		for (unsigned int b = 0; b < NUMA_MAX_NODES; b++)
			t->distance[a][b] =
			    a == b ? NUMA_LOCAL_DISTANCE : NUMA_REMOTE_DISTANCE;
}

int numa_parse_srat(struct numa_topology *t, const void *srat, uint32_t avail)
{
	const struct acpi_table_header *h = srat;

	numa_topology_single(t);
	if (!table_ok(srat, avail, "SRAT", SRAT_HEADER, srat_fallback))
		return 1;
	t->nr_nodes = 0;
	if (!read_srat_entries(t, srat, h->length))
		goto bad;
	if (t->nranges == 0) {
		pr_err("numa: SRAT: no enabled memory range: %s\n",
		       srat_fallback);
		goto bad;
	}
	if (!number_nodes(t) || !ranges_disjoint(t))
		goto bad;
	default_distances(t);
	if (!find_memory_nodes(t)) {
		pr_err("numa: SRAT: every memory range is hot-pluggable: %s\n",
		       srat_fallback);
		goto bad;
	}
	if (t->ncpus_refused > REFUSED_NAMED)
		pr_warn("numa: SRAT: %u more CPUs refused the same way (%u in all)\n",
			t->ncpus_refused - REFUSED_NAMED, t->ncpus_refused);
	t->from_srat = true;
	return 0;
bad:
	numa_topology_single(t);
	return 1;
}

int numa_parse_slit(struct numa_topology *t, const void *slit, uint32_t avail)
{
	const struct acpi_table_header *h = slit;
	const uint8_t *m = (const uint8_t *)slit + SLIT_HEADER;
	uint8_t d[NUMA_MAX_NODES][NUMA_MAX_NODES];

	if (!table_ok(slit, avail, "SLIT", SLIT_HEADER, slit_fallback))
		return 1;
	if (!t->from_srat) {
		pr_warn(
		    "numa: SLIT without a usable SRAT: ignored (one node)\n");
		return 1;
	}
	uint64_t count = acpi_get64((const uint8_t *)slit + 36);
	uint32_t domains = t->nodes[t->nr_nodes - 1].pxm + 1;
	if (count > 255 || SLIT_HEADER + count * count != h->length) {
		pr_err("numa: SLIT: %lu localities do not fill its %u bytes (%lu x %lu after a 44-byte header): %s\n",
		       count, h->length, count, count, slit_fallback);
		return 1;
	}
	if (count != domains) {
		pr_err("numa: SLIT: %lu localities, but the SRAT's proximity domains run 0..%u (%u nodes): %s\n",
		       count, domains - 1, t->nr_nodes, slit_fallback);
		return 1;
	}
	for (unsigned int a = 0; a < t->nr_nodes; a++)
		for (unsigned int b = 0; b < t->nr_nodes; b++) {
			uint8_t v =
			    m[t->nodes[a].pxm * count + t->nodes[b].pxm];
			if (a == b && v != NUMA_LOCAL_DISTANCE) {
				pr_err("numa: SLIT: node %u is %u from itself, not 10: %s\n",
				       a, v, slit_fallback);
				return 1;
			}
			if (a != b && v <= NUMA_LOCAL_DISTANCE) {
				pr_err("numa: SLIT: node %u to node %u is %u, not more than 10: %s\n",
				       a, b, v, slit_fallback);
				return 1;
			}
			d[a][b] = v;
		}
	for (unsigned int a = 0; a < t->nr_nodes; a++)
		memcpy(t->distance[a], d[a], t->nr_nodes);
	t->from_slit = true;
	if (!find_memory_nodes(t))
		return 1; /* cannot happen: the SRAT found memory */
	return 0;
}

unsigned int numa_topology_cpu_node(const struct numa_topology *t,
				    uint32_t apic_id)
{
	for (unsigned int i = 0; i < t->ncpus; i++)
		if (t->cpus[i].apic_id == apic_id)
			return t->cpus[i].node;
	return 0;
}

unsigned int numa_topology_addr_node(const struct numa_topology *t,
				     uint64_t phys)
{
	for (unsigned int i = 0; i < t->nranges; i++)
		if (phys >= t->ranges[i].start && phys < t->ranges[i].end)
			return t->ranges[i].node;
	return 0;
}

/* "640 KiB", "128 MiB", "127 MiB + 640 KiB": exact, largest units first. */
static void format_size(char *buf, size_t size, uint64_t bytes)
{
	static const char *const unit[] = { "GiB", "MiB", "KiB" };
	size_t n = 0;
	buf[0] = '\0';
	for (int i = 0; i < 3; i++) {
		unsigned int shift = 30 - 10 * i;
		uint64_t part = bytes >> shift;
		if (part && n < size)
			n += ksnprintf(buf + n, size - n, "%s%lu %s",
				       n ? " + " : "", part, unit[i]);
		bytes -= part << shift;
	}
	if (!n)
		ksnprintf(buf, size, "0 KiB");
}

/* The node's APIC IDs as "0-3,8,10-11" (entries come in firmware order). */
static void format_cpus(const struct numa_topology *t, unsigned int node,
			char *buf, size_t size)
{
	size_t n = 0;
	buf[0] = '\0';
	for (unsigned int i = 0; i < t->ncpus && n < size; i++) {
		if (t->cpus[i].node != node)
			continue;
		unsigned int j = i;
		while (j + 1 < t->ncpus && t->cpus[j + 1].node == node &&
		       t->cpus[j + 1].apic_id == t->cpus[j].apic_id + 1)
			j++;
		if (j > i)
			n += ksnprintf(buf + n, size - n, "%s%u-%u",
				       n ? "," : "", t->cpus[i].apic_id,
				       t->cpus[j].apic_id);
		else
			n += ksnprintf(buf + n, size - n, "%s%u", n ? "," : "",
				       t->cpus[i].apic_id);
		i = j;
	}
	if (n >= size && size > 4)
		memcpy(buf + size - 4, "...", 4); /* cut short: say so */
}

void numa_topology_print(const struct numa_topology *t)
{
	char size[40], ids[160], line[16 + 4 * NUMA_MAX_NODES];
	size_t n;

	if (!t->from_srat) {
		pr_info(
		    "numa: no usable SRAT: one node (0) with all memory and CPUs\n");
		return;
	}
	pr_info("numa: SRAT: %u node(s), %u memory range(s), %u CPU(s)%s; distances from %s\n",
		t->nr_nodes, t->nranges, t->ncpus,
		t->ncpus_refused ? " (more refused)" : "",
		t->from_slit ? "the SLIT"
			     : "the default (no SLIT): 10 local, 20 remote");
	for (unsigned int a = 0; a < t->nr_nodes; a++) {
		const struct numa_node *nd = &t->nodes[a];
		format_size(size, sizeof(size), nd->mem_bytes);
		format_cpus(t, a, ids, sizeof(ids));
		if (nd->mem_bytes)
			n = ksnprintf(line, sizeof(line), "%s", size);
		else
			n = ksnprintf(line, sizeof(line),
				      "no memory (nearest: node %u)",
				      nd->mem_node);
		pr_info("numa: node %u (domain %u): %s, %u CPU(s)%s%s\n", a,
			nd->pxm, line, nd->ncpus,
			nd->ncpus ? ", APIC IDs " : "", ids);
		for (unsigned int i = 0; i < t->nranges; i++) {
			const struct numa_range *r = &t->ranges[i];
			if (r->node != a)
				continue;
			format_size(size, sizeof(size), r->end - r->start);
			pr_info("numa:   0x%016lx-0x%016lx %s%s\n", r->start,
				r->end - 1, size,
				r->hotplug ? " (hot-pluggable)" : "");
		}
	}
	n = ksnprintf(line, sizeof(line), "numa: distance");
	for (unsigned int b = 0; b < t->nr_nodes; b++)
		n += ksnprintf(line + n, sizeof(line) - n, " %3u", b);
	pr_info("%s\n", line);
	for (unsigned int a = 0; a < t->nr_nodes; a++) {
		n = ksnprintf(line, sizeof(line), "numa:   node %2u", a);
		for (unsigned int b = 0; b < t->nr_nodes; b++)
			n += ksnprintf(line + n, sizeof(line) - n, " %3u",
				       t->distance[a][b]);
		pr_info("%s\n", line);
	}
}
