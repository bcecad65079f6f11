/* bind_from.h: the FROM clause -> plan and scope: catalog tables (file
 * scans), views (re-parsed and analyzed in place), CTE references (inlined
 * at every use), csv.`path` relations, derived tables, VALUES, range(),
 * and joins (comma lists as CROSS joins; ON split into equi-keys and a
 * residual; USING / NATURAL with Spark's merged key columns). */
#ifndef KINDLING_ENGINE_ANALYZE_BIND_FROM_H
#define KINDLING_ENGINE_ANALYZE_BIND_FROM_H

#include "engine/analyze/bind.h"

/* Bind from[0..nfrom) (borrowed; nfrom >= 1) into *out, appending the
 * visible columns to sc (whose outer the caller has set). outer is the
 * enclosing query's scope (correlated references), or NULL. */
int bind_from(struct bind *b, struct ast_rel *const *from, int nfrom,
              const struct bind_scope *outer, struct plan **out, struct bind_scope *sc);

/* Rename p's output columns to names[0..n) (n must equal p->ncols, else an
 * error at pos naming what): a project with fresh ids. */
int bind_from_rename(struct bind *b, struct plan *p, char *const *names, int n,
                     struct ast_pos pos, struct plan **out);

#endif
