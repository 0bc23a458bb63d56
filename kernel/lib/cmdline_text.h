/*
 * Turning the bytes of \labyrinth\cmdline.txt into one line of text, the
 * same for the loader (boot/loader.c, which reports what it changed) and
 * the host tests (tests/shared/cmdline_test.c). Header-only: the loader
 * links no printk. A file written on another system may carry CRLF line
 * ends, tabs, a UTF-8 byte-order mark, NUL bytes or non-ASCII text; each
 * gets a defined outcome instead of a surprise later:
 *   '\n' '\r' '\t'      become spaces (several lines are one command line)
 *   a leading UTF-8 BOM is dropped (editors add it; it is not text)
 *   NUL, other control bytes and bytes >= 0x80 become '?', counted, so
 *                        the option they sat in is rejected by name
 *   past cap - 1 bytes  cut, and the length asked is returned
 * Trailing spaces are trimmed. docs/01-boot.md ("Loading the kernel").
 */
#ifndef LABYRINTH_KERNEL_LIB_CMDLINE_TEXT_H
#define LABYRINTH_KERNEL_LIB_CMDLINE_TEXT_H

#include <stddef.h>

struct cmdline_text {
	size_t len;	   /* bytes in dst, without the NUL */
	size_t truncated;  /* 0, or the file's length when it was cut */
	unsigned replaced; /* bytes turned into '?' */
};

static inline struct cmdline_text cmdline_copy_text(const char *src, size_t len,
						    char *dst, size_t cap)
{
	struct cmdline_text r = { 0, 0, 0 };
	const unsigned char *s = (const unsigned char *)src;
	size_t file_len = len; /* what a truncation message reports */
	if (len >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf) {
		s += 3;
		len -= 3;
	}
	if (cap == 0)
		return r;
	if (len > cap - 1) {
		r.truncated = file_len;
		len = cap - 1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];
		if (c == '\n' || c == '\r' || c == '\t') {
			c = ' ';
		} else if (c < 0x20 || c >= 0x7f) {
			c = '?';
			r.replaced++;
		}
		dst[r.len++] = (char)c;
	}
	while (r.len > 0 && dst[r.len - 1] == ' ')
		r.len--;
	dst[r.len] = '\0';
	return r;
}

#endif
