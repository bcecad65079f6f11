/* fuzz_magic.c: libFuzzer target for the magic parser and completion.
 *
 * Exercises magics/magic.c, magic_registry.c and magic_complete.c: every
 * input is parsed in the three kernel flavours, every option of a parsed cell
 * is read back, and completion runs at a few cursor positions. Besides
 * crashes and leaks it checks the error contract: a failed parse leaves *out
 * NULL and fills a NUL-terminated, valid UTF-8 message. Inputs are capped at
 * 1 MiB. Also linked into tests/unit/test_magic_corpus, which replays tricky
 * inputs in every `make check`. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"
#include "magics/magic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_cell(const struct magic_cell *c) {
  if (!c->spec || !c->name || !c->body || c->body_line < 1) abort();
  if (c->cmd) {
    for (size_t i = 0; i < c->cmd->nopts; i++) {
      const char *v = magic_opt(c, c->cmd->opts[i].long_name);
      if (v && strlen(v) > (size_t)1 << 21) abort();
      (void)magic_opt_given(c, c->cmd->opts[i].long_name);
    }
  }
  for (size_t i = 0; i < magic_npos(c); i++)
    if (!magic_pos(c, i)) abort();
  if (magic_pos(c, magic_npos(c))) abort();
  (void)magic_subcommand(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > ((size_t)1 << 20)) return 0;
  const char *cell = (const char *)data;
  static const enum magic_lang langs[] = {MAGIC_LANG_PYTHON, MAGIC_LANG_SCALA,
                                          MAGIC_LANG_SQL};
  for (size_t l = 0; l < sizeof langs / sizeof *langs; l++) {
    struct err e;
    err_clear(&e);
    struct magic_cell *c = (struct magic_cell *)1;
    int rc = magic_parse_n(cell, size, langs[l], &c, &e);
    if (rc == 0) {
      if (!c) abort();
      check_cell(c);
      magic_cell_free(c);
    } else {
      if (c != NULL) abort();
      if (memchr(e.msg, '\0', sizeof e.msg) == NULL) abort();
      if (!utf8_valid(e.msg, strlen(e.msg))) abort();
      if (e.code != rc) abort();
    }
  }

  /* Completion wants a C string: stop at the first NUL. */
  char *s = malloc(size + 1);
  if (!s) return 0;
  memcpy(s, data, size);
  s[size] = '\0';
  size_t len = strlen(s);
  size_t cursors[4] = {0, len / 2, len, len + 7};
  for (size_t i = 0; i < 4; i++) {
    char **m;
    size_t n, st, en;
    if (magic_complete(s, cursors[i], &m, &n, &st, &en) == 0) {
      if (st > en || en > len) abort();
      magic_matches_free(m, n);
    }
  }
  free(s);
  return 0;
}
