/*
 * The scheduler: one run queue per CPU, round robin with a time slice,
 * preemption on the tick, sleeping with timeouts, and the task switch.
 * Tasks are pinned to the CPU they were created on, so a run queue is only
 * ever changed under its lock, and only its own CPU switches tasks.
 * Thread creation and exit are in kernel/core/kthread.c.
 * See docs/05b-threads-and-sleeping.md ("Threads").
 */
#include "kernel/core/sched.h"
#include "kernel/core/sched_internal.h"

#include "boot/bootinfo.h"
#include "kernel/core/irq.h"
#include "kernel/debug/panic.h"
#include "kernel/lib/printk.h"
#include "kernel/arch/x86/timer.h"

struct rq runqueues[MAX_CPUS];
bool sched_running;
static struct task_struct init_task, ap_idle_tasks[MAX_CPUS];

/* The switch itself (kernel/arch/x86/switch.asm). */
void __switch_to(uint64_t *prev_rsp, uint64_t next_rsp);

static inline struct rq *this_rq(void)
{
	return &runqueues[smp_processor_id()];
}

static void enqueue_task(struct rq *rq, struct task_struct *t)
{
	list_add_tail(&t->run_list, &rq->queue);
	t->on_rq = true;
}

/* Asks CPU `cpu` to switch soon: now if it idles, else when the running
 * task's slice ends. Run queue lock held. */
static void resched_idle_cpu(struct rq *rq, unsigned int cpu)
{
	lockdep_assert_held(&rq->lock);
	if (!rq->curr->is_idle)
		return;
	cpus[cpu].need_resched = true;
	if (cpu != smp_processor_id())
		smp_send_reschedule(cpu);
}

/* The running task after a switch: `prev` has left its stack. If it had
 * exited, its joiner may free that stack from the moment `gone` is set:
 * nothing here touches prev after that store. */
void finish_task_switch(struct rq *rq)
{
	struct task_struct *prev = rq->prev;
	__atomic_store_n(&prev->on_cpu, false, __ATOMIC_RELEASE);
	if (rq->prev_gone)
		__atomic_store_n(&prev->gone, true, __ATOMIC_RELEASE);
}

/*
 * Picks the next task and switches to it. Interrupts off, rq->lock held;
 * the task that runs next releases the lock (finish_task_switch, then the
 * unlock after this returns in its own context). A preempted task stays
 * runnable whatever its state: it may have been caught between marking
 * itself asleep and arming the wakeup it is about to wait for.
 */
static void __schedule(struct rq *rq, bool preempt)
{
	struct task_struct *prev = rq->curr, *next;

	lockdep_assert_irqs_disabled();
	lockdep_assert_held(&rq->lock);

	this_cpu()->need_resched = false;
	if (!prev->is_idle && !prev->on_rq &&
	    (prev->state == TASK_RUNNING || preempt))
		enqueue_task(rq, prev);
	if ((prev->state & TASK_UNINTERRUPTIBLE) && !preempt)
		prev->blocked_since = jiffies;

	if (list_empty(&rq->queue)) {
		next = rq->idle;
	} else {
		struct list_head *e = rq->queue.next;
		next = container_of(e, struct task_struct, run_list);
		list_del(e);
		next->on_rq = false;
	}
	next->slice_left = (unsigned int)msecs_to_jiffies(SCHED_SLICE_MS);
	if (next == prev)
		return;
	if (preempt)
		prev->nivcsw++;
	else
		prev->nvcsw++;
	rq->nr_switches++;
	rq->nr_preemptions += preempt;
	next->on_cpu = true;
	rq->prev = prev;
	/* A dead task preempted before its last schedule() runs again;
	 * only its own switch away is the last one. */
	rq->prev_gone = prev->state == TASK_DEAD && !preempt;
	rq->curr = next;
	this_cpu()->current_task = next;
	__switch_to(&prev->rsp, next->rsp);
	/* Running as prev again, maybe much later. */
	finish_task_switch(rq);
}

void schedule(void)
{
	unsigned long flags;
	struct rq *rq = this_rq();
	local_irq_save(flags);
	spin_lock(&rq->lock);
	__schedule(rq, false);
	spin_unlock_irqrestore(&rq->lock, flags);
}

void preempt_schedule(void)
{
	if (!sched_running || irqs_disabled() || preempt_count())
		return;
	struct rq *rq = this_rq();
	local_irq_disable();
	spin_lock(&rq->lock);
	__schedule(rq, true);
	spin_unlock(&rq->lock);
	local_irq_enable();
}

void preempt_schedule_irq(void)
{
	struct rq *rq = this_rq();
	if (!sched_running || !rq->curr)
		return;
	spin_lock(&rq->lock);
	__schedule(rq, true);
	spin_unlock(&rq->lock);
}

void yield(void)
{
	schedule();
}

/* Makes t runnable. Run queue lock held. */
static bool try_to_wake_up_locked(struct rq *rq, struct task_struct *t)
{
	lockdep_assert_held(&rq->lock);
	if (!(t->state & TASK_UNINTERRUPTIBLE))
		return false;
	t->state = TASK_RUNNING;
	t->wakeups++;
	if (t->timer_armed) {
		list_del(&t->timer_list);
		t->timer_armed = false;
	}
	if (t != rq->curr && !t->on_rq) {
		enqueue_task(rq, t);
		resched_idle_cpu(rq, t->cpu);
	}
	return true;
}

