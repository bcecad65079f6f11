/* utf8.c: UTF-8 validation and repair (see utf8.h). */
#include "common/utf8.h"

#include <stdlib.h>
#include <string.h>

size_t utf8_seq_len(const unsigned char *s, size_t n) {
  if (n == 0) return 0;
  unsigned c = s[0];
  if (c < 0x80) return c ? 1 : 0;
  size_t len;
  unsigned min;
  if ((c & 0xE0) == 0xC0) { len = 2; min = 0x80; c &= 0x1F; }
  else if ((c & 0xF0) == 0xE0) { len = 3; min = 0x800; c &= 0x0F; }
  else if ((c & 0xF8) == 0xF0) { len = 4; min = 0x10000; c &= 0x07; }
  else return 0;
  if (n < len) return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    c = (c << 6) | (s[i] & 0x3F);
  }
  /* Overlong forms, surrogates and values past U+10FFFF are invalid. */
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
  return len;
}

int utf8_valid(const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while (i < n) {
    size_t l = utf8_seq_len(p + i, n - i);
    if (!l) return 0;
    i += l;
  }
  return 1;
}

char *utf8_sanitize(const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  /* Worst case every byte becomes the 3-byte U+FFFD. */
  char *out = malloc(n * 3 + 1);
  if (!out) return NULL;
  size_t o = 0, i = 0;
  while (i < n) {
    size_t l = utf8_seq_len(p + i, n - i);
    if (l) {
      memcpy(out + o, p + i, l);
      o += l;
      i += l;
    } else {
      memcpy(out + o, "\xEF\xBF\xBD", 3);
      o += 3;
      i++;
    }
  }
  out[o] = '\0';
  return out;
}

size_t utf8_offset(const char *s, size_t cp) {
  size_t i = 0;
  while (s[i] && cp) {
    i++;
    while (((unsigned char)s[i] & 0xC0) == 0x80) i++;
    cp--;
  }
  return i;
}

size_t utf8_count(const char *s, size_t n) {
  size_t c = 0;
  for (size_t i = 0; i < n; i++)
    if (((unsigned char)s[i] & 0xC0) != 0x80) c++;
  return c;
}
