/* readopt.c: option lists shared by the file readers (see readopt.h). */
#include "engine/source/readopt.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *readopt_get(const struct readopt_kv *kv, int n, const char *key) {
  const char *v = NULL;
  for (int i = 0; i < n; i++)
    if (kv[i].key && strcasecmp(kv[i].key, key) == 0) v = kv[i].value;
  return v;
}

int readopt_bool(const struct readopt_kv *kv, int n, const char *key, int *out, struct err *e) {
  const char *v = readopt_get(kv, n, key);
  if (!v) return 0;
  if (!strcasecmp(v, "true")) *out = 1;
  else if (!strcasecmp(v, "false")) *out = 0;
  else return err_set(e, ERR_INVAL, "option '%s' must be 'true' or 'false', got '%s'", key, v);
  return 0;
}

int readopt_mode(const struct readopt_kv *kv, int n, enum readopt_mode *out, struct err *e) {
  const char *v = readopt_get(kv, n, "mode");
  if (!v) return 0;
  if (!strcasecmp(v, "PERMISSIVE")) *out = READOPT_PERMISSIVE;
  else if (!strcasecmp(v, "DROPMALFORMED")) *out = READOPT_DROPMALFORMED;
  else if (!strcasecmp(v, "FAILFAST")) *out = READOPT_FAILFAST;
  else
    return err_set(e, ERR_INVAL,
                   "option 'mode' must be PERMISSIVE, DROPMALFORMED or FAILFAST, got '%s'", v);
  return 0;
}

int readopt_parse_size(const char *s, int64_t *out) {
  if (!s || !*s) return -1;
  int64_t v = 0;
  const char *p = s;
  while (*p >= '0' && *p <= '9') {
    if (v > INT64_MAX / 10 - 10) return -1;
    v = v * 10 + (*p++ - '0');
  }
  if (p == s) return -1;
  int shift = 0;
  if (!*p || !strcasecmp(p, "b")) shift = 0;
  else if (!strcasecmp(p, "k") || !strcasecmp(p, "kb")) shift = 10;
  else if (!strcasecmp(p, "m") || !strcasecmp(p, "mb")) shift = 20;
  else if (!strcasecmp(p, "g") || !strcasecmp(p, "gb")) shift = 30;
  else return -1;
  if (v > (INT64_MAX >> shift)) return -1;
  *out = v << shift;
  return 0;
}

int readopt_char(const char *key, const char *v, int allow_empty, char *out, struct err *e) {
  size_t n = strlen(v);
  if (n == 0) {
    if (allow_empty) {
      *out = '\0';
      return 0;
    }
    return err_set(e, ERR_INVAL, "option '%s' cannot be an empty string", key);
  }
  if (n == 1) {
    if ((unsigned char)v[0] >= 0x80) goto multi;
    *out = v[0];
    return 0;
  }
  if (v[0] == '\\') {
    if (n == 2) {
      switch (v[1]) {
        case 't': *out = '\t'; return 0;
        case 'n': *out = '\n'; return 0;
        case 'r': *out = '\r'; return 0;
        case '\\': *out = '\\'; return 0;
        case '0': *out = '\0'; return 0;
        case '"': *out = '"'; return 0;
        case '\'': *out = '\''; return 0;
        default: break;
      }
      return err_set(e, ERR_INVAL, "unsupported special character for option '%s': '%s'", key, v);
    }
    if (n == 6 && v[1] == 'u') {
      char *end;
      long cp = strtol(v + 2, &end, 16);
      if (*end == '\0' && cp >= 0 && cp < 0x80) {
        *out = (char)cp;
        return 0;
      }
    }
  }
multi:
  return err_set(e, ERR_UNSUPPORTED,
                 "option '%s' must be a single ASCII character (multi-character values are not "
                 "supported), got '%s'",
                 key, v);
}
