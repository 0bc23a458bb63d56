/*
 * printk: the kernel's log. A message may start with a level (KERN_ERR ...,
 * Linux's "<N>" prefixes); messages above the console loglevel are dropped.
 * Output goes to console_write(): COM1 in the kernel, stderr on the host.
 * Tests can capture what is printed to check that an error names its culprit.
 * See docs/01-boot.md ("The console").
 */
#ifndef LABYRINTH_KERNEL_LIB_PRINTK_H
#define LABYRINTH_KERNEL_LIB_PRINTK_H

#include <stdarg.h>
#include <stddef.h>

#define KERN_EMERG "<0>"
#define KERN_ALERT "<1>"
#define KERN_CRIT "<2>"
#define KERN_ERR "<3>"
#define KERN_WARNING "<4>"
#define KERN_NOTICE "<5>"
#define KERN_INFO "<6>"
#define KERN_DEBUG "<7>"
#define LOGLEVEL_DEFAULT 4 /* a message without a prefix: KERN_WARNING */

#define pr_emerg(...) printk(KERN_EMERG __VA_ARGS__)
#define pr_err(...) printk(KERN_ERR __VA_ARGS__)
#define pr_warn(...) printk(KERN_WARNING __VA_ARGS__)
#define pr_notice(...) printk(KERN_NOTICE __VA_ARGS__)
#define pr_info(...) printk(KERN_INFO __VA_ARGS__)
#define pr_debug(...) printk(KERN_DEBUG __VA_ARGS__)

/* Messages with a level number below this are printed (Linux: 7 = all but
 * debug). Set by the loglevel= cmdline option. */
extern int console_loglevel;

int printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintk(const char *fmt, va_list ap);

/* Platform sink: the kernel writes to the serial port, the host to stderr. */
void console_write(const char *s, size_t n);

/* While capturing, every printed message (levels included, whatever the
 * loglevel) is also appended to buf, NUL-terminated. Not nestable. */
void printk_capture_start(char *buf, size_t size);
size_t printk_capture_stop(void);

#endif
