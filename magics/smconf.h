/* smconf.h: sparkmagic's config.json, read the way sparkmagic reads it
 * (magics layer; compat doc section 1.5).
 *
 * Lookup of a key goes: runtime override (%%configure, change_endpoint) >
 * config file > built-in default. A key in the file replaces the default
 * wholesale (no deep merge), except session_configs, which is deep-merged
 * over session_configs_defaults when a session body is built. Unknown keys
 * are kept and returned by smconf_get; known keys with the wrong JSON type
 * are kept for smconf_get but the typed getters fall back to the default,
 * and a warning is recorded (smconf_warning).
 *
 * Which file (smconf_load). sparkmagic reads exactly one path,
 * join(SPARKMAGIC_CONF_DIR or ~/.sparkmagic, SPARKMAGIC_CONF_FILE or
 * "config.json"), where an absolute SPARKMAGIC_CONF_FILE wins over the
 * directory (os.path.join). Kindling tries these candidates and loads the
 * first that exists:
 *   1. SPARKMAGIC_CONF_FILE: absolute, or relative to SPARKMAGIC_CONF_DIR
 *      (else ~/.sparkmagic), exactly sparkmagic's path;
 *   2. $SPARKMAGIC_CONF_DIR/config.json;
 *   3. $HOME/.sparkmagic/config.json.
 * A leading "~/" in SPARKMAGIC_CONF_DIR is expanded. Empty variables count as
 * unset. When none exists the built-in defaults are used (not an error); a
 * file that exists but cannot be read or parsed is an error. The difference
 * from sparkmagic: a set but missing SPARKMAGIC_CONF_* path falls back to the
 * next candidate instead of to the defaults.
 *
 * Secrets. Passwords (password, base64_password, -p) never appear in an
 * error message or a warning: messages name keys, never values, and
 * jansson's "near '<token>'" excerpts are cut from parse errors. */
#ifndef KINDLING_SMCONF_H
#define KINDLING_SMCONF_H

#include <jansson.h>

#include "common/err.h"
#include "magics/magic.h"

/* Largest config file read (bytes). */
#define SMCONF_MAX_FILE (16u << 20)

struct smconf;

/* Find and load the config file (see above). *out is new (caller frees with
 * smconf_free). Returns 0, or ERR_IO / ERR_PARSE / ERR_TOOBIG / ERR_NOMEM
 * with e filled (path, and line and column for parse errors). */
int smconf_load(struct smconf **out, struct err *e);
/* Load one file; path NULL gives the defaults alone. A missing file is an
 * error here (ERR_NOTFOUND). */
int smconf_load_file(const char *path, struct smconf **out, struct err *e);
/* The path smconf_load would read: new string (caller frees), or NULL when
 * no candidate exists (*out_rc 0) or on ERR_NOMEM (*out_rc set). */
char *smconf_find(int *out_rc);
void smconf_free(struct smconf *c);

/* File loaded, or NULL when running on defaults. Borrowed. */
const char *smconf_path(const struct smconf *c);

/* Borrowed value of key: override, file value or default; NULL if the key is
 * unknown everywhere. kernel_python3_credentials defaults to the value of
 * kernel_python_credentials. Valid until the key is overridden or c freed. */
json_t *smconf_get(const struct smconf *c, const char *key);
/* 1 when key comes from the file or an override, 0 when it is a default. */
int smconf_is_set(const struct smconf *c, const char *key);
/* Typed getters: the value when it has the right type, else the built-in
 * default, else 0 / 0.0 / 0 / NULL. Integers and reals convert both ways. */
long smconf_int(const struct smconf *c, const char *key);
double smconf_double(const struct smconf *c, const char *key);
int smconf_bool(const struct smconf *c, const char *key);
const char *smconf_str(const struct smconf *c, const char *key);

/* Warnings found at load time (wrong types), for %%info. Borrowed. */
size_t smconf_nwarnings(const struct smconf *c);
const char *smconf_warning(const struct smconf *c, size_t i);

/* Runtime override of one key (sparkmagic's conf.override). Takes ownership
 * of value (also on failure). Returns 0, ERR_INVAL or ERR_NOMEM. */
int smconf_override(struct smconf *c, const char *key, json_t *value);
/* %%configure: replace session_configs. Takes ownership of configs, which
 * must be an object (else ERR_INVAL). */
int smconf_set_session_configs(struct smconf *c, json_t *configs);

/* Livy endpoint credentials for a kernel flavour. */
struct smconf_cred {
  char *url;      /* Livy base URL, never NULL on success */
  char *username; /* "" when none */
  char *password; /* "" when none; decoded from base64_password if given */
  char *auth;     /* "None", "Basic_Access", "Kerberos" or a custom name */
};
/* Fill out (strings are new; release with smconf_cred_fini) from
 * kernel_scala_credentials (MAGIC_LANG_SCALA) or kernel_python_credentials
 * (MAGIC_LANG_PYTHON and MAGIC_LANG_SQL). Rules: base64_password, when
 * present, wins over password; a missing auth is derived (user and password
 * both empty -> None, else Basic_Access) and a given auth must be a key of
 * authenticators; KINDLING_LIVY_URL (non-empty) replaces the url of the file
 * entry; an override (smconf_override, e.g. from change_endpoint) is used as
 * is. Returns ERR_NOTFOUND when no endpoint is configured at all (no
 * credentials in the file or overrides, no KINDLING_LIVY_URL): the caller
 * then uses the local engine. ERR_INVAL (e filled, ename
 * "BadUserConfigurationException") for a malformed entry, ERR_NOMEM. */
int smconf_credentials(const struct smconf *c, enum magic_lang lang,
                       struct smconf_cred *out, struct err *e);
/* Free the strings (the password is wiped first). cr may be zeroed. */
void smconf_cred_fini(struct smconf_cred *cr);

/* The Livy POST /sessions body: a new object, session_configs deep-merged
 * over session_configs_defaults (objects merge recursively, other values of
 * session_configs replace), plus "kind" when kind is not NULL. Adding
 * heartbeatTimeoutInSecond is the Livy layer's business. NULL only when out
 * of memory. */
json_t *smconf_session_body(const struct smconf *c, const char *kind);

/* Parse a %%configure (or %%spark config) body into a new JSON object.
 * body_line is the cell line where the body starts, so e points into the
 * cell. Errors: ERR_PARSE with "Could not parse JSON object from input: ..."
 * (sparkmagic's wording; the body is not echoed since it may hold secrets). */
int smconf_parse_session_configs(const char *body, int body_line, json_t **out,
                                 struct err *e);

/* Apply the config.json defaults of cell's options (default_maxrows,
 * default_samplemethod, default_samplefraction, coerce_dataframe) to a parsed
 * cell, for keys set in the file or overridden. Validates them with
 * sparkmagic's messages (ERR_INVAL, e filled, naming the key). */
int smconf_apply_defaults(const struct smconf *c, struct magic_cell *cell,
                          struct err *e);

#endif
