/*
 * cmdline_parse: split into words, match each key=value against the known
 * parameters. Shared with the host tests (tests/shared/cmdline_test.c).
 */
#include "kernel/lib/cmdline.h"
#include "kernel/lib/printk.h"

static int key_equals(const char *key, size_t len, const char *name)
{
	size_t i = 0;
	for (; i < len && name[i]; i++)
		if (key[i] != name[i])
			return 0;
	return i == len && name[i] == '\0';
}

/* seen: bit i set once params[i] took a value (the first 64 params). */
static int parse_word(char *word, const struct cmdline_param *const *params,
		      size_t nparams, unsigned long long *seen)
{
	char *eq = word;
	while (*eq && *eq != '=')
		eq++;
	if (*eq != '=' || eq == word) {
		pr_warn("cmdline: malformed option '%s' ignored (expected key=value)\n",
			word);
		return -1;
	}
	size_t keylen = (size_t)(eq - word);
	for (size_t i = 0; i < nparams; i++) {
		const struct cmdline_param *p = params[i];
		if (!key_equals(word, keylen, p->name))
			continue;
		if (p->set(eq + 1) == 0) {
			/* Like Linux, the last value wins; say so. */
			unsigned long long bit = i < 64 ? 1ULL << i : 0;
			if (*seen & bit)
				pr_warn("cmdline: '%s' given again: '%s' replaces the earlier value\n",
					p->name, word);
			*seen |= bit;
			return 0;
		}
		pr_warn("cmdline: invalid value in '%s' ignored (%s: %s)\n",
			word, p->name, p->help);
		return -1;
	}
	*eq = '\0';
	pr_warn("cmdline: unknown option '%s' ignored\n", word);
	*eq = '=';
	return -1;
}

int cmdline_parse(char *line, const struct cmdline_param *const *params,
		  size_t nparams)
{
	int rejected = 0;
	unsigned long long seen = 0;
	char *p = line;
	while (*p) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		char *word = p;
		while (*p && *p != ' ')
			p++;
		if (*p)
			*p++ = '\0';
		rejected += parse_word(word, params, nparams, &seen) != 0;
	}
	return rejected;
}

int cmdline_parse_on_off(const char *s, bool *out)
{
	if (s[0] == 'o' && s[1] == 'n' && s[2] == '\0')
		*out = true;
	else if (s[0] == 'o' && s[1] == 'f' && s[2] == 'f' && s[3] == '\0')
		*out = false;
	else
		return -1;
	return 0;
}

int cmdline_parse_ulong(const char *s, unsigned long *out)
{
	unsigned long v = 0, base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -1;
	for (; *s; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			return -1;
		if (v > (~0UL - d) / base)
			return -1; /* overflow */
		v = v * base + d;
	}
	*out = v;
	return 0;
}
