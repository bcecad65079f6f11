# engine: filled in as the layer grows

# ---- engine/sql: Spark SQL front end (tokenizer, parser, syntax tree) ----
noinst_LIBRARIES += engine/libengine_sql.a
engine_libengine_sql_a_SOURCES = \
	engine/sql/lexer.c engine/sql/lexer.h \
	engine/sql/ast.c engine/sql/ast.h \
	engine/sql/parser.c engine/sql/parser.h \
	engine/sql/sql_error.c engine/sql/sql_error.h

check_PROGRAMS += tests/unit/test_sql_parse
TESTS += tests/unit/test_sql_parse
# The unit test also links the fuzz entry point to replay hostile inputs
# through it in every build.
tests_unit_test_sql_parse_SOURCES = tests/unit/test_sql_parse.c \
	tests/fuzz/fuzz_sql.c tests/tap.h
tests_unit_test_sql_parse_LDADD = engine/libengine_sql.a common/libcommon.a $(DEPS_LIBS)

if FUZZING
# libFuzzer target (configure --enable-fuzzing CC=clang). The library is
# rebuilt with coverage instrumentation for it alone, so the ordinary tests
# never need the fuzzer runtime.
noinst_LIBRARIES += engine/libengine_sql_fuzz.a
engine_libengine_sql_fuzz_a_SOURCES = $(engine_libengine_sql_a_SOURCES)
engine_libengine_sql_fuzz_a_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer-no-link

noinst_PROGRAMS += tests/fuzz/fuzz_sql
tests_fuzz_fuzz_sql_SOURCES = tests/fuzz/fuzz_sql.c
tests_fuzz_fuzz_sql_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_sql_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_sql_LDADD = engine/libengine_sql_fuzz.a common/libcommon.a
endif
# ---- end engine/sql ----
