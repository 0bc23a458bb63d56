/*
 * The kernel command line: space-separated key=value words, read from
 * \labyrinth\cmdline.txt by the loader. Each option is registered with
 * CMDLINE_PARAM (like Linux's early_param) next to the code it controls.
 * An unknown or malformed word is warned about by name and ignored; an
 * option given twice takes the last value, with a warning.
 */
#ifndef LABYRINTH_KERNEL_LIB_CMDLINE_H
#define LABYRINTH_KERNEL_LIB_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

struct cmdline_param {
	const char *name;
	/* Returns 0 if the value was accepted, -1 if it was invalid. */
	int (*set)(const char *value);
	const char *help; /* what the value means, for the warning */
};

#define CMDLINE_PARAM(key, setter, help_text)                              \
	static const struct cmdline_param cmdline_param_##setter = {       \
		key, setter, help_text                                     \
	};                                                                 \
	static const struct cmdline_param *const cmdline_ptr_##setter      \
	    __attribute__((used, section("cmdline_params"), aligned(8))) = \
		&cmdline_param_##setter

/* Parses `line` (modified in place: words are NUL-terminated) against the
 * given parameters. Returns how many words were rejected. */
int cmdline_parse(char *line, const struct cmdline_param *const *params,
		  size_t nparams);

/* Parses a decimal or 0x-prefixed unsigned number; -1 if not one. */
int cmdline_parse_ulong(const char *s, unsigned long *out);

/* Parses "on" (true) or "off" (false); -1 if neither, *out untouched. */
int cmdline_parse_on_off(const char *s, bool *out);

#endif
