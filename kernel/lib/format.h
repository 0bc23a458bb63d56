/*
 * kvsnprintf/ksnprintf: printf-style formatting for the kernel and the host
 * tests. Same contract as C's vsnprintf: returns the length the full output
 * would have, writes at most size-1 characters plus a NUL.
 */
#ifndef LABYRINTH_KERNEL_LIB_FORMAT_H
#define LABYRINTH_KERNEL_LIB_FORMAT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
