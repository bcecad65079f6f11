# engine/exec.mk: columnar vectors (engine/vec/) and file data sources
# (engine/source/), with their unit tests, fuzz targets and the CSV
# throughput probe.
noinst_LIBRARIES += engine/libengine_exec.a
ENGINE_EXEC_SOURCES = \
	engine/vec/arena.c engine/vec/arena.h \
	engine/vec/bitmap.c engine/vec/bitmap.h \
	engine/vec/numparse.c engine/vec/numparse.h \
	engine/vec/datetime.c engine/vec/datetime.h \
	engine/vec/vector.c engine/vec/vector.h \
	engine/vec/array.c engine/vec/array.h \
	engine/vec/batch.c engine/vec/batch.h \
	engine/vec/schema.c engine/vec/schema.h \
	engine/source/readopt.c engine/source/readopt.h \
	engine/source/mapfile.c engine/source/mapfile.h \
	engine/source/path.c engine/source/path.h \
	engine/source/csv.c engine/source/csv.h \
	engine/source/jsonl.c engine/source/jsonl.h
engine_libengine_exec_a_SOURCES = $(ENGINE_EXEC_SOURCES)

ENGINE_EXEC_LIBS = engine/libengine_exec.a common/libcommon.a $(DEPS_LIBS)

# Throughput probe, not a test: csv_bench FILE [DDL] [-t THREADS] [-n]
noinst_PROGRAMS += engine/source/csv_bench
engine_source_csv_bench_SOURCES = engine/source/csv_bench.c
engine_source_csv_bench_LDADD = $(ENGINE_EXEC_LIBS)

check_PROGRAMS += tests/unit/test_vec tests/unit/test_csv tests/unit/test_jsonl
TESTS += tests/unit/test_vec tests/unit/test_csv tests/unit/test_jsonl
tests_unit_test_vec_SOURCES = tests/unit/test_vec.c tests/tap.h
tests_unit_test_vec_LDADD = $(ENGINE_EXEC_LIBS)
tests_unit_test_csv_SOURCES = tests/unit/test_csv.c tests/tap.h
tests_unit_test_csv_LDADD = $(ENGINE_EXEC_LIBS)
tests_unit_test_jsonl_SOURCES = tests/unit/test_jsonl.c tests/tap.h
tests_unit_test_jsonl_LDADD = $(ENGINE_EXEC_LIBS)

# Fuzz targets compile the sources themselves so that libFuzzer's coverage
# instrumentation reaches the parsers.
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_csv tests/fuzz/fuzz_jsonl
tests_fuzz_fuzz_csv_SOURCES = tests/fuzz/fuzz_csv.c $(ENGINE_EXEC_SOURCES)
tests_fuzz_fuzz_csv_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_csv_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_csv_LDADD = common/libcommon.a $(DEPS_LIBS)
tests_fuzz_fuzz_jsonl_SOURCES = tests/fuzz/fuzz_jsonl.c $(ENGINE_EXEC_SOURCES)
tests_fuzz_fuzz_jsonl_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_jsonl_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_jsonl_LDADD = common/libcommon.a $(DEPS_LIBS)
endif
