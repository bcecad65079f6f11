/* batchio.h: the engine's columnar wire/file format for batches (shuffle
 * files, spill files, results sent to the driver), and row-copy helpers.
 *
 * Frame layout (little-endian, the host order of every supported machine):
 *   u32 magic 'KBT1'  u32 body_len  u32 nrows  u32 ncols
 *   per column: u8 type_id u8 precision u8 scale u8 has_nulls (an ARRAY's
 *               element type is in precision/scale, engine/types.h)
 *               [u64 validity words x bitmap_words(nrows)]   if has_nulls
 *               fixed types: nrows x element bytes
 *               STRING, ARRAY: u32 total_bytes, nrows x u32 lengths, the
 *               bytes (an array value's encoding, engine/vec/array.h)
 * body_len counts the bytes after the first 8, so a reader can skip frames
 * or check it received one whole. Decoding validates every length against
 * the frame, so a truncated or corrupt frame is ERR_PARSE, never a crash. */
#ifndef KINDLING_ENGINE_EXEC_BATCHIO_H
#define KINDLING_ENGINE_EXEC_BATCHIO_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "engine/vec/batch.h"

#define BATCHIO_MAGIC 0x3154424bu /* "KBT1" */
#define BATCHIO_HEADER 8

/* Append rows sel[0..n) of b (all rows when sel is NULL; n is then
 * b->nrows) as one frame to out. Returns 0 or a buf error. */
int batchio_encode(const struct batch *b, const uint32_t *sel, uint32_t n, struct buf *out);

/* Decode the frame at p[0..len) into a new batch (*out, free with
 * batch_free); *used receives the frame's total size. Returns 0, ERR_PARSE
 * (bad or truncated frame) or ERR_NOMEM. */
int batchio_decode(const void *p, size_t len, struct batch **out, size_t *used, struct err *e);

/* Copy rows sel[0..n) of src (all rows when sel is NULL) to the end of dst
 * (same column types; dst must have room: dst->nrows + n <= capacity);
 * strings are copied into dst's arena. Returns 0 or ERR_NOMEM. */
int batch_append_rows(struct batch *dst, const struct batch *src, const uint32_t *sel,
                      uint32_t n);

/* batch_append_rows except the columns c with skip[c] != 0 (skip may be
 * NULL): their rows in dst are left unset, for a consumer that never reads
 * them. */
int batch_append_cols(struct batch *dst, const struct batch *src, const uint32_t *sel, uint32_t n,
                      const uint8_t *skip);

/* Column types of b into types (room for b->ncols). */
void batch_types(const struct batch *b, struct type *types);

/* Bytes b holds (vectors + arena), for memory accounting. */
int64_t batch_bytes(const struct batch *b);

#endif
