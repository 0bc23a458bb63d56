/*
 * kcompactd, as Linux's (mm/compaction.c): one thread per memory node that
 * compacts in the background so that high-order requests find their
 * blocks without compacting themselves. kswapd wakes it once it has
 * balanced the node for a request of order > 0 (the slow path notes the
 * order in kcompactd_max_order); it then compacts every zone for that
 * order and sleeps again. Every half second it also checks the node's
 * fragmentation score and compacts proactively above the high mark
 * (compaction_proactiveness). The cmdline options of compaction are here.
 * docs/10-fragmentation-and-compaction.md ("kcompactd").
 */
#include "kernel/mm/kcompactd.h"
#include "mm/compaction.h"
#include "mm/node.h"
#include "mm/page_alloc.h"
#include "kernel/mm/kswapd.h"

#include "kernel/arch/x86/timer.h"
#include "kernel/core/sched.h"
#include "kernel/lib/cmdline.h"
#include "kernel/lib/format.h"
#include "kernel/lib/printk.h"

#define KCOMPACTD_PROACTIVE_MS 500 /* Linux's HPAGE_FRAG_CHECK_INTERVAL_MSEC */

struct kcompactd_node {
	struct pglist_data *pgdat; /* NULL: no kcompactd for this node */
	struct wait_queue_head wait;
	struct task_struct *task;
	bool pending, running;
	char name[16];
};
static struct kcompactd_node kcompactd_nodes[MM_MAX_NODES];

static bool compaction_on = true;
static unsigned long extfrag_threshold = EXTFRAG_THRESHOLD_DEFAULT;
static unsigned long proactiveness = COMPACTION_PROACTIVENESS_DEFAULT;

static void apply_options(void)
{
	mm_set_compaction(compaction_on, (unsigned int)extfrag_threshold,
			  (unsigned int)proactiveness);
}

static int set_compaction(const char *value)
{
	if (cmdline_parse_on_off(value, &compaction_on))
		return -1;
	apply_options();
	return 0;
}
CMDLINE_PARAM("compaction", set_compaction, "on (default) or off");

static int set_compaction_spill(const char *value)
{
	bool on;
	if (cmdline_parse_on_off(value, &on))
		return -1;
	mm_set_compaction_spill(on);
	return 0;
}
CMDLINE_PARAM("compaction_spill", set_compaction_spill,
	      "on (default) or off: compaction may move pages to a zone below");

static int set_extfrag_threshold(const char *value)
{
	unsigned long v;
	if (cmdline_parse_ulong(value, &v) || v > 1000)
		return -1;
	extfrag_threshold = v;
	apply_options();
	return 0;
}
CMDLINE_PARAM("extfrag_threshold", set_extfrag_threshold,
	      "0..1000: compact only above this fragmentation index (500)");

static int set_proactiveness(const char *value)
{
	unsigned long v;
	if (cmdline_parse_ulong(value, &v) || v > 100)
		return -1;
	proactiveness = v;
	apply_options();
	return 0;
}
CMDLINE_PARAM("compaction_proactiveness", set_proactiveness,
	      "0..100: background compaction (20; 0 off)");

static struct kcompactd_node *kcompactd_of(const struct pglist_data *p)
{
	int id = p->node_id;
	if (id < 0 || id >= MM_MAX_NODES || kcompactd_nodes[id].pgdat != p)
		return NULL;
	return &kcompactd_nodes[id];
}

void kcompactd_wake_node(struct pglist_data *p)
{
	struct kcompactd_node *k = kcompactd_of(p);
	if (!k || !__atomic_load_n(&k->task, __ATOMIC_ACQUIRE) ||
	    p->compaction_off || __atomic_load_n(&k->pending, __ATOMIC_RELAXED))
		return;
	__atomic_store_n(&k->pending, true, __ATOMIC_SEQ_CST);
	wake_up(&k->wait);
}

void kcompactd_wake(void)
{
	kcompactd_wake_node(&contig_page_data);
}

bool kcompactd_node_is_running(const struct pglist_data *p)
{
	const struct kcompactd_node *k = kcompactd_of(p);
	return k && (__atomic_load_n(&k->running, __ATOMIC_ACQUIRE) ||
		     __atomic_load_n(&k->pending, __ATOMIC_ACQUIRE));
}

bool kcompactd_is_running(void)
{
	return kcompactd_node_is_running(&contig_page_data);
}

/* Linux's kcompactd_do_work: every zone up to the highest asked, for the
 * order asked, unless deferred or already fine. */
static void kcompactd_do_work(struct pglist_data *p)
{
	unsigned int order =
	    __atomic_exchange_n(&p->kcompactd_max_order, 0, __ATOMIC_RELAXED);
	if (!order)
		return;
	__atomic_fetch_add(&p->compact.kcompactd_wake, 1, __ATOMIC_RELAXED);
	for (int zi = MAX_NR_ZONES - 1; zi >= 0; zi--) {
		struct zone *z = &p->node_zones[zi];
		if (!z->managed_pages || compaction_deferred(z, order))
			continue;
		enum compact_result r =
		    compact_zone_order(p, z, (int)order, GFP_KERNEL, zi,
				       COMPACT_PRIO_SYNC_LIGHT);
		if (r == COMPACT_SUCCESS)
			compaction_defer_reset(z, order, false);
		else if (r == COMPACT_COMPLETE)
			defer_compaction(z, order);
		else if (r == COMPACT_CONTENDED)
			/* It gave the zone up to a request, which may want a
			 * smaller block: the order waits for the next wake. */
			kcompactd_note_order(p, order);
	}
}

static void kcompactd(void *arg)
{
	struct kcompactd_node *k = arg;
	struct pglist_data *p = k->pgdat;
	for (;;) {
		long left =
		    wait_event_timeout(k->wait,
				       __atomic_load_n(&k->pending,
						       __ATOMIC_ACQUIRE),
				       (long)msecs_to_jiffies(
					   KCOMPACTD_PROACTIVE_MS));
		__atomic_store_n(&k->running, true, __ATOMIC_RELEASE);
		__atomic_store_n(&k->pending, false, __ATOMIC_RELEASE);
		if (left)
			kcompactd_do_work(p);
		else
			proactive_compact_node(p);
		__atomic_store_n(&k->running, false, __ATOMIC_RELEASE);
	}
}

static void start_one(struct pglist_data *p)
{
	int nid = p->node_id;
	if (nid < 0 || nid >= MM_MAX_NODES)
		return;
	struct kcompactd_node *k = &kcompactd_nodes[nid];
	k->pgdat = p;
	init_waitqueue_head(&k->wait);
	ksnprintf(k->name, sizeof(k->name), "kcompactd%d", nid);
	unsigned int cpu = mm_thread_cpu_of_node(nid);
	struct task_struct *t =
	    kthread_create_on_cpu(kcompactd, k, cpu, k->name);
	if (!t) {
		pr_err("kcompactd: cannot start %s; node %d has only direct compaction\n",
		       k->name, nid);
		return;
	}
	__atomic_store_n(&k->task, t, __ATOMIC_RELEASE);
	pr_info("kcompactd: started (pid %u: %s on CPU %u); compaction %s, extfrag_threshold %u, proactiveness %u\n",
		t->pid, k->name, cpu, p->compaction_off ? "off" : "on",
		p->extfrag_threshold, p->compaction_proactiveness);
}

void kcompactd_init(void)
{
	for_each_memory_node(start_one);
}
