/*
 * numa_trace_ms=N: while the ktest run lasts, a thread prints every node's
 * free pages every N milliseconds, one line a sample:
 *   numa-free: ms=T node0=F0 node1=F1 ...
 * (T counted from the trace's start; nodes without memory left out). `make
 * plots` draws them as numa-free.png (tools/plots/numa-free.sh).
 * docs/11-numa.md ("Pictures of the nodes").
 */
#ifndef LABYRINTH_TESTS_TARGET_NUMA_TRACE_H
#define LABYRINTH_TESTS_TARGET_NUMA_TRACE_H

/* Starts the thread if numa_trace_ms was given (on CPU 0). */
void numa_trace_start(void);
/* Stops it, waits for it and prints one last sample. No-op if not started. */
void numa_trace_stop(void);

#endif
