/* render.h: result tables as MIME bundles.
 *
 * Every table is shown three ways: text/plain (an aligned grid, for console
 * and nbconvert), text/html (escaped, column types in the header) and
 * application/vnd.dataresource+json (JupyterLab's table renderer). */
#ifndef KINDLING_RENDER_H
#define KINDLING_RENDER_H

#include <jansson.h>

#include "common/session.h"

/* A new MIME bundle for t (borrowed). The footer says how many rows were
 * shown, of how many, and how long the query took. */
json_t *render_table(const struct table *t);
/* Spark type name of a schema field's "type" (string or nested object). */
const char *render_type_name(json_t *type, char *buf, size_t n);

#endif
