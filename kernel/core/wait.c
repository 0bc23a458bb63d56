/*
 * Wait queues (kernel/core/wait.h). The queue's lock is taken with interrupts
 * off because interrupt handlers wake queues (the page allocator's free
 * path wakes tasks waiting for memory). Lock order: a queue's lock, then a
 * run queue's (wake_up_process); the scheduler never takes a queue's lock.
 * See docs/05b-threads-and-sleeping.md ("Sleeping and waking").
 */
#include "kernel/core/wait.h"
#include "kernel/core/sched.h"

void init_wait_entry(struct wait_queue_entry *wqe)
{
	wqe->task = current;
	wqe->queued = false;
	INIT_LIST_HEAD(&wqe->entry);
}

void prepare_to_wait(struct wait_queue_head *wq, struct wait_queue_entry *wqe,
		     long state)
{
	unsigned long flags;
	spin_lock_irqsave(&wq->lock, flags);
	if (!wqe->queued) {
		list_add(&wqe->entry, &wq->head);
		wqe->queued = true;
	}
	set_current_state(state);
	spin_unlock_irqrestore(&wq->lock, flags);
}

void finish_wait(struct wait_queue_head *wq, struct wait_queue_entry *wqe)
{
	unsigned long flags;
	__set_current_state(TASK_RUNNING);
	spin_lock_irqsave(&wq->lock, flags);
	if (wqe->queued) {
		list_del(&wqe->entry);
		wqe->queued = false;
	}
	spin_unlock_irqrestore(&wq->lock, flags);
}

unsigned int wake_up(struct wait_queue_head *wq)
{
	unsigned long flags;
	unsigned int woken = 0;
	spin_lock_irqsave(&wq->lock, flags);
	for (struct list_head *e = wq->head.next; e != &wq->head; e = e->next) {
		struct wait_queue_entry *wqe =
		    container_of(e, struct wait_queue_entry, entry);
		if (wake_up_process(wqe->task))
			woken++;
	}
	spin_unlock_irqrestore(&wq->lock, flags);
	return woken;
}