bool wake_up_process(struct task_struct *t)
{
	struct rq *rq = &runqueues[t->cpu];
	unsigned long flags;
	spin_lock_irqsave(&rq->lock, flags);
	bool woke = try_to_wake_up_locked(rq, t);
	spin_unlock_irqrestore(&rq->lock, flags);
	return woke;
}

long schedule_timeout(long timeout)
{
	struct task_struct *t = current;
	struct rq *rq = this_rq();
	unsigned long flags;

	if (!might_sleep()) {
		__set_current_state(TASK_RUNNING);
		return 0;
	}
	unsigned long deadline = jiffies + (unsigned long)timeout;
	spin_lock_irqsave(&rq->lock, flags);
	/* Woken already (state back to running)? Then no timer. */
	if ((t->state & TASK_UNINTERRUPTIBLE) && !t->timer_armed) {
		t->timeout_at = deadline;
		list_add(&t->timer_list, &rq->timers);
		t->timer_armed = true;
	}
	spin_unlock_irqrestore(&rq->lock, flags);
	schedule();
	spin_lock_irqsave(&rq->lock, flags);
	if (t->timer_armed) {
		list_del(&t->timer_list);
		t->timer_armed = false;
	}
	spin_unlock_irqrestore(&rq->lock, flags);
	long left = (long)(deadline - jiffies);
	return left > 0 ? left : 0;
}

void msleep(unsigned int ms)
{
	if (!might_sleep())
		return; /* reported; waiting here could never end */
	unsigned long end = jiffies + msecs_to_jiffies(ms);
	while ((long)(end - jiffies) > 0) {
		set_current_state(TASK_UNINTERRUPTIBLE);
		schedule_timeout((long)(end - jiffies));
	}
}

/* Every tick, on every CPU, in interrupt context: expired timeouts wake,
 * and a task whose slice ran out yields to the next one in line. */
void sched_tick(void)
{
	struct rq *rq = this_rq();
	if (!sched_running || !rq->curr)
		return;
	spin_lock(&rq->lock);
	for (struct list_head *e = rq->timers.next, *n; e != &rq->timers;
	     e = n) {
		n = e->next;
		struct task_struct *t =
		    container_of(e, struct task_struct, timer_list);
		if ((long)(jiffies - t->timeout_at) >= 0)
			try_to_wake_up_locked(rq, t);
	}
	struct task_struct *curr = rq->curr;
	if (!list_empty(&rq->queue) && (curr->is_idle || curr->slice_left <= 1))
		this_cpu()->need_resched = true;
	else if (curr->slice_left > 1)
		curr->slice_left--;
	spin_unlock(&rq->lock);
}

static irqreturn_t reschedule_interrupt(unsigned int vector, void *dev_id)
{
	(void)vector;
	(void)dev_id;
	/* Nothing to do here: the waker set need_resched, and irq_dispatch
	 * switches on the way out. */
	return IRQ_HANDLED;
}

void cpu_idle(void)
{
	for (;;) {
		local_irq_disable();
		if (need_resched()) {
			local_irq_enable();
			schedule();
			continue;
		}
		/* sti takes effect after hlt starts: a wakeup IPI arriving
		 * now ends the hlt instead of being missed. */
		__asm__ volatile("sti; hlt" : : : "memory");
	}
}

static void rq_init(struct rq *rq, struct task_struct *idle)
{
	spin_lock_init(&rq->lock);
	INIT_LIST_HEAD(&rq->queue);
	INIT_LIST_HEAD(&rq->timers);
	rq->idle = idle;
	rq->curr = idle;
}

/* A context that already runs (kmain, an AP's boot path) becomes a task. */
static void adopt_running_context(struct task_struct *t, struct cpu *c,
				  const char *name, bool is_idle)
{
	t->cpu = c->id;
	t->state = TASK_RUNNING;
	t->on_cpu = true;
	t->is_idle = is_idle;
	t->stack_bottom = c->stack_bottom;
	t->stack_top = c->stack_top;
	task_set_comm(t, name, c->id);
	init_waitqueue_head(&t->exited);
	task_list_add(t);
	c->current_task = t;
}

static void idle_thread(void *arg)
{
	(void)arg;
	cpu_idle();
}

void sched_init(void)
{
	struct rq *rq = &runqueues[0];
	adopt_running_context(&init_task, &cpus[0], "init", false);
	rq_init(rq, &init_task);
	struct task_struct *idle = task_create(idle_thread, NULL, 0, "idle/%u");
	if (!idle)
		panic("sched: no memory for the boot CPU's idle task");
	idle->is_idle = true;
	idle->pid = 0; /* every idle task is pid 0, as Linux's swapper */
	rq->idle = idle;
	if (request_vector(RESCHEDULE_VECTOR, reschedule_interrupt,
			   "reschedule", NULL))
		panic("sched: cannot install the reschedule IPI vector");
	sched_running = true;
	pr_info("sched: round robin per CPU, %u ms slices, %u KiB thread stacks with guard pages\n",
		SCHED_SLICE_MS, (4u << THREAD_STACK_ORDER));
}

void sched_init_ap(struct cpu *c)
{
	struct task_struct *idle = &ap_idle_tasks[c->id];
	adopt_running_context(idle, c, "idle/%u", true);
	rq_init(&runqueues[c->id], idle);
}

uint64_t sched_nr_switches(void)
{
	uint64_t n = 0;
	for (unsigned int i = 0; i < MAX_CPUS; i++)
		n += runqueues[i].nr_switches;
	return n;
}

uint64_t sched_nr_preemptions(void)
{
	uint64_t n = 0;
	for (unsigned int i = 0; i < MAX_CPUS; i++)
		n += runqueues[i].nr_preemptions;
	return n;
}
