/* history.h: the input history behind history_request.
 *
 * Kept in a JSON-lines file so `jupyter console` users get their history back
 * after a restart: $KINDLING_HISTORY_FILE, else
 * $XDG_DATA_HOME/kindling/history.jsonl (~/.local/share/...). Each kernel
 * process is one history session, numbered one past the highest session in
 * the file. The file keeps the newest HISTORY_MAX_ENTRIES entries. */
#ifndef KINDLING_HISTORY_H
#define KINDLING_HISTORY_H

#include <jansson.h>

#define HISTORY_MAX_ENTRIES 10000

struct history;

/* Open the history file at path (NULL = the default location). Never fails:
 * an unreadable file gives an in-memory history and a logged warning.
 * Returns a new history (caller closes). */
struct history *history_open(const char *path);
void history_close(struct history *h);
/* Record code as line `line` of the current session and append it to the
 * file with one write (no fsync: the line survives the process, not yet a
 * power cut). */
void history_add(struct history *h, int line, const char *code);
/* Make appended lines durable (fdatasync); cheap when nothing was added.
 * history_close flushes too. */
void history_flush(struct history *h);
/* The current session number. */
int history_session(const struct history *h);
/* Answer a history_request content (borrowed): hist_access_type tail, range
 * or search. Returns a new history_reply content. */
json_t *history_query(struct history *h, json_t *request);

#endif
