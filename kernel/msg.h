/* msg.h: Jupyter message headers.
 *
 * Every message gets a fresh msg_id (libuuid, lowercase), because
 * jupyter_client drops byte-identical messages as "Duplicate Signature".
 * Dates are ISO 8601 UTC with zero-padded microseconds, which
 * jupyter_client parses into datetimes. */
#ifndef KINDLING_MSG_H
#define KINDLING_MSG_H

#include <jansson.h>
#include <stddef.h>

#define MSG_PROTOCOL_VERSION "5.3"

/* Write a new lowercase UUID (37 bytes incl. NUL) into out. */
void msg_uuid(char out[37]);
/* Write the current UTC time as YYYY-MM-DDTHH:MM:SS.ffffffZ into out (n >= 32). */
void msg_date_now(char *out, size_t n);
/* Returns a new header object (caller decrefs) for a message of msg_type
 * sent by this kernel process (session id, username). */
json_t *msg_header(const char *session, const char *username, const char *msg_type);

#endif
