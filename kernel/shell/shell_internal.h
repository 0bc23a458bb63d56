/*
 * Inside the allocator shell: what kernel/shell/shell.c (the thread, the
 * line editor, the command table) and kernel/shell/commands.c (the
 * commands) share. docs/07-debugging-the-allocator.md ("The allocator
 * shell").
 */
#ifndef LABYRINTH_KERNEL_SHELL_SHELL_INTERNAL_H
#define LABYRINTH_KERNEL_SHELL_SHELL_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#define SHELL_MAX_ARGS 12

/* Shell output: always printed, whatever the loglevel. */
void sh_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parses a whole decimal (or 0x) number no larger than max: 0, or -1
 * after a one-line message "<cmd>: bad <what> '<arg>' (...)". */
int sh_parse_number(const char *cmd, const char *what, const char *arg,
		    unsigned long max, unsigned long *out);
bool sh_streq(const char *a, const char *b);

/* The commands (kernel/shell/commands.c): argv[0] is the command's name;
 * the argument count is already within the table's limits. */
void cmd_meminfo(int argc, char **argv);
void cmd_buddyinfo(int argc, char **argv);
void cmd_pagetypeinfo(int argc, char **argv);
void cmd_zoneinfo(int argc, char **argv);
void cmd_alloc(int argc, char **argv);
void cmd_free(int argc, char **argv);
void cmd_hoard(int argc, char **argv);
void cmd_release(int argc, char **argv);
void cmd_irqalloc(int argc, char **argv);
void cmd_check(int argc, char **argv);
void cmd_compact(int argc, char **argv);
void cmd_owner(int argc, char **argv);
void cmd_fail(int argc, char **argv);
void cmd_ktest(int argc, char **argv);

/* `exit`: gives back all the shell holds (handles, the hoard, the tick
 * hook) and says what it gave back. */
void shell_release_all(void);

#endif
