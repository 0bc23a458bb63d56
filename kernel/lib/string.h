/*
 * The few C string functions the kernel provides (kernel/lib/string.c). Shared
 * code (mm/, tests/) includes this header; on the host the C library's
 * functions of the same names and signatures are used instead.
 */
#ifndef LABYRINTH_KERNEL_LIB_STRING_H
#define LABYRINTH_KERNEL_LIB_STRING_H

#include <stddef.h>

void *memset(void *dst, int c, size_t n);
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

#endif
