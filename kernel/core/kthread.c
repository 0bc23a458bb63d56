/*
 * Kernel threads: creating one (a stack with a guard page and the task
 * structure at its top), starting it, its exit and the join that frees it.
 * Also the task list the watchdog and the dumps walk.
 * See docs/05b-threads-and-sleeping.md ("Threads").
 */
#include "kernel/core/sched_internal.h"

#include "kernel/lib/format.h"
#include "kernel/arch/x86/ioremap.h"
#include "kernel/debug/panic.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"
#include "kernel/arch/x86/timer.h"
#include "mm/page_alloc.h"

#define THREAD_STACK_SIZE (PAGE_SIZE << THREAD_STACK_ORDER)

static DEFINE_SPINLOCK(tasks_lock);
static struct list_head all_tasks = { &all_tasks, &all_tasks };
static unsigned int nr_tasks, next_pid = 1, next_cpu;

extern const char kthread_trampoline[];

void task_set_comm(struct task_struct *t, const char *name, unsigned int cpu)
{
	ksnprintf(t->comm, sizeof(t->comm), name, cpu);
}

void task_list_add(struct task_struct *t)
{
	unsigned long flags;
	spin_lock_irqsave(&tasks_lock, flags);
	t->pid = t->is_idle ? 0 : next_pid++;
	list_add_tail(&t->all_list, &all_tasks);
	nr_tasks++;
	spin_unlock_irqrestore(&tasks_lock, flags);
}

/* The first C code of every new task, on its own stack, entered from
 * kthread_trampoline with the run queue lock held by the switch. */
void __attribute__((noreturn, used)) kthread_entry(struct task_struct *t)
{
	struct rq *rq = &runqueues[t->cpu];
	finish_task_switch(rq);
	spin_unlock(&rq->lock);
	local_irq_enable();
	t->fn(t->arg);
	kthread_exit();
}

struct task_struct *task_create(void (*fn)(void *), void *arg, unsigned int cpu,
				const char *name)
{
	uint64_t phys = alloc_pages(GFP_KERNEL, THREAD_STACK_ORDER);
	void *stack = phys ? vmap_stack(phys, THREAD_STACK_SIZE) : NULL;
	if (!stack) {
		if (phys)
			__free_pages(phys, THREAD_STACK_ORDER);
		/* The name may hold the CPU's %u (idle/%u): say it whole. */
		char comm[TASK_COMM_LEN];
		ksnprintf(comm, sizeof(comm), name, cpu);
		pr_err("kthread: no stack for '%s'\n", comm);
		return NULL;
	}
	/* The task structure sits at the top of its own stack: one
	 * allocation per thread, and an overflow runs into the guard page
	 * at the bottom long before it could reach the structure. */
	uint64_t top = (uint64_t)(uintptr_t)stack + THREAD_STACK_SIZE;
	struct task_struct *t =
	    (struct task_struct *)((top - sizeof(*t)) & ~63ULL);
	memset(t, 0, sizeof(*t));
	t->fn = fn;
	t->arg = arg;
	t->cpu = cpu;
	t->state = TASK_RUNNING;
	t->stack_phys = phys;
	t->stack_bottom = (uint64_t)(uintptr_t)stack;
	t->stack_top = (uint64_t)(uintptr_t)t & ~15ULL;
	task_set_comm(t, name, cpu);
	init_waitqueue_head(&t->exited);

	/* What __switch_to pops, lowest first: r15 r14 r13 r12 rbx rbp,
	 * then the return address. r12 carries the task. */
	uint64_t *sp = (uint64_t *)(uintptr_t)t->stack_top;
	*--sp = 0; /* keeps the trampoline's stack 16-byte aligned */
	*--sp = (uint64_t)(uintptr_t)kthread_trampoline;
	*--sp = 0;			/* rbp */
	*--sp = 0;			/* rbx */
	*--sp = (uint64_t)(uintptr_t)t; /* r12 */
	*--sp = 0;			/* r13 */
	*--sp = 0;			/* r14 */
	*--sp = 0;			/* r15 */
	t->rsp = (uint64_t)(uintptr_t)sp;
	task_list_add(t);
	return t;
}

struct task_struct *kthread_create_on_cpu(void (*fn)(void *), void *arg,
					  unsigned int cpu, const char *name)
{
	if (cpu >= MAX_CPUS || !cpus[cpu].online || !runqueues[cpu].curr) {
		pr_err("kthread: '%s' asked for CPU %u, which is not online\n",
		       name, cpu);
		return NULL;
	}
	struct task_struct *t = task_create(fn, arg, cpu, name);
	if (!t)
		return NULL;
	/* Born asleep, then woken: the one path onto a run queue. */
	t->state = TASK_UNINTERRUPTIBLE;
	wake_up_process(t);
	return t;
}

