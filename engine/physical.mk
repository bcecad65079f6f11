# engine/physical.mk: physical planning (stages, exchanges), the scan
# operator, and the SQL engine driver built on them.
noinst_LIBRARIES += engine/libengine_physical.a
engine_libengine_physical_a_SOURCES = \
	engine/physical/physical.c engine/physical/physical.h \
	engine/exec/op_scan.c engine/exec/op_scan.h \
	engine/exec/blockstore.c engine/exec/blockstore.h

noinst_LIBRARIES += engine/libengine.a
engine_libengine_a_SOURCES = engine/engine.c engine/engine.h \
	engine/cli/sqlcli.c engine/cli/sqlcli.h \
	engine/cli/driver.c engine/cli/driver.h

# The whole engine, in link order.
ENGINE_LIBS = engine/libengine.a engine/libengine_physical.a engine/libengine_cluster.a \
	engine/libengine_ops.a engine/libengine_opt.a engine/libengine_analyze.a \
	engine/libengine_eval.a $(ENGINE_BASE_LIBS)

# SQL logic tests: tests/sql/*.test on task threads and on executor
# processes (which exec the kindling binary, hence the dependency).
check_PROGRAMS += tests/unit/test_sqllogic
TESTS += tests/unit/test_sqllogic
tests_unit_test_sqllogic_SOURCES = tests/unit/test_sqllogic.c tests/tap.h
tests_unit_test_sqllogic_LDADD = $(ENGINE_LIBS)
EXTRA_DIST += tests/sql/basics.test tests/sql/joins.test tests/sql/functions.test \
	tests/sql/windows.test tests/sql/ddl.test tests/sql/sources.test tests/sql/errors.test \
	tests/sql/ansi.test tests/sql/arrays.test tests/sql/aggregates.test tests/sql/morsels.test \
	tests/sql/grouping.test tests/sql/lateral.test \
	tests/sql/data/emp.csv tests/sql/data/dept.csv tests/sql/data/bad.csv \
	tests/sql/data/events.jsonl
EXTRA_DIST += tests/sql/clauses.test tests/sql/types.test tests/sql/scalar.test \
	tests/sql/csvjson.test tests/sql/errors2.test tests/sql/dates2.test tests/sql/arrays2.test \
	tests/sql/data/people.csv tests/sql/data/quoted.csv tests/sql/data/infer.csv \
	tests/sql/data/nested.jsonl tests/sql/data/parts/part-00000.csv \
	tests/sql/data/parts/part-00001.csv tests/sql/data/parts/_SUCCESS \
	tests/sql/data/parts/.part-00002.csv.crc
EXTRA_DIST += tests/sql/regex.test tests/sql/data/regex.csv
EXTRA_DIST += tests/sql/aggregates2.test
EXTRA_DIST += tests/sql/strings2.test

# ARRAY values: encoding, batch frames, spill files, collect_* under spilling.
check_PROGRAMS += tests/unit/test_array
TESTS += tests/unit/test_array
tests_unit_test_array_SOURCES = tests/unit/test_array.c tests/tap.h
tests_unit_test_array_LDADD = $(ENGINE_LIBS)

check_PROGRAMS += tests/unit/test_engine_faults
TESTS += tests/unit/test_engine_faults
tests_unit_test_engine_faults_SOURCES = tests/unit/test_engine_faults.c tests/tap.h
tests_unit_test_engine_faults_LDADD = $(ENGINE_LIBS)
