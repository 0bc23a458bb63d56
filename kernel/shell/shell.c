/*
 * The allocator shell's thread: it reads the serial port (sleeping on the
 * receive wait queue while nothing arrives), edits a line, splits it into
 * words and runs the command named by the first. The commands themselves
 * are in kernel/shell/commands.c.
 * docs/07-debugging-the-allocator.md ("The allocator shell").
 */
#include "kernel/shell/shell.h"
#include "kernel/arch/x86/serial.h"
#include "kernel/core/sched.h"
#include "kernel/debug/panic.h"
#include "kernel/lib/cmdline.h"
#include "kernel/lib/format.h"
#include "kernel/lib/printk.h"
#include "kernel/shell/shell_internal.h"
#include "mm/page_alloc.h"

#define SHELL_PROMPT "labyrinth> "
#define LINE_MAX 128 /* characters per line, the NUL included */

static bool shell_wanted;

static int set_shell(const char *value)
{
	if ((value[0] != '0' && value[0] != '1') || value[1] != '\0')
		return -1;
	shell_wanted = value[0] == '1';
	return 0;
}
CMDLINE_PARAM("shell", set_shell,
	      "1: boot into the allocator shell on the serial console");

bool shell_requested(void)
{
	return shell_wanted;
}

void sh_printf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	int n = kvsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	console_write(buf, n < (int)sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

bool sh_streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

int sh_parse_number(const char *cmd, const char *what, const char *arg,
		    unsigned long max, unsigned long *out)
{
	unsigned long v;
	if (cmdline_parse_ulong(arg, &v) || v > max) {
		sh_printf("%s: bad %s '%s' (a number, 0..%lu)\n", cmd, what,
			  arg, max);
		return -1;
	}
	*out = v;
	return 0;
}

/* ---------------------------------------------------------------- commands */

static bool shell_done;

static void cmd_help(int argc, char **argv);

static void cmd_exit(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	shell_done = true;
}

static void cmd_sleep(int argc, char **argv)
{
	unsigned long ms;
	(void)argc;
	if (!sh_parse_number("sleep", "time", argv[1], 60000, &ms))
		msleep((unsigned int)ms);
}

static void cmd_reboot(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	sh_printf("reboot: resetting the machine\n");
	machine_restart();
}

static const struct shell_command {
	const char *name;
	int min_args, max_args; /* words after the name */
	const char *usage;	/* the arguments, for help and errors */
	const char *help;
	void (*run)(int argc, char **argv);
} commands[] = {
	{ "help", 0, 0, "", "this list", cmd_help },
	{ "meminfo", 0, 0, "", "totals, the atomic reserve, per-CPU lists",
	  cmd_meminfo },
	{ "buddyinfo", 0, 0, "", "free blocks per zone and order",
	  cmd_buddyinfo },
	{ "pagetypeinfo", 0, 0, "",
	  "free blocks by migrate type, pageblocks per type",
	  cmd_pagetypeinfo },
	{ "zoneinfo", 0, 0, "", "each zone's watermarks and sizes",
	  cmd_zoneinfo },
	{ "alloc", 1, SHELL_MAX_ARGS - 2, "ORDER [FLAG...]",
	  "allocate 2^ORDER pages (GFP_KERNEL unless flags are named)",
	  cmd_alloc },
	{ "free", 1, 1, "HANDLE", "free what alloc gave that handle",
	  cmd_free },
	{ "hoard", 0, 1, "[N|all]",
	  "take N pages (default all) with GFP_KERNEL and keep them",
	  cmd_hoard },
	{ "release", 0, 0, "", "give back everything hoard took", cmd_release },
	{ "irqalloc", 0, 3, "[on RATE ORDER|off]",
	  "GFP_ATOMIC alloc+free in every CPU's tick, RATE/s; alone: counters",
	  cmd_irqalloc },
	{ "check", 0, 0, "", "mm_check(): every invariant of the free lists",
	  cmd_check },
	{ "compact", 0, 0, "",
	  "compact every zone now (Linux's compact_memory)", cmd_compact },
	{ "owner", 1, 1, "top", "page_owner: the sites holding most pages",
	  cmd_owner },
	{ "fail", 0, 1, "[I,P,T|off]",
	  "fault injection, as fail_page_alloc=; alone: its state", cmd_fail },
	{ "ktest", 1, 1, "SUITE[,SUITE]", "run target test suites now",
	  cmd_ktest },
	{ "sleep", 1, 1, "MS", "wait MS milliseconds (for scripts)",
	  cmd_sleep },
	{ "reboot", 0, 0, "", "reset the machine", cmd_reboot },
	{ "exit", 0, 0, "", "give everything back and leave the shell",
	  cmd_exit },
};
#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	sh_printf("commands (a line starting with # is a comment):\n");
	for (unsigned int i = 0; i < NR_COMMANDS; i++) {
		char left[40];
		ksnprintf(left, sizeof(left), "%s %s", commands[i].name,
			  commands[i].usage);
		sh_printf("  %-28s %s\n", left, commands[i].help);
	}
	sh_printf(
	    "flags: GFP_KERNEL GFP_ATOMIC GFP_NOWAIT __GFP_ZERO __GFP_DMA __GFP_DMA32 __GFP_HIGH __GFP_NOWARN __GFP_NORETRY __GFP_NOFAIL ...\n");
	sh_printf(
	    "keys: backspace, ctrl-U erases the line, ctrl-C abandons it\n");
}

