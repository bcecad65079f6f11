# engine/plan.mk: the logical plan and bound expressions (engine/plan/),
# plus the executor's shared runtime pieces (memory budget, batch format).
noinst_LIBRARIES += engine/libengine_plan.a
engine_libengine_plan_a_SOURCES = \
	engine/plan/expr.c engine/plan/expr.h \
	engine/plan/plan.c engine/plan/plan.h \
	engine/exec/mem.c engine/exec/mem.h \
	engine/exec/batchio.c engine/exec/batchio.h

# Everything below the analyzer, in link order (later libraries serve
# earlier ones).
ENGINE_BASE_LIBS = engine/libengine_plan.a engine/libengine_exec.a engine/libengine_sql.a \
	common/libcommon.a $(DEPS_LIBS)
