# magics: cell-magic registry and parser, sparkmagic config.json loader.
# Depends on common/ only (plus jansson for smconf).
MAGICS_SOURCES = \
	magics/magic.c magics/magic.h magics/magic_int.h \
	magics/magic_registry.c magics/magic_complete.c \
	magics/smconf.c magics/smconf.h

noinst_LIBRARIES += magics/libmagics.a
magics_libmagics_a_SOURCES = $(MAGICS_SOURCES)

MAGICS_TEST_LIBS = magics/libmagics.a common/libcommon.a $(DEPS_LIBS)

check_PROGRAMS += tests/unit/test_magic tests/unit/test_smconf \
	tests/unit/test_magic_corpus
TESTS += tests/unit/test_magic tests/unit/test_smconf \
	tests/unit/test_magic_corpus

tests_unit_test_magic_SOURCES = tests/unit/test_magic.c tests/tap.h
tests_unit_test_magic_LDADD = $(MAGICS_TEST_LIBS)

tests_unit_test_smconf_SOURCES = tests/unit/test_smconf.c tests/tap.h
tests_unit_test_smconf_LDADD = $(MAGICS_TEST_LIBS)

# Replays tricky inputs through the fuzz target's entry point in every build
# (SQLite's fuzzcheck idea); give it files or directories to replay a corpus.
tests_unit_test_magic_corpus_SOURCES = tests/unit/test_magic_corpus.c \
	tests/fuzz/fuzz_magic.c tests/tap.h
tests_unit_test_magic_corpus_LDADD = $(MAGICS_TEST_LIBS)

if FUZZING
# libFuzzer target (configure --enable-fuzzing CC=clang). The library is
# rebuilt with coverage instrumentation for it alone, so the ordinary tests
# never need the fuzzer runtime.
noinst_LIBRARIES += magics/libmagics_fuzz.a
magics_libmagics_fuzz_a_SOURCES = $(MAGICS_SOURCES)
magics_libmagics_fuzz_a_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer-no-link

check_PROGRAMS += tests/fuzz/fuzz_magic
tests_fuzz_fuzz_magic_SOURCES = tests/fuzz/fuzz_magic.c
tests_fuzz_fuzz_magic_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_magic_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_magic_LDADD = magics/libmagics_fuzz.a common/libcommon.a \
	$(DEPS_LIBS)
endif
