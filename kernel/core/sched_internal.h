/*
 * What kernel/core/sched.c and kernel/core/kthread.c share and nobody else needs:
 * the per-CPU run queue and the task list.
 * See docs/05b-threads-and-sleeping.md ("Threads").
 */
#ifndef LABYRINTH_KERNEL_CORE_SCHED_INTERNAL_H
#define LABYRINTH_KERNEL_CORE_SCHED_INTERNAL_H

#include "kernel/core/sched.h"
#include "kernel/core/spinlock.h"

struct rq {
	spinlock_t lock; /* always with interrupts off: the tick takes it */
	struct list_head queue;	 /* runnable tasks, not the running one */
	struct list_head timers; /* tasks sleeping with a timeout */
	struct task_struct *curr, *idle;
	struct task_struct *prev; /* the task the last switch left */
	bool prev_gone;		  /* ... for the last time (it exited) */
	uint64_t nr_switches, nr_preemptions;
} __attribute__((aligned(64)));

extern struct rq runqueues[MAX_CPUS];

void finish_task_switch(struct rq *rq);

/* kthread.c: a task with its stack, set up to start in fn(arg) on `cpu`,
 * not yet runnable; name may hold one %u (the CPU). */
struct task_struct *task_create(void (*fn)(void *), void *arg, unsigned int cpu,
				const char *name);
void task_set_comm(struct task_struct *t, const char *name, unsigned int cpu);
void task_list_add(struct task_struct *t);

#endif
