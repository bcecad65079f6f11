/* test_wire_corpus.c: replays hostile wire inputs through the wire fuzz
 * target (tests/fuzz/fuzz_wire.c) in every `make check`; frames are cut at
 * 0x1e bytes. The target aborts on a broken invariant; under valgrind or the
 * sanitizers this also catches leaks and overflows.
 *
 * Usage: test_wire_corpus [FILE...]  (replayed after the built-in inputs). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "kernel/wire.h"
#include "tests/tap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RS "\x1e"
#define HDR "{\"msg_id\":\"m1\",\"msg_type\":\"execute_request\",\"session\":\"s\",\"username\":\"u\",\"version\":\"5.3\",\"date\":\"2024-01-01T00:00:00Z\"}"

static const char *const inputs[] = {
    "",
    RS,
    "<IDS|MSG>",
    "<IDS|MSG>" RS "",
    "<IDS|MSG>" RS RS HDR RS "{}" RS "{}" RS "{}",
    "id1" RS "id2" RS "<IDS|MSG>" RS RS HDR RS "{}" RS "{}" RS "{\"code\":\"1\"}",
    "<IDS|MSG>" RS "deadbeef" RS HDR RS "{}" RS "{}" RS "{}",
    "<IDS|MSG>" RS RS "{\"msg_type\":1}" RS "{}" RS "{}" RS "{}",
    "<IDS|MSG>" RS RS "[]" RS "{}" RS "{}" RS "{}",
    "<IDS|MSG>" RS RS "{" RS "{}" RS "{}" RS "{}",
    "<IDS|MSG>" RS RS HDR RS "null" RS "7" RS "\"s\"",
    "<IDS|MSG>" RS RS "{\"msg_id\":\"\\u0000\",\"msg_type\":\"x\"}" RS "{}" RS "{}" RS "{}",
    "<IDS|MSG>" RS RS "{\"msg_id\":\"a\",\"msg_type\":\"\\ud800\"}" RS "{}" RS "{}" RS "{}",
    "<IDS|MSG>" RS RS HDR RS "{}" RS "{}" RS "{}" RS "buffer1" RS "buffer2",
    "<IDS|MSG>" RS RS "\xff\xfe" RS "{}" RS "{}" RS "{}",
    "<IDS|MSG><IDS|MSG>" RS "<IDS|MSG>" RS RS HDR RS "{}" RS "{}" RS "{}",
};

int main(int argc, char **argv) {
  size_t n = sizeof inputs / sizeof *inputs;
  for (size_t i = 0; i < n; i++)
    LLVMFuzzerTestOneInput((const uint8_t *)inputs[i], strlen(inputs[i]));
  TAP_OK(1, "replayed %zu built-in wire inputs", n);
  /* the replay is not vacuous: the well-formed input decodes (and the
   * target re-encoded it), the bad signature is refused */
  struct wire_frame f[8] = {{"id1", 3}, {"<IDS|MSG>", 9}, {"", 0}, {HDR, strlen(HDR)},
                            {"{}", 2}, {"{}", 2}, {"{\"code\":\"1\"}", 12}};
  struct wire_msg *m = NULL;
  struct err e;
  err_clear(&e);
  TAP_OK(wire_decode(f, 7, "", 0, &m, &e) == 0 && m && m->nids == 1, "a well-formed message decodes");
  wire_msg_free(m);
  m = NULL;
  f[2] = (struct wire_frame){"deadbeef", 8};
  TAP_OK(wire_decode(f, 7, "k", 1, &m, &e) == ERR_INVAL && !m, "a bad signature is refused");
  /* many frames: more than WIRE_MAX_FRAMES */
  char many[4096];
  size_t len = 0;
  for (int i = 0; i < 200; i++) many[len++] = '\x1e';
  LLVMFuzzerTestOneInput((const uint8_t *)many, len);
  TAP_OK(1, "200 empty frames");
  /* deep JSON nesting in the content */
  size_t depth = 100000, dl = 0;
  char *deep = malloc(2 * depth + 512);
  dl += (size_t)sprintf(deep, "<IDS|MSG>" RS RS "%s" RS "{}" RS "{}" RS, HDR);
  for (size_t i = 0; i < depth; i++) deep[dl++] = '[';
  for (size_t i = 0; i < depth; i++) deep[dl++] = ']';
  LLVMFuzzerTestOneInput((const uint8_t *)deep, dl);
  free(deep);
  TAP_OK(1, "deeply nested content");
  for (int i = 1; i < argc; i++) {
    FILE *fp = fopen(argv[i], "rb");
    if (!fp) continue;
    static char buf[1 << 20];
    size_t got = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    LLVMFuzzerTestOneInput((const uint8_t *)buf, got);
    TAP_OK(1, "replayed %s", argv[i]);
  }
  return tap_done();
}
