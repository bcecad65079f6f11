/* fuzz_sql.c: libFuzzer target for the Spark SQL front end.
 *
 * Every input is parsed as a script, as a lone expression and as a type
 * name. Besides crashes, leaks and stack overflows it checks the contracts:
 * a successful parse has statements whose source ranges lie inside the input
 * and whose dumps are valid UTF-8; a failed parse leaves *out NULL and fills
 * a NUL-terminated, valid UTF-8 message whose code matches the return value,
 * with a position for syntax errors; the caret display can always be
 * rendered. Inputs are capped at 1 MiB. Also linked into
 * tests/unit/test_sql_parse, which replays hostile inputs in every build. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/utf8.h"
#include "engine/sql/ast.h"
#include "engine/sql/parser.h"
#include "engine/sql/sql_error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_err(int rc, const struct err *e, const char *sql) {
  if (e->code != rc) abort();
  if (memchr(e->msg, '\0', sizeof e->msg) == NULL) abort();
  if (!utf8_valid(e->msg, strlen(e->msg))) abort();
  if (rc == ERR_PARSE && (e->line < 1 || e->column < 1)) abort();
  struct buf b;
  buf_init(&b, (size_t)8 << 20);
  if (sql_error_render(sql, e, &b) != 0) abort();
  if (b.data && !utf8_valid(b.data, b.len)) abort();
  buf_fini(&b);
}

static void check_pos(const struct ast_pos *p, size_t size) {
  if (p->offset > size || p->length > size - p->offset) abort();
  if (p->line < 1 || p->column < 1) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > ((size_t)1 << 20)) return 0;
  const char *sql = (const char *)data;
  /* A NUL-terminated copy for the caret renderer (stops at an inner NUL). */
  char *z = malloc(size + 1);
  if (!z) return 0;
  memcpy(z, data, size);
  z[size] = '\0';

  struct err e;
  struct ast_script *sc = (struct ast_script *)1;
  int rc = parser_parse(sql, size, &sc, &e);
  if (rc == 0) {
    if (!sc) abort();
    struct buf b;
    buf_init(&b, (size_t)64 << 20);
    for (size_t i = 0; i < sc->n; i++) {
      check_pos(&sc->stmts[i]->pos, size);
      buf_reset(&b);
      if (ast_dump_stmt(sc->stmts[i], &b) != 0) abort();
      if (!b.data || !utf8_valid(b.data, b.len)) abort();
    }
    buf_fini(&b);
    if (sc->n) ast_stmt_free(ast_script_take(sc, 0));
    ast_script_free(sc);
  } else {
    if (sc != NULL) abort();
    check_err(rc, &e, z);
  }

  struct ast_stmt *st = (struct ast_stmt *)1;
  rc = parser_parse_expr(sql, size, &st, &e);
  if (rc == 0) {
    if (!st || st->kind != AST_S_EXPR || !st->u.expr) abort();
    check_pos(&st->u.expr->pos, size);
    ast_stmt_free(st);
  } else {
    if (st != NULL) abort();
    check_err(rc, &e, z);
  }

  struct type t;
  rc = parser_parse_type(sql, size, &t, &e);
  if (rc != 0) check_err(rc, &e, z);
  else if (t.id <= TYPE_NULL || t.id >= TYPE__COUNT) abort();
  free(z);
  return 0;
}
