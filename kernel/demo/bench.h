/*
 * bench=order0: target figures for `make bench` (kernel/demo/bench.c).
 */
#ifndef LABYRINTH_KERNEL_DEMO_BENCH_H
#define LABYRINTH_KERNEL_DEMO_BENCH_H

/* Runs and leaves QEMU if the cmdline asked for it; else returns. */
void bench_run(void);

#endif
