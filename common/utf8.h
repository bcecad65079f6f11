/* utf8.h: UTF-8 validation and repair.
 *
 * jansson refuses invalid UTF-8 (json_string returns NULL), so every byte
 * string that comes from outside (Spark output, files, Livy) passes through
 * utf8_sanitize before it goes into a Jupyter message. */
#ifndef KINDLING_UTF8_H
#define KINDLING_UTF8_H

#include <stddef.h>

/* Length in bytes of the valid UTF-8 sequence at s (at most n bytes), or 0 if
 * the bytes there are not valid UTF-8. */
size_t utf8_seq_len(const unsigned char *s, size_t n);
/* 1 if s[0..n) is valid UTF-8 without NUL bytes. */
int utf8_valid(const char *s, size_t n);
/* Returns a new NUL-terminated copy of s[0..n) with invalid sequences and NUL
 * bytes replaced by U+FFFD (caller frees); NULL only when out of memory. */
char *utf8_sanitize(const char *s, size_t n);
/* Byte offset of code point index cp in s (clamped to strlen(s)). Jupyter
 * cursor positions count code points, not bytes. */
size_t utf8_offset(const char *s, size_t cp);
/* Number of code points in s[0..n). */
size_t utf8_count(const char *s, size_t n);

#endif
