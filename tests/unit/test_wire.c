/* test_wire.c: wire framing, signing, headers and UTF-8 repair, including
 * hostile inputs (no delimiter, bad signatures, truncated and oversized
 * messages, malformed JSON). */
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/utf8.h"
#include "kernel/msg.h"
#include "kernel/wire.h"
#include "tests/tap.h"

static const char *KEY = "0123456789abcdef-secret";

/* Build frames for a message signed with key. Returns frame count. */
static size_t make_frames(struct wire_frame *fr, char *parts[4], char *sig, const char *key,
                          size_t nids) {
  json_t *h = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "msg_id", "m1", "session", "s",
                        "username", "u", "date", "2026-01-01T00:00:00.000000Z", "msg_type",
                        "kernel_info_request", "version", "5.3");
  json_t *p = json_object(), *m = json_object(), *c = json_pack("{s:s}", "code", "x");
  size_t lens[4];
  wire_encode(h, p, m, c, key, strlen(key), parts, lens, sig);
  json_decref(h);
  json_decref(p);
  json_decref(m);
  json_decref(c);
  size_t n = 0;
  static const char *ids[] = {"client-a", "client-b"};
  for (size_t i = 0; i < nids; i++) fr[n++] = (struct wire_frame){ids[i], strlen(ids[i])};
  fr[n++] = (struct wire_frame){WIRE_DELIM, strlen(WIRE_DELIM)};
  fr[n++] = (struct wire_frame){sig, strlen(sig)};
  for (int i = 0; i < 4; i++) fr[n++] = (struct wire_frame){parts[i], lens[i]};
  return n;
}

static void test_sign_known_vector(void) {
  /* RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?",
   * split over the four parts to check they are hashed in order. */
  struct wire_frame parts[4] = {{"what do ", 8}, {"ya want ", 8}, {"for ", 4}, {"nothing?", 8}};
  char hex[WIRE_SIG_HEX + 1];
  wire_sign("Jefe", 4, parts, hex);
  TAP_EQ_STR(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
             "HMAC-SHA256 matches RFC 4231 case 2, lowercase hex");
  wire_sign("", 0, parts, hex);
  TAP_EQ_STR(hex, "", "empty key gives an empty signature");
}

static void test_roundtrip(void) {
  struct wire_frame fr[16];
  char *parts[4], sig[WIRE_SIG_HEX + 1];
  size_t n = make_frames(fr, parts, sig, KEY, 2);
  struct wire_msg *m = NULL;
  struct err e;
  err_clear(&e);
  int rc = wire_decode(fr, n, KEY, strlen(KEY), &m, &e);
  TAP_EQ_INT(rc, 0, "signed message decodes");
  TAP_EQ_INT(m ? m->nids : 99, 2, "two identities kept");
  TAP_EQ_STR(m ? m->ids[1] : NULL, "client-b", "identity bytes preserved");
  TAP_EQ_STR(m ? m->msg_type : NULL, "kernel_info_request", "msg_type read from header");
  TAP_EQ_STR(m ? json_string_value(json_object_get(m->content, "code")) : NULL, "x",
             "content parsed");
  wire_msg_free(m);
  wire_parts_free(parts);
}

