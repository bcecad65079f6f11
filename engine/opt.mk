# engine/opt.mk: the logical optimizer (engine/opt/): analyzed plan ->
# cheaper equivalent plan (subquery rewrite, folding, push-down, join
# ordering, pruning).
noinst_LIBRARIES += engine/libengine_opt.a
engine_libengine_opt_a_SOURCES = \
	engine/opt/optimizer.c engine/opt/optimizer.h \
	engine/opt/optutil.c engine/opt/optutil.h \
	engine/opt/subquery.c engine/opt/subquery.h \
	engine/opt/fold.c engine/opt/fold.h \
	engine/opt/pushdown.c engine/opt/pushdown.h \
	engine/opt/joinorder.c engine/opt/joinorder.h \
	engine/opt/estimate.c engine/opt/estimate.h \
	engine/opt/prune.c engine/opt/prune.h

check_PROGRAMS += tests/unit/test_opt
TESTS += tests/unit/test_opt
tests_unit_test_opt_SOURCES = tests/unit/test_opt.c tests/tap.h
tests_unit_test_opt_LDADD = engine/libengine_opt.a engine/libengine_eval.a $(ENGINE_BASE_LIBS)
