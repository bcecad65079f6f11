# tests: C unit tests (TAP) and the integration suite (pytest, real clients).
UNIT_LDADD = kernel/libkernel.a livy/liblivy.a local/liblocal.a magics/libmagics.a $(ENGINE_LIBS)

check_PROGRAMS += tests/unit/test_wire tests/unit/test_conn
TESTS += tests/unit/test_wire tests/unit/test_conn
tests_unit_test_wire_SOURCES = tests/unit/test_wire.c tests/tap.h
tests_unit_test_wire_LDADD = $(UNIT_LDADD)
tests_unit_test_conn_SOURCES = tests/unit/test_conn.c tests/tap.h
tests_unit_test_conn_LDADD = $(UNIT_LDADD)

# The wire serialiser, HMAC and message ids.
check_PROGRAMS += tests/unit/test_wire_encode
TESTS += tests/unit/test_wire_encode
tests_unit_test_wire_encode_SOURCES = tests/unit/test_wire_encode.c tests/tap.h
tests_unit_test_wire_encode_LDADD = $(UNIT_LDADD)

# Hostile wire inputs replayed through the wire fuzz target.
check_PROGRAMS += tests/unit/test_wire_corpus
TESTS += tests/unit/test_wire_corpus
tests_unit_test_wire_corpus_SOURCES = tests/unit/test_wire_corpus.c tests/fuzz/fuzz_wire.c tests/tap.h
tests_unit_test_wire_corpus_LDADD = $(UNIT_LDADD)

# The code generated for Livy sessions (send_to_spark, -o).
check_PROGRAMS += tests/unit/test_livy_code
TESTS += tests/unit/test_livy_code
tests_unit_test_livy_code_SOURCES = tests/unit/test_livy_code.c tests/tap.h
tests_unit_test_livy_code_LDADD = $(UNIT_LDADD)

# %%pretty's table recognition, with a replay through its fuzz target.
check_PROGRAMS += tests/unit/test_pretty
TESTS += tests/unit/test_pretty
tests_unit_test_pretty_SOURCES = tests/unit/test_pretty.c tests/fuzz/fuzz_pretty.c tests/tap.h
tests_unit_test_pretty_LDADD = $(UNIT_LDADD)

if FUZZING
check_PROGRAMS += tests/fuzz/fuzz_wire
tests_fuzz_fuzz_wire_SOURCES = tests/fuzz/fuzz_wire.c kernel/wire.c
tests_fuzz_fuzz_wire_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_wire_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_wire_LDADD = common/libcommon.a $(DEPS_LIBS)

check_PROGRAMS += tests/fuzz/fuzz_pretty
tests_fuzz_fuzz_pretty_SOURCES = tests/fuzz/fuzz_pretty.c kernel/pretty.c
tests_fuzz_fuzz_pretty_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_pretty_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_pretty_LDADD = common/libcommon.a $(DEPS_LIBS)
endif

TESTS += tests/integration/run.sh
EXTRA_DIST += tests/integration/run.sh tests/integration/conftest.py \
	tests/integration/test_protocol.py tests/integration/test_frontends.py \
	tests/integration/test_local.py tests/integration/test_livy.py \
	tests/integration/test_livy_r.py tests/integration/test_livy_curl.py \
	tests/integration/test_kerberos.py tests/integration/test_tpch.py \
	tests/integration/test_ui.py tests/integration/test_morsels.py \
	tests/integration/test_cli.py

# Hash joins (op_join.c) against a nested loop: table, join types, role
# swap, shared broadcast build; the runtime join filter through the engine.
check_PROGRAMS += tests/unit/test_join
TESTS += tests/unit/test_join
tests_unit_test_join_SOURCES = tests/unit/test_join.c tests/unit/exprs.h tests/tap.h
tests_unit_test_join_LDADD = $(ENGINE_LIBS)

# The session's configuration: SET, RESET (to the session-start values).
check_PROGRAMS += tests/unit/test_engine_conf
TESTS += tests/unit/test_engine_conf
tests_unit_test_engine_conf_SOURCES = tests/unit/test_engine_conf.c tests/tap.h
tests_unit_test_engine_conf_LDADD = $(ENGINE_LIBS)