static void test_hostile(void) {
  struct wire_frame fr[16];
  char *parts[4], sig[WIRE_SIG_HEX + 1];
  struct wire_msg *m = NULL;
  struct err e;
  size_t n = make_frames(fr, parts, sig, KEY, 1);

  err_clear(&e);
  TAP_EQ_INT(wire_decode(fr, n, "wrong-key", 9, &m, &e), ERR_INVAL, "wrong key is rejected");
  TAP_OK(m == NULL, "no message on bad signature");

  char bad[WIRE_SIG_HEX + 1];
  memcpy(bad, sig, sizeof bad);
  bad[10] = bad[10] == 'a' ? 'b' : 'a';
  struct wire_frame save = fr[2];
  fr[2] = (struct wire_frame){bad, strlen(bad)};
  TAP_EQ_INT(wire_decode(fr, n, KEY, strlen(KEY), &m, &e), ERR_INVAL, "one flipped hex digit is rejected");
  fr[2] = (struct wire_frame){sig, 10};
  TAP_EQ_INT(wire_decode(fr, n, KEY, strlen(KEY), &m, &e), ERR_INVAL, "truncated signature is rejected");
  fr[2] = (struct wire_frame){"", 0};
  TAP_EQ_INT(wire_decode(fr, n, KEY, strlen(KEY), &m, &e), ERR_INVAL, "missing signature is rejected");
  TAP_EQ_INT(wire_decode(fr, n, "", 0, &m, &e), 0, "unsigned mode accepts an empty signature");
  wire_msg_free(m);
  m = NULL;
  fr[2] = save;

  /* Tampered content with the original signature. */
  struct wire_frame c = fr[6];
  fr[6] = (struct wire_frame){"{\"code\":\"y\"}", 12};
  TAP_EQ_INT(wire_decode(fr, n, KEY, strlen(KEY), &m, &e), ERR_INVAL, "tampered content is rejected");
  fr[6] = c;

  /* No delimiter anywhere. */
  struct wire_frame nod[3] = {{"id", 2}, {"abc", 3}, {"{}", 2}};
  TAP_EQ_INT(wire_decode(nod, 3, KEY, strlen(KEY), &m, &e), ERR_PARSE, "no delimiter: parse error");
  TAP_OK(strstr(e.msg, "delimiter") != NULL, "message names the delimiter");

  /* Too few frames after the delimiter. */
  TAP_EQ_INT(wire_decode(fr, n - 2, KEY, strlen(KEY), &m, &e), ERR_PARSE, "truncated message: parse error");

  /* Bad JSON in a correctly signed frame (unsigned mode signs nothing). */
  struct wire_frame bj[6] = {{WIRE_DELIM, 9}, {"", 0}, {"{\"msg_id\":", 10}, {"{}", 2}, {"{}", 2}, {"{}", 2}};
  TAP_EQ_INT(wire_decode(bj, 6, "", 0, &m, &e), ERR_PARSE, "malformed header JSON");
  struct wire_frame arr[6] = {{WIRE_DELIM, 9}, {"", 0}, {"[1,2]", 5}, {"{}", 2}, {"{}", 2}, {"{}", 2}};
  TAP_EQ_INT(wire_decode(arr, 6, "", 0, &m, &e), ERR_PARSE, "header must be an object");
  struct wire_frame nomt[6] = {{WIRE_DELIM, 9}, {"", 0}, {"{\"msg_id\":\"a\"}", 14}, {"{}", 2}, {"{}", 2}, {"{}", 2}};
  TAP_EQ_INT(wire_decode(nomt, 6, "", 0, &m, &e), ERR_PARSE, "header without msg_type");
  struct wire_frame nul[6] = {{WIRE_DELIM, 9}, {"", 0}, {"{\"a\":\"\0\"}", 9}, {"{}", 2}, {"{}", 2}, {"{}", 2}};
  TAP_EQ_INT(wire_decode(nul, 6, "", 0, &m, &e), ERR_PARSE, "NUL byte inside JSON");

  /* Oversized: more frames than the cap. */
  struct wire_frame many[WIRE_MAX_FRAMES + 1];
  for (int i = 0; i <= WIRE_MAX_FRAMES; i++) many[i] = (struct wire_frame){"x", 1};
  TAP_EQ_INT(wire_decode(many, WIRE_MAX_FRAMES + 1, "", 0, &m, &e), ERR_TOOBIG, "too many frames");
  struct wire_frame huge[6] = {{WIRE_DELIM, 9}, {"", 0}, {"{}", WIRE_MAX_BYTES}, {"{}", 2}, {"{}", 2}, {"{}", 2}};
  TAP_EQ_INT(wire_decode(huge, 6, "", 0, &m, &e), ERR_TOOBIG, "over the byte cap (checked before reading)");

  /* The delimiter is found by scanning: an identity that looks like JSON. */
  struct wire_frame odd[7] = {{"{}", 2}, {WIRE_DELIM, 9}, {"", 0},
                              {"{\"msg_id\":\"a\",\"msg_type\":\"t\"}", 29}, {"{}", 2}, {"{}", 2}, {"{}", 2}};
  TAP_EQ_INT(wire_decode(odd, 7, "", 0, &m, &e), 0, "delimiter found after a JSON-looking identity");
  wire_msg_free(m);
  wire_parts_free(parts);
}

