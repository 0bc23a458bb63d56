/*
 * kswapd: one thread per memory node that reclaims in the background for
 * that node, woken through mm_wakeup_kswapd() (kernel/mm/platform.c) when
 * one of the node's zones falls below `low`, working until every zone of
 * the node is above `high` (mm/vmscan.c's balance_pgdat). It runs on a CPU
 * of its node when the node has one. See
 * docs/06-sleeping-allocations-and-reclaim.md ("kswapd") and
 * docs/11-numa.md ("The allocator on many nodes").
 */
#include "kernel/mm/kswapd.h"
#include "kernel/mm/kcompactd.h"
#include "mm/memalloc.h"
#include "mm/node.h"
#include "mm/page_alloc.h"
#include "mm/vmscan.h"

#include "kernel/arch/x86/smp.h"
#include "kernel/core/sched.h"
#include "kernel/lib/cmdline.h"
#include "kernel/lib/format.h"
#include "kernel/lib/printk.h"
#include "kernel/numa/numa.h"

struct kswapd_node {
	struct pglist_data *pgdat; /* NULL: no kswapd for this node */
	struct wait_queue_head wait;
	struct task_struct *task;
	bool pending; /* a wakeup it has not acted on yet */
	bool running;
	char name[16];
};
static struct kswapd_node kswapd_nodes[MM_MAX_NODES];

static int set_alloc_wait_ms(const char *value)
{
	unsigned long ms;
	if (cmdline_parse_ulong(value, &ms) || ms > 600000)
		return -1;
	mm_set_alloc_wait_ms((unsigned int)ms);
	return 0;
}
CMDLINE_PARAM("alloc_wait_ms", set_alloc_wait_ms,
	      "0..600000: how long a GFP_KERNEL request waits for memory");

static struct kswapd_node *kswapd_of(const struct pglist_data *p)
{
	int id = p->node_id;
	if (id < 0 || id >= MM_MAX_NODES || kswapd_nodes[id].pgdat != p)
		return NULL;
	return &kswapd_nodes[id];
}

/* kernel/mm/platform.c's mm_wakeup_kswapd(): a zone of node p fell below
 * low. Safe from any context. */
void kswapd_wake_node(struct pglist_data *p)
{
	struct kswapd_node *k = kswapd_of(p);
	if (!k)
		return;
	/* Hopeless (nothing it could reclaim, many times over): a wakeup
	 * per allocation would only burn CPU. */
	bool hopeless =
	    __atomic_load_n(&p->kswapd_failures, __ATOMIC_RELAXED) >=
	    MAX_RECLAIM_RETRIES;
	if (hopeless &&
	    __atomic_load_n(&p->kcompactd_max_order, __ATOMIC_RELAXED))
		kcompactd_wake_node(p); /* blocks may still be made */
	if (!__atomic_load_n(&k->task, __ATOMIC_ACQUIRE) || hopeless ||
	    __atomic_load_n(&k->pending, __ATOMIC_RELAXED) ||
	    __atomic_load_n(&k->running, __ATOMIC_RELAXED))
		return;
	__atomic_store_n(&k->pending, true, __ATOMIC_SEQ_CST);
	wake_up(&k->wait);
}

void kswapd_wake(void)
{
	kswapd_wake_node(&contig_page_data);
}

bool kswapd_node_is_running(const struct pglist_data *p)
{
	const struct kswapd_node *k = kswapd_of(p);
	return k && (__atomic_load_n(&k->running, __ATOMIC_ACQUIRE) ||
		     __atomic_load_n(&k->pending, __ATOMIC_ACQUIRE));
}

bool kswapd_is_running(void)
{
	return kswapd_node_is_running(&contig_page_data);
}

static void kswapd(void *arg)
{
	struct kswapd_node *k = arg;
	struct pglist_data *p = k->pgdat;
	/* As Linux's kswapd: it frees memory, so what it allocates may go
	 * below every watermark, and it never enters direct reclaim. */
	current->flags |= PF_MEMALLOC | PF_KSWAPD;
	for (;;) {
		wait_event_idle(k->wait,
				__atomic_load_n(&k->pending, __ATOMIC_ACQUIRE));
		__atomic_store_n(&k->running, true, __ATOMIC_RELEASE);
		__atomic_store_n(&k->pending, false, __ATOMIC_RELEASE);
		__atomic_fetch_add(&p->reclaim.kswapd_wakeups, 1,
				   __ATOMIC_RELAXED);
		balance_pgdat(p);
		__atomic_store_n(&k->running, false, __ATOMIC_RELEASE);
		/* Balanced (or as far as it goes): a request of order > 0
		 * waits for blocks, which only compaction makes (Linux wakes
		 * kcompactd as kswapd goes to sleep). */
		if (__atomic_load_n(&p->kcompactd_max_order, __ATOMIC_RELAXED))
			kcompactd_wake_node(p);
	}
}

bool kswapd_node_started(const struct pglist_data *p)
{
	const struct kswapd_node *k = kswapd_of(p);
	return k && __atomic_load_n(&k->task, __ATOMIC_ACQUIRE) != NULL;
}

bool kswapd_started(void)
{
	return kswapd_node_started(&contig_page_data);
}

/* A CPU of node nid to run its threads on (CPU 0 for a node without). */
unsigned int mm_thread_cpu_of_node(int nid)
{
	for (unsigned int c = 0; c < MAX_CPUS; c++)
		if (cpus[c].online && (int)cpu_to_node(c) == nid)
			return c;
	return 0;
}

static void start_one(struct pglist_data *p)
{
	int nid = p->node_id;
	if (nid < 0 || nid >= MM_MAX_NODES)
		return;
	struct kswapd_node *k = &kswapd_nodes[nid];
	k->pgdat = p;
	init_waitqueue_head(&k->wait);
	ksnprintf(k->name, sizeof(k->name), "kswapd%d", nid);
	unsigned int cpu = mm_thread_cpu_of_node(nid);
	struct task_struct *t = kthread_create_on_cpu(kswapd, k, cpu, k->name);
	if (!t) {
		pr_err("kswapd: cannot start %s; requests that may sleep on node %d will fail instead of waiting\n",
		       k->name, nid);
		return;
	}
	__atomic_store_n(&k->task, t, __ATOMIC_RELEASE);
	pr_info("kswapd: started (pid %u: %s on CPU %u); sleeping requests wait up to %u ms for memory\n",
		t->pid, k->name, cpu, p->alloc_wait_ms);
}

void kswapd_init(void)
{
	mm_platform_init();
	for_each_memory_node(start_one);
}
