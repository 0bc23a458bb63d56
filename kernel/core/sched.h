/*
 * Kernel threads and the scheduler: each CPU runs its own tasks round robin,
 * a time slice each, switching on the timer tick (preemption) or when a
 * task blocks; a CPU with nothing to run runs its idle task, which halts.
 * Tasks never move between CPUs, so smp_processor_id() is stable for a
 * task. See docs/05b-threads-and-sleeping.md ("Threads").
 */
#ifndef LABYRINTH_KERNEL_CORE_SCHED_H
#define LABYRINTH_KERNEL_CORE_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/arch/x86/smp.h"
#include "kernel/core/wait.h"
#include "mm/mmzone.h" /* struct list_head */

/* Task states: kernel/core/wait.h (its macros need them). */
#define TASK_COMM_LEN 16
#define THREAD_STACK_ORDER 2 /* 16 KiB stacks, a guard page below each */
#define SCHED_SLICE_MS 10    /* round-robin time slice */

struct task_struct {
	uint64_t rsp; /* saved while switched out; first: switch.asm reads it */
	volatile long state;
	unsigned int cpu; /* the CPU it runs on, for its whole life */
	unsigned int pid;
	char comm[TASK_COMM_LEN];
	unsigned int flags; /* PF_MEMALLOC... (mm/memalloc.h) */
	bool is_idle;
	volatile bool on_cpu; /* running, or still switching away */
	volatile bool gone;   /* dead and switched away for good */
	bool on_rq;	      /* on its CPU's run queue */
	struct list_head run_list;
	struct list_head timer_list; /* on its CPU's timeout list */
	bool timer_armed;
	unsigned long timeout_at;    /* jiffies */
	unsigned long blocked_since; /* jiffies, while blocked */
	unsigned int slice_left;     /* ticks */
	/* What it runs and how it ended. */
	void (*fn)(void *arg);
	void *arg;
	struct wait_queue_head exited;
	/* Its stack: RAM from the allocator, mapped with a guard page below. */
	uint64_t stack_phys;
	uint64_t stack_bottom, stack_top;
	struct list_head all_list; /* every task, for dumps and watchdogs */
	/* Statistics (Linux's nvcsw/nivcsw: voluntary and forced switches). */
	uint64_t nvcsw, nivcsw, wakeups;
};

/* The task running on this CPU. */
static inline struct task_struct *get_current(void)
{
	struct task_struct *t;
	__asm__ volatile("movq %%gs:%c1, %0"
			 : "=r"(t)
			 : "i"(__builtin_offsetof(struct cpu, current_task)));
	return t;
}
#define current get_current()

/*
 * The state change that begins a sleep. The full barrier orders it before
 * the caller's next read of its wait condition, so a waker that sets the
 * condition either sees this state (and wakes us) or we see its condition.
 */
static inline void set_current_state(long state)
{
	__atomic_store_n(&current->state, state, __ATOMIC_SEQ_CST);
}
static inline void __set_current_state(long state)
{
	current->state = state;
}

/* Boot: the boot CPU's kmain becomes task "init" and gets an idle task.
 * After mm_setup() (stacks come from the allocator), before the APs. */
void sched_init(void);
/* On each AP, before it enables interrupts: its boot context becomes its
 * idle task. */
void sched_init_ap(struct cpu *c);
/* True once sched_init() has run. */
extern bool sched_running;

/* Gives up the CPU: the task stays runnable unless it set another state. */
void schedule(void);
/* Sleeps (state set by the caller) for at most `timeout` jiffies; returns
 * the jiffies left (0: the time ran out). */
long schedule_timeout(long timeout);
/* Sleeps at least ms milliseconds. */
void msleep(unsigned int ms);
/* Lets the other runnable tasks on this CPU run first. */
void yield(void);
/* Makes a blocked task runnable; false if it was not blocked. Callable
 * from interrupt handlers and with interrupts off. */
bool wake_up_process(struct task_struct *t);

/* The tick's part (kernel/arch/x86/timer.c, every CPU): timeouts and time slices. */
void sched_tick(void);
/* From irq_dispatch, interrupts off, after the handler: switch if due. */
void preempt_schedule_irq(void);

/*
 * Kernel threads. kthread_create_on_cpu makes a task that will run fn(arg)
 * on `cpu` (an online CPU), named `name`; it starts runnable. Returns NULL
 * (reported) if no stack could be had. A thread ends by returning from fn
 * or calling kthread_exit(); another task must then kthread_join() it,
 * which waits for the end and frees its stack. Threads that never end
 * (kswapd, idle) are never joined.
 */
struct task_struct *kthread_create_on_cpu(void (*fn)(void *), void *arg,
					  unsigned int cpu, const char *name);
/* The same on the next online CPU in turn. */
struct task_struct *kthread_run(void (*fn)(void *), void *arg,
				const char *name);
void kthread_exit(void) __attribute__((noreturn));
void kthread_join(struct task_struct *t);

/* The idle loop (each CPU's idle task): halt until there is work. */
void cpu_idle(void) __attribute__((noreturn));

/* Tasks blocked (TASK_UNINTERRUPTIBLE, not TASK_IDLE) for longer than ms
 * milliseconds right now (a hung-task watchdog for tests); each is printed
 * when report is true. */
unsigned int sched_hung_tasks(unsigned int ms, bool report);
/* Live tasks (not yet joined), idle tasks included. */
unsigned int sched_nr_tasks(void);
/* One line per task: state, CPU, switches, how long blocked. */
void sched_show_tasks(void);
/* Switches made on all CPUs, and those forced by preemption. */
uint64_t sched_nr_switches(void);
uint64_t sched_nr_preemptions(void);

#define RESCHEDULE_VECTOR 0xfd

#endif
