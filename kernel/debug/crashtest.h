/*
 * Deliberate crashes for the boot matrix (kernel/debug/crashtest.c).
 */
#ifndef LABYRINTH_KERNEL_DEBUG_CRASHTEST_H
#define LABYRINTH_KERNEL_DEBUG_CRASHTEST_H

/* Crashes as the cmdline's crashtest= asked; returns if it did not ask. */
void crashtest_run(void);

#endif
