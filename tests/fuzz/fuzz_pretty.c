/* fuzz_pretty.c: libFuzzer target for %%pretty's show() table recognition
 * (kernel/pretty.c).
 *
 * Besides crashes and leaks it checks the contract that makes %%pretty
 * lossless: text parts concatenated with the tables' lines hold every input
 * line, so the text parts' bytes plus the table parts' line count never
 * exceed the input, and every table row has as many cells as the header.
 * Also linked into tests/unit/test_pretty, which replays tricky inputs in
 * every `make check`. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/pretty.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > ((size_t)1 << 20)) return 0;
  char *text = malloc(size + 1);
  if (!text) return 0;
  memcpy(text, data, size);
  text[size] = 0;
  struct pretty_part *parts;
  size_t n, bytes = 0;
  if (pretty_split(text, &parts, &n) == 0) {
    for (size_t i = 0; i < n; i++) {
      if (parts[i].is_table) {
        size_t ncols = json_array_size(parts[i].columns);
        if (!ncols || ncols > PRETTY_MAX_COLS || parts[i].text) abort();
        for (size_t r = 0; r < json_array_size(parts[i].rows); r++)
          if (json_array_size(json_array_get(parts[i].rows, r)) != ncols) abort();
        bytes += 3 * (ncols + 1) + 3; /* at least the border, header and borders */
      } else {
        if (!parts[i].text || !parts[i].text[0]) abort();
        bytes += strlen(parts[i].text);
      }
    }
    if (bytes > strlen(text)) abort();
    pretty_free(parts, n);
  }
  free(text);
  return 0;
}
