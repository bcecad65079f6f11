# tests: C unit tests (TAP) and the integration suite (pytest, real clients).
UNIT_LDADD = kernel/libkernel.a livy/liblivy.a local/liblocal.a magics/libmagics.a $(ENGINE_LIBS)

check_PROGRAMS += tests/unit/test_wire tests/unit/test_conn
TESTS += tests/unit/test_wire tests/unit/test_conn
tests_unit_test_wire_SOURCES = tests/unit/test_wire.c tests/tap.h
tests_unit_test_wire_LDADD = $(UNIT_LDADD)
tests_unit_test_conn_SOURCES = tests/unit/test_conn.c tests/tap.h
tests_unit_test_conn_LDADD = $(UNIT_LDADD)

TESTS += tests/integration/run.sh
EXTRA_DIST += tests/integration/run.sh tests/integration/conftest.py \
	tests/integration/test_protocol.py tests/integration/test_frontends.py