static void test_header(void) {
  json_t *h1 = msg_header("sess", "user", "status");
  json_t *h2 = msg_header("sess", "user", "status");
  const char *d = json_string_value(json_object_get(h1, "date"));
  TAP_OK(d && strlen(d) == 27 && d[10] == 'T' && d[19] == '.' && d[26] == 'Z',
         "date is ISO 8601 with six-digit microseconds and Z (%s)", d ? d : "");
  TAP_OK(strcmp(json_string_value(json_object_get(h1, "msg_id")),
                json_string_value(json_object_get(h2, "msg_id"))) != 0,
         "every header has a fresh msg_id");
  TAP_EQ_STR(json_string_value(json_object_get(h1, "version")), "5.3", "protocol version 5.3");
  const char *id = json_string_value(json_object_get(h1, "msg_id"));
  int lower = 1;
  for (const char *p = id; *p; p++)
    if (*p >= 'A' && *p <= 'Z') lower = 0;
  TAP_OK(strlen(id) == 36 && lower, "msg_id is a lowercase UUID");
  json_decref(h1);
  json_decref(h2);
}

static void test_utf8(void) {
  char *s = utf8_sanitize("ok\xff\xfe end", 8);
  TAP_EQ_STR(s, "ok\xef\xbf\xbd\xef\xbf\xbd end", "invalid bytes become U+FFFD");
  free(s);
  s = utf8_sanitize("a\0b", 3);
  TAP_EQ_STR(s, "a\xef\xbf\xbd" "b", "NUL becomes U+FFFD");
  free(s);
  s = utf8_sanitize("\xc0\xaf", 2);
  TAP_EQ_STR(s, "\xef\xbf\xbd\xef\xbf\xbd", "overlong encoding is invalid");
  free(s);
  s = utf8_sanitize("\xed\xa0\x80", 3);
  TAP_OK(s && strncmp(s, "\xef\xbf\xbd", 3) == 0, "surrogate is invalid");
  free(s);
  TAP_OK(utf8_valid("h\xc3\xa9llo \xf0\x9f\x94\xa5", 11), "valid multibyte text");
  TAP_EQ_INT(utf8_offset("h\xc3\xa9llo", 2), 3, "code point 2 is byte 3");
  TAP_EQ_INT(utf8_count("\xf0\x9f\x94\xa5x", 5), 2, "count code points");
}

static void test_buf(void) {
  struct buf b;
  buf_init(&b, 8);
  TAP_EQ_INT(buf_puts(&b, "12345678"), 0, "append up to the cap");
  TAP_EQ_INT(buf_puts(&b, "9"), ERR_TOOBIG, "append past the cap fails");
  TAP_EQ_STR(b.data, "12345678", "buffer unchanged after a refused append");
  buf_fini(&b);
  buf_init(&b, 1024);
  buf_put_html(&b, "<a href=\"x\">&'</a>");
  TAP_EQ_STR(b.data, "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;", "HTML escaping");
  buf_fini(&b);
}

int main(void) {
  test_sign_known_vector();
  test_roundtrip();
  test_hostile();
  test_header();
  test_utf8();
  test_buf();
  return tap_done();
}
