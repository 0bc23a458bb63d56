/*
 * kswapd: the thread that reclaims in the background for the kernel's node,
 * woken through mm_wakeup_kswapd() (kernel/mm/platform.c) when a zone falls
 * below `low`, working until every zone is above `high` (mm/vmscan.c's
 * balance_pgdat). See docs/06-sleeping-allocations-and-reclaim.md ("kswapd").
 */
#include "kernel/mm/kswapd.h"
#include "kernel/mm/kcompactd.h"
#include "mm/memalloc.h"
#include "mm/page_alloc.h"
#include "mm/vmscan.h"

#include "kernel/core/sched.h"
#include "kernel/lib/cmdline.h"
#include "kernel/lib/printk.h"

static struct wait_queue_head kswapd_wait;
static struct task_struct *kswapd_task;
static bool kswapd_pending; /* a wakeup it has not acted on yet */
static bool kswapd_running;

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

/* kernel/mm/platform.c's mm_wakeup_kswapd(): a zone of the kernel's node
 * fell below low. Safe from any context. */
void kswapd_wake(void)
{
	/* Hopeless (nothing it could reclaim, many times over): a wakeup
	 * per allocation would only burn CPU. */
	if (__atomic_load_n(&contig_page_data.kswapd_failures,
			    __ATOMIC_RELAXED) >= MAX_RECLAIM_RETRIES &&
	    __atomic_load_n(&contig_page_data.kcompactd_max_order,
			    __ATOMIC_RELAXED))
		kcompactd_wake(); /* blocks may still be made: not hopeless */
	if (!kswapd_task ||
	    __atomic_load_n(&contig_page_data.kswapd_failures,
			    __ATOMIC_RELAXED) >= MAX_RECLAIM_RETRIES ||
	    __atomic_load_n(&kswapd_pending, __ATOMIC_RELAXED) ||
	    __atomic_load_n(&kswapd_running, __ATOMIC_RELAXED))
		return;
	__atomic_store_n(&kswapd_pending, true, __ATOMIC_SEQ_CST);
	wake_up(&kswapd_wait);
}

bool kswapd_is_running(void)
{
	return __atomic_load_n(&kswapd_running, __ATOMIC_ACQUIRE) ||
	       __atomic_load_n(&kswapd_pending, __ATOMIC_ACQUIRE);
}

static void kswapd(void *arg)
{
	struct pglist_data *p = arg;
	/* As Linux's kswapd: it frees memory, so what it allocates may go
	 * below every watermark, and it never enters direct reclaim. */
	current->flags |= PF_MEMALLOC | PF_KSWAPD;
	for (;;) {
		wait_event_idle(kswapd_wait, __atomic_load_n(&kswapd_pending,
							     __ATOMIC_ACQUIRE));
		__atomic_store_n(&kswapd_running, true, __ATOMIC_RELEASE);
		__atomic_store_n(&kswapd_pending, false, __ATOMIC_RELEASE);
		__atomic_fetch_add(&p->reclaim.kswapd_wakeups, 1,
				   __ATOMIC_RELAXED);
		balance_pgdat(p);
		__atomic_store_n(&kswapd_running, false, __ATOMIC_RELEASE);
		/* Balanced (or as far as it goes): a request of order > 0
		 * waits for blocks, which only compaction makes (Linux wakes
		 * kcompactd as kswapd goes to sleep). */
		if (__atomic_load_n(&p->kcompactd_max_order, __ATOMIC_RELAXED))
			kcompactd_wake();
	}
}

bool kswapd_started(void)
{
	return __atomic_load_n(&kswapd_task, __ATOMIC_ACQUIRE) != NULL;
}

void kswapd_init(void)
{
	mm_platform_init();
	init_waitqueue_head(&kswapd_wait);
	struct task_struct *t =
	    kthread_create_on_cpu(kswapd, &contig_page_data, 0, "kswapd0");
	if (!t) {
		pr_err(
		    "kswapd: cannot start; requests that may sleep will fail instead of waiting\n");
		return;
	}
	__atomic_store_n(&kswapd_task, t, __ATOMIC_RELEASE);
	pr_info("kswapd: started (pid %u); sleeping requests wait up to %u ms for memory\n",
		t->pid, contig_page_data.alloc_wait_ms);
}
