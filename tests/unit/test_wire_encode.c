/* test_wire_encode.c: the sending side of the wire layer: the compact JSON
 * writer (byte for byte what jansson's json_dumps writes), HMAC-SHA256 with
 * keys of every length class (RFC 4231 vectors), and message ids (version-4
 * UUIDs, unique, and not repeated by a forked child). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kernel/msg.h"
#include "kernel/wire.h"
#include "tests/tap.h"

/* wire_dumps(v) must equal json_dumps(v, JSON_COMPACT). */
static int same_as_jansson(json_t *v) {
  size_t len = 0;
  char *a = wire_dumps(v, &len), *b = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
  int ok = a && b && strcmp(a, b) == 0 && len == strlen(b);
  if (!ok) printf("#   ours:    %s\n#   jansson: %s\n", a ? a : "(null)", b ? b : "(null)");
  free(a);
  free(b);
  return ok;
}

static void test_dumps(void) {
  static const char *const strs[] = {
      "", "plain", "quote \" backslash \\ slash /", "\x01\x1f\x7f tab\t nl\n cr\r bs\b ff\f",
      "h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9d\x84\x9e", "ends with \\"};
  int ok = 1;
  for (size_t i = 0; i < sizeof strs / sizeof *strs; i++) {
    json_t *s = json_string(strs[i]);
    ok &= same_as_jansson(s);
    json_decref(s);
  }
  json_t *nul = json_stringn("a\0b", 3);
  ok &= same_as_jansson(nul);
  json_decref(nul);
  TAP_OK(ok, "strings: escapes, control characters, UTF-8 and NUL as jansson writes them");

  static const json_int_t ints[] = {0, 7, -7, 10, -10, 1234567890123LL,
                                    -9223372036854775807LL - 1, 9223372036854775807LL};
  ok = 1;
  for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) {
    json_t *x = json_integer(ints[i]);
    ok &= same_as_jansson(x);
    json_decref(x);
  }
  TAP_OK(ok, "integers including both extremes");

  static const double reals[] = {0.0, 1.5, -2.25e-300, 1e300, 3.0};
  ok = 1;
  for (size_t i = 0; i < sizeof reals / sizeof *reals; i++) {
    json_t *x = json_real(reals[i]);
    ok &= same_as_jansson(x);
    json_decref(x);
  }
  TAP_OK(ok, "reals");

  /* Random bit patterns and decimal-looking values: every exponent form
   * (e+NN, e-NN, e-NNN) and the ".0" rule, against jansson itself. */
  uint64_t seed = 0x2545F4914F6CDD1Dull;
  int same = 0, tried = 0;
  for (int i = 0; i < 20000; i++) {
    seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
    double d;
    if (i % 2) {
      memcpy(&d, &seed, sizeof d);
    } else {
      d = (double)(seed % 100000000) / 64.0;
    }
    if (!isfinite(d)) continue;
    json_t *x = json_real(d);
    tried++;
    same += same_as_jansson(x);
    json_decref(x);
  }
  TAP_EQ_INT(same, tried, "20,000 random reals written as jansson writes them");

  /* Random strings mixing long plain runs with escapes at every offset of
   * the 8-byte scan, and UTF-8 bytes that look like '"' or '\\' in their
   * low bits. */
  static const char alphabet[] = "abcdefgh\"\\\n\t\x01\x1f \xc3\xa9\xe2\x82\xac<>'";
  char str[80];
  same = 0;
  for (int i = 0; i < 5000; i++) {
    size_t len = 0, want = (size_t)(i % 79);
    while (len < want) {
      seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
      /* mostly plain letters, now and then one of the rest */
      size_t k = seed % 16 < 13 ? seed % 8 : 8 + (seed >> 8) % (sizeof alphabet - 9);
      char c = alphabet[k];
      if ((unsigned char)c >= 0xc0 && len + 3 > want) c = 'z'; /* keep UTF-8 whole */
      if ((unsigned char)c == 0xc3) {
        memcpy(str + len, "\xc3\xa9", 2);
        len += 2;
      } else if ((unsigned char)c == 0xe2) {
        memcpy(str + len, "\xe2\x82\xac", 3);
        len += 3;
      } else if ((unsigned char)c >= 0x80) {
        str[len++] = 'y'; /* a continuation byte alone: not UTF-8 */
      } else {
        str[len++] = c;
      }
    }
    json_t *x = json_stringn(str, len);
    same += x && same_as_jansson(x);
    json_decref(x);
  }
  TAP_EQ_INT(same, 5000, "5,000 random strings escaped as jansson escapes them");

  json_t *o = json_pack("{s:s, s:{}, s:[], s:[i, f, b, b, n, {s:[s, {}]}], s:{s:{s:i}}}", "k\"ey",
                        "v", "empty_obj", "empty_arr", "mixed", 1, 2.5, 1, 0, "inner", "x",
                        "nested", "a", "b", 2);
  TAP_OK(same_as_jansson(o), "nested objects and arrays keep jansson's key order and layout");
  json_decref(o);

  /* A message as the kernel sends it, parsed back: the text round-trips. */
  json_t *h = msg_header("session-\xe2\x9c\x93", "user \"q\"", "execute_reply");
  size_t len = 0;
  char *text = wire_dumps(h, &len);
  json_t *back = text ? json_loadb(text, len, 0, NULL) : NULL;
  TAP_OK(back && json_equal(back, h), "a header survives dump and parse unchanged");
  json_decref(back);
  free(text);
  json_decref(h);

  json_t *a = json_array(), *b = json_array();
  json_array_append(a, b);
  json_array_append(b, a); /* a cycle: jansson refuses it, so must we */
  TAP_OK(wire_dumps(a, NULL) == NULL, "a self-containing value is refused, not recursed into");
  json_array_clear(b);
  json_decref(b);
  json_decref(a);
  TAP_OK(wire_dumps(NULL, NULL) == NULL, "NULL gives NULL");
}

