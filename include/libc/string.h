/* SPDX-License-Identifier: MIT */
/* The string functions of lib/string.c; gcc also emits calls to memcpy/memset/memmove/memcmp
 * on its own, so these must exist under exactly these names. */
#ifndef PVKIT_LIBC_STRING_H
#define PVKIT_LIBC_STRING_H

#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *s, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
char *strstr(const char *haystack, const char *needle);
size_t strlcpy(char *dst, const char *src, size_t size);
size_t strcspn(const char *s, const char *reject);

#endif /* PVKIT_LIBC_STRING_H */
