# engine/analyze.mk: the session catalog (engine/catalog/) and the SQL
# analyzer (engine/analyze/): syntax tree + catalog -> logical plan.
noinst_LIBRARIES += engine/libengine_analyze.a
engine_libengine_analyze_a_SOURCES = \
	engine/catalog/catalog.c engine/catalog/catalog.h \
	engine/analyze/names.c engine/analyze/names.h \
	engine/analyze/coerce.c engine/analyze/coerce.h \
	engine/analyze/fcall.c engine/analyze/fcall.h \
	engine/analyze/funcs.c engine/analyze/funcs.h \
	engine/analyze/funcs_array.c engine/analyze/funcs_array.h \
	engine/analyze/funcs_str2.c engine/analyze/funcs_str2.h \
	engine/analyze/funcs_regex.c engine/analyze/funcs_regex.h \
	engine/analyze/funcs_date.c engine/analyze/funcs_date.h \
	engine/analyze/bind.c engine/analyze/bind.h \
	engine/analyze/bind_expr.c engine/analyze/bind_expr.h \
	engine/analyze/bind_call.c engine/analyze/bind_call.h \
	engine/analyze/bind_from.c engine/analyze/bind_from.h \
	engine/analyze/bind_query.c engine/analyze/bind_query.h \
	engine/analyze/analyzer.c engine/analyze/analyzer.h

check_PROGRAMS += tests/unit/test_analyze
TESTS += tests/unit/test_analyze
tests_unit_test_analyze_SOURCES = tests/unit/test_analyze.c tests/tap.h
tests_unit_test_analyze_LDADD = engine/libengine_analyze.a $(ENGINE_BASE_LIBS)
