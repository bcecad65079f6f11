# engine/ops.mk: physical operators (engine/exec/op_*.c) and their private
# helpers: expression columns, row keys, row store, comparators, spill files.
noinst_LIBRARIES += engine/libengine_ops.a
engine_libengine_ops_a_SOURCES = \
	engine/exec/op.h engine/exec/opx.h \
	engine/exec/exprcol.c engine/exec/exprcol.h \
	engine/exec/rowkey.c engine/exec/rowkey.h \
	engine/exec/rowstore.c engine/exec/rowstore.h \
	engine/exec/rowcmp.c engine/exec/rowcmp.h \
	engine/exec/spill.c engine/exec/spill.h \
	engine/exec/hll.c engine/exec/hll.h \
	engine/exec/agg_collect.c engine/exec/agg_collect.h \
	engine/exec/agg_more.c engine/exec/agg_more.h \
	engine/exec/op_basic.c \
	engine/exec/op_generate.c \
	engine/exec/op_agg.c \
	engine/exec/op_join.c \
	engine/exec/op_sort.c \
	engine/exec/op_window.c

check_PROGRAMS += tests/unit/test_ops
TESTS += tests/unit/test_ops
tests_unit_test_ops_SOURCES = tests/unit/test_ops.c tests/unit/exprs.h tests/tap.h
tests_unit_test_ops_LDADD = engine/libengine_ops.a engine/libengine_eval.a $(ENGINE_BASE_LIBS)

check_PROGRAMS += tests/unit/test_hll
TESTS += tests/unit/test_hll
tests_unit_test_hll_SOURCES = tests/unit/test_hll.c tests/tap.h
tests_unit_test_hll_LDADD = engine/libengine_ops.a $(ENGINE_BASE_LIBS)