/* Splits line (in place) into words; returns how many, or -1 if more than
 * SHELL_MAX_ARGS. */
static int split_words(char *line, char **argv)
{
	int argc = 0;
	char *p = line;
	for (;;) {
		while (*p == ' ')
			*p++ = '\0';
		if (!*p)
			return argc;
		if (argc == SHELL_MAX_ARGS)
			return -1;
		argv[argc++] = p;
		while (*p && *p != ' ')
			p++;
	}
}

static unsigned long lines_run;

static void run_line(char *line)
{
	char *argv[SHELL_MAX_ARGS];
	while (*line == ' ')
		line++;
	if (!*line || *line == '#')
		return;
	lines_run++;
	int argc = split_words(line, argv);
	if (argc < 0) {
		sh_printf("shell: too many words (at most %d)\n",
			  SHELL_MAX_ARGS);
		return;
	}
	for (unsigned int i = 0; i < NR_COMMANDS; i++) {
		const struct shell_command *c = &commands[i];
		if (!sh_streq(argv[0], c->name))
			continue;
		if (argc - 1 < c->min_args || argc - 1 > c->max_args) {
			sh_printf("%s: %s (usage: %s %s)\n", c->name,
				  argc - 1 < c->min_args ? "missing arguments"
							 : "too many arguments",
				  c->name, c->usage);
			return;
		}
		c->run(argc, argv);
		return;
	}
	sh_printf("shell: unknown command '%s' (help lists them)\n", argv[0]);
}

/* ---------------------------------------------------------------- line editor */

static struct {
	char buf[LINE_MAX];
	unsigned int len;
	bool too_long; /* characters were dropped: refuse the line */
	bool last_cr;  /* a LF right after a CR ends nothing (CRLF) */
	int escape;    /* 0; 1 after ESC; 2 inside ESC [ or ESC O */
} ed;

static void erase_chars(unsigned int n)
{
	while (n--)
		sh_printf("\b \b");
}

static void end_line(void)
{
	sh_printf("\n");
	ed.buf[ed.len] = '\0';
	if (ed.too_long)
		sh_printf("shell: line too long (at most %d characters): ignored\n",
			  LINE_MAX - 1);
	else
		run_line(ed.buf);
	ed.len = 0;
	ed.too_long = false;
	if (!shell_done)
		sh_printf(SHELL_PROMPT);
}

/* One received byte. Terminals send CR for Enter, files LF or CRLF. */
static void edit_byte(char c)
{
	bool cr = c == '\r';
	if (ed.escape) {
		/* Cursor keys and the like: ESC [ ... final, or ESC O x. */
		if (ed.escape == 1 && (c == '[' || c == 'O'))
			ed.escape = 2;
		else if (ed.escape == 1 || (c >= 0x40 && c <= 0x7e))
			ed.escape = 0;
		return;
	}
	if (c == '\n' && ed.last_cr) {
		ed.last_cr = false;
		return;
	}
	ed.last_cr = cr;
	switch (c) {
	case '\r':
	case '\n':
		end_line();
		return;
	case 0x7f: /* DEL: what the backspace key sends */
	case '\b':
		if (ed.len) {
			ed.len--;
			erase_chars(1);
		}
		return;
	case 0x15: /* ctrl-U */
		erase_chars(ed.len);
		ed.len = 0;
		ed.too_long = false;
		return;
	case 0x03: /* ctrl-C */
		sh_printf("^C\n" SHELL_PROMPT);
		ed.len = 0;
		ed.too_long = false;
		return;
	case 0x1b:
		ed.escape = 1;
		return;
	case '\t':
		c = ' ';
		break;
	}
	if ((unsigned char)c < 0x20 || (unsigned char)c > 0x7e)
		return; /* other control and non-ASCII bytes: ignored */
	if (ed.len + 1 >= LINE_MAX) {
		ed.too_long = true;
		return;
	}
	ed.buf[ed.len++] = c;
	sh_printf("%c", c);
}

/* ---------------------------------------------------------------- the thread */

static void shell_thread(void *arg)
{
	(void)arg;
	if (serial_rx_start()) {
		pr_err("shell: cannot receive on COM1: no shell\n");
		return;
	}
	sh_printf(
	    "shell: the allocator shell on COM1 (help lists the commands; exit leaves)\n" SHELL_PROMPT);
	while (!shell_done) {
		char chunk[64];
		wait_event_idle(serial_rx_wait, serial_rx_pending());
		size_t n = serial_rx_read(chunk, sizeof(chunk));
		for (size_t i = 0; i < n && !shell_done; i++)
			edit_byte(chunk[i]);
	}
	shell_release_all();
	struct serial_rx_stats st;
	serial_rx_get_stats(&st);
	sh_printf(
	    "shell: bye after %lu command%s, received %llu bytes in %llu interrupts, paused %llu time%s, %llu UART overrun%s\n",
	    lines_run, lines_run == 1 ? "" : "s", (unsigned long long)st.bytes,
	    (unsigned long long)st.interrupts, (unsigned long long)st.throttled,
	    st.throttled == 1 ? "" : "s", (unsigned long long)st.overruns,
	    st.overruns == 1 ? "" : "s");
}

void shell_run(void)
{
	struct task_struct *t =
	    kthread_create_on_cpu(shell_thread, NULL, 0, "shell");
	if (!t)
		return;
	/* Asleep as TASK_IDLE, not hung: the shell may run for hours. */
	wait_event_idle(t->exited, t->state == TASK_DEAD);
	kthread_join(t);
}
