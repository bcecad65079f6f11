/* sqlcli.h: the command lines of the local engine --
 *   kindling sql    (the spark-sql analog: -e SQL, -f FILE or stdin)
 *   kindling submit (the spark-submit analog for SQL scripts)
 *   kindling executor (an executor process, started by a driver)
 * Each returns the process exit status (0 ok, 1 SQL/runtime error, 2 usage). */
#ifndef KINDLING_ENGINE_CLI_SQLCLI_H
#define KINDLING_ENGINE_CLI_SQLCLI_H

/* argv[0] is the subcommand name ("sql" or "submit"). */
int sqlcli_main(int argc, char **argv, int submit);

/* Usage text of both commands, for `kindling --help`. */
const char *sqlcli_usage(void);

#endif
