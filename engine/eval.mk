# engine/eval.mk: the vectorized expression evaluator (engine/exec/eval*.c).
noinst_LIBRARIES += engine/libengine_eval.a
engine_libengine_eval_a_SOURCES = \
	engine/exec/eval.c engine/exec/eval.h engine/exec/eval_kern.h \
	engine/exec/eval_cast.c engine/exec/eval_cast.h \
	engine/exec/eval_str.c engine/exec/eval_str.h \
	engine/exec/eval_like.c engine/exec/eval_like.h \
	engine/exec/eval_regex.c engine/exec/eval_regex.h \
	engine/exec/eval_date.c engine/exec/eval_date.h \
	engine/exec/eval_date2.c engine/exec/eval_date2.h \
	engine/exec/eval_array.c engine/exec/eval_array.h \
	engine/exec/eval_str2.c engine/exec/eval_str2.h \
	engine/exec/eval_aggkey.c engine/exec/eval_aggkey.h

check_PROGRAMS += tests/unit/test_eval
TESTS += tests/unit/test_eval
tests_unit_test_eval_SOURCES = tests/unit/test_eval.c tests/tap.h
tests_unit_test_eval_LDADD = engine/libengine_eval.a $(ENGINE_BASE_LIBS)
