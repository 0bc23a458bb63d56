/*
 * `make bench`: start-up on the shape of a 16-socket, 12 TiB machine (issue
 * 14): 16 nodes of 768 GiB side by side, each its own pglist_data over its
 * own range, as mm_init_nodes() builds them on a NUMA boot. The span is
 * reserved PROT_NONE and each node's RAM committed lazily, so the host
 * pays for the metadata written (one byte per frame, 3 GiB in all) and not
 * for 12 TiB. One cold run; skipped with --quick or when the host has
 * less than 8 GiB available. docs/08-measuring.md ("Start-up time and
 * metadata").
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "mm/node.h"
#include "tools/bench/bench.h"

#define SOCKETS 16
#define NODE_BYTES (768ULL << 30)
#define BASE (1ULL << 40)

void bench_numa_12tib(void)
{
	if (bench_scale > 1 || bench_mem_available() < (8ULL << 30)) {
		bench_note("(12 TiB, 16 nodes: skipped, %s)",
			   bench_scale > 1 ? "--quick"
					   : "less than 8 GiB available");
		return;
	}
	char *span = mmap(NULL, SOCKETS * NODE_BYTES, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	struct pglist_data *p = calloc(SOCKETS, sizeof(*p));
	if (span == MAP_FAILED || !p) {
		bench_note("(12 TiB, 16 nodes: no address space)");
		free(p);
		return;
	}
	static struct memmap_range r[SOCKETS];
	uint64_t meta = 0, frames = 0;
	double total = 0, slowest = 0;
	for (unsigned int i = 0; i < SOCKETS; i++) {
		mprotect(span + i * NODE_BYTES, NODE_BYTES,
			 PROT_READ | PROT_WRITE);
		r[i] =
		    (struct memmap_range){ BASE + i * NODE_BYTES,
					   BASE + (i + 1) * NODE_BYTES, 7, 0 };
		struct pgdat_config cfg = {
			.usable = &r[i],
			.nr_usable = 1,
			.direct_map_offset = (uint64_t)(uintptr_t)span - BASE,
		};
		double t0 = bench_now_ns();
		if (pgdat_init(&p[i], &cfg)) {
			bench_note("(12 TiB: node %u refused by pgdat_init!)",
				   i);
			break;
		}
		double ms = (bench_now_ns() - t0) / 1e6;
		total += ms;
		slowest = ms > slowest ? ms : slowest;
		meta += p[i].metadata_pages;
		frames += NODE_BYTES >> 12;
	}
	bench_section("Start-up on a 12 TiB, 16-socket shape",
		      "16 nodes of 768 GiB, one pglist_data each; one cold "
		      "run (host page faults included).");
	bench_report_exact("host.init_12tib_16nodes_cold", "ms",
			   "all 16 nodes' pgdat_init, one after another",
			   total);
	bench_report_exact("host.init_768gib_node_cold_max", "ms",
			   "the slowest node's pgdat_init", slowest);
	bench_report_exact("host.metadata_12tib_pct", "%",
			   "metadata of all nodes / RAM",
			   100.0 * (double)meta / (double)frames);
	free(p);
	munmap(span, SOCKETS * NODE_BYTES);
}