static void hmac_case(const char *key, size_t key_len, const char *data, const char *want,
                      const char *name) {
  /* Split the data over the four parts: the MAC covers their concatenation. */
  size_t n = strlen(data), q = n / 4;
  struct wire_frame parts[4] = {
      {data, q}, {data + q, q}, {data + 2 * q, q}, {data + 3 * q, n - 3 * q}};
  char hex[WIRE_SIG_HEX + 1];
  wire_sign(key, key_len, parts, hex);
  TAP_EQ_STR(hex, want, name);
}

static void test_hmac(void) {
  char k20[20], k131[131], k64[64];
  memset(k20, 0x0b, sizeof k20);
  memset(k131, 0xaa, sizeof k131);
  memset(k64, 'k', sizeof k64);
  hmac_case(k20, sizeof k20, "Hi There",
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            "RFC 4231 case 1 (20-byte key)");
  hmac_case(k131, sizeof k131, "Test Using Larger Than Block-Size Key - Hash Key First",
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            "RFC 4231 case 6 (key longer than a block is hashed first)");
  hmac_case(k131, sizeof k131,
            "This is a test using a larger than block-size key and a larger than block-size "
            "data. The key needs to be hashed before being used by the HMAC algorithm.",
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
            "RFC 4231 case 7 (long key, long data)");
  char abc[301];
  for (int i = 0; i < 300; i++) abc[i] = "abc"[i % 3];
  abc[300] = '\0';
  hmac_case(k64, sizeof k64, abc,
            "3ee0164c1a9a96c7a6a713de52126412d3b08e872c9c9264392ac003ce19c4dd",
            "key of exactly one block is used as is");
}

static int is_v4_uuid(const char *s) {
  if (strlen(s) != 36) return 0;
  for (int i = 0; i < 36; i++) {
    int dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (s[i] == '-')) return 0;
    if (!dash && !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
  }
  return s[14] == '4' && strchr("89ab", s[19]) != NULL;
}

static int cmp_id(const void *a, const void *b) { return strcmp(a, b); }

static void test_uuid(void) {
  enum { N = 5000 }; /* spans many refills of the per-thread pool */
  static char ids[N][37];
  int ok = 1;
  for (int i = 0; i < N; i++) {
    msg_uuid(ids[i]);
    ok &= is_v4_uuid(ids[i]);
  }
  TAP_OK(ok, "msg_id is a lowercase version-4 UUID");
  qsort(ids, N, sizeof ids[0], cmp_id);
  int dup = 0;
  for (int i = 1; i < N; i++) dup |= strcmp(ids[i - 1], ids[i]) == 0;
  TAP_OK(!dup, "%d ids, no repeats", N);

  /* After fork, parent and child must not hand out the same next ids from
   * the pool they shared at the fork. */
  int fd[2];
  char child_id[37] = "", parent_id[37];
  if (pipe(fd) != 0) {
    TAP_OK(0, "pipe for the fork test");
    return;
  }
  pid_t pid = fork();
  if (pid == 0) {
    char id[37];
    msg_uuid(id);
    ssize_t w = write(fd[1], id, sizeof id);
    _exit(w == (ssize_t)sizeof id ? 0 : 1);
  }
  msg_uuid(parent_id);
  close(fd[1]);
  ssize_t r = pid > 0 ? read(fd[0], child_id, sizeof child_id) : -1;
  close(fd[0]);
  int status = 0;
  if (pid > 0) waitpid(pid, &status, 0);
  TAP_OK(r == (ssize_t)sizeof child_id && is_v4_uuid(child_id) &&
             strcmp(child_id, parent_id) != 0,
         "a forked child draws fresh ids (%s vs %s)", child_id, parent_id);
}

int main(void) {
  test_dumps();
  test_hmac();
  test_uuid();
  return tap_done();
}
