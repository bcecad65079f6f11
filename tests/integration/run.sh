#!/bin/sh
# Run the pytest integration suite against the kindling binary of this build,
# and the self-tests of the test Livy server.
# Extra pytest arguments can be given in PYTEST_ARGS.
: "${top_srcdir:=.}" "${top_builddir:=.}"
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)
export top_srcdir top_builddir
export KINDLING_BIN="${KINDLING_BIN:-$top_builddir/kindling}"
cd "$top_srcdir/tests/integration" || exit 99
# shellcheck disable=SC2086
exec /usr/bin/python3 -m pytest -q -rs -p no:cacheprovider ${PYTEST_ARGS:-} . ../livy