struct task_struct *kthread_run(void (*fn)(void *), void *arg, const char *name)
{
	unsigned int cpu;
	for (unsigned int tries = 0;; tries++) {
		cpu = __atomic_fetch_add(&next_cpu, 1, __ATOMIC_RELAXED) %
		      MAX_CPUS;
		if ((cpus[cpu].online && runqueues[cpu].curr) ||
		    tries >= MAX_CPUS)
			break;
	}
	if (!cpus[cpu].online)
		cpu = 0;
	return kthread_create_on_cpu(fn, arg, cpu, name);
}

void kthread_exit(void)
{
	struct task_struct *t = current;
	/* Dead before the wakeup: the joiner checks the state. It frees
	 * the stack only once `gone` says we have switched away for good
	 * (a preemption before our schedule() below does not count). */
	set_current_state(TASK_DEAD);
	wake_up(&t->exited);
	schedule();
	panic("kthread: dead task '%s' ran again", t->comm);
}

void kthread_join(struct task_struct *t)
{
	unsigned long flags;
	/* Waiting is impossible here (reported by might_sleep): leave the
	 * thread unjoined rather than free a stack that may still run. */
	if (!might_sleep())
		return;
	wait_event(t->exited, t->state == TASK_DEAD);
	/* It may still be on its way out, even queued behind us on this
	 * CPU if it was preempted there: let it run. */
	while (!__atomic_load_n(&t->gone, __ATOMIC_ACQUIRE))
		yield();
	spin_lock_irqsave(&tasks_lock, flags);
	list_del(&t->all_list);
	nr_tasks--;
	spin_unlock_irqrestore(&tasks_lock, flags);
	uint64_t phys = t->stack_phys;
	vunmap_stack((void *)(uintptr_t)t->stack_bottom, THREAD_STACK_SIZE);
	__free_pages(phys, THREAD_STACK_ORDER);
}

unsigned int sched_nr_tasks(void)
{
	return __atomic_load_n(&nr_tasks, __ATOMIC_RELAXED);
}

static const char *state_name(long state)
{
	switch (state) {
	case TASK_RUNNING:
		return "R";
	case TASK_UNINTERRUPTIBLE:
		return "D";
	case TASK_IDLE:
		return "I";
	case TASK_DEAD:
		return "X";
	}
	return "?";
}

unsigned int sched_hung_tasks(unsigned int ms, bool report)
{
	unsigned long flags, now = jiffies, limit = msecs_to_jiffies(ms);
	unsigned int hung = 0;
	spin_lock_irqsave(&tasks_lock, flags);
	for (struct list_head *e = all_tasks.next; e != &all_tasks;
	     e = e->next) {
		struct task_struct *t =
		    container_of(e, struct task_struct, all_list);
		if (t->state != TASK_UNINTERRUPTIBLE ||
		    now - t->blocked_since <= limit)
			continue;
		hung++;
		if (report)
			pr_err("hung task: '%s' (pid %u, CPU %u) blocked for %lu ms\n",
			       t->comm, t->pid, t->cpu,
			       jiffies_to_msecs(now - t->blocked_since));
	}
	spin_unlock_irqrestore(&tasks_lock, flags);
	return hung;
}

/* One line per CPU: what runs, what waits in line, and the two flags
 * that decide when it switches. Read without the run queue locks (a
 * dump for when something is stuck; the lists may be changing). */
static void show_runqueues(void)
{
	for (unsigned int cpu = 0; cpu < MAX_CPUS; cpu++) {
		struct rq *rq = &runqueues[cpu];
		if (!cpus[cpu].online || !rq->curr)
			continue;
		char line[160];
		int n = ksnprintf(line, sizeof(line), "%s", "");
		unsigned int shown = 0;
		for (struct list_head *e = rq->queue.next;
		     e != &rq->queue && shown < 8; e = e->next, shown++) {
			struct task_struct *t =
			    container_of(e, struct task_struct, run_list);
			n += ksnprintf(line + n, sizeof(line) - (size_t)n,
				       " %u", t->pid);
		}
		pr_info("cpu %u: running pid %u '%s', need_resched %d, preempt_count 0x%x, queued:%s\n",
			cpu, rq->curr->pid, rq->curr->comm,
			cpus[cpu].need_resched, cpus[cpu].preempt_count,
			shown ? line : " none");
	}
}

void sched_show_tasks(void)
{
	unsigned long flags;
	show_runqueues();
	spin_lock_irqsave(&tasks_lock, flags);
	pr_info("  pid cpu state  voluntary  forced  wakeups  name\n");
	for (struct list_head *e = all_tasks.next; e != &all_tasks;
	     e = e->next) {
		struct task_struct *t =
		    container_of(e, struct task_struct, all_list);
		pr_info("%5u %3u %5s %10lu %7lu %8lu  %s%s%s\n", t->pid, t->cpu,
			state_name(t->state), (unsigned long)t->nvcsw,
			(unsigned long)t->nivcsw, (unsigned long)t->wakeups,
			t->comm, t->on_rq ? " (queued)" : "",
			t->on_cpu ? " (on cpu)" : "");
	}
	spin_unlock_irqrestore(&tasks_lock, flags);
}
