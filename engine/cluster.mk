# engine/cluster.mk: the engine's runtime -- hash shuffle through local
# files, the driver <-> executor protocol over ZeroMQ, executor processes
# and the DAG scheduler (engine/cluster/).
noinst_LIBRARIES += engine/libengine_cluster.a
engine_libengine_cluster_a_SOURCES = \
	engine/cluster/shuffle.c engine/cluster/shuffle.h \
	engine/cluster/proto.c engine/cluster/proto.h \
	engine/cluster/executor.c engine/cluster/executor.h \
	engine/cluster/cluster.c engine/cluster/cluster.h

ENGINE_CLUSTER_TEST_LIBS = engine/libengine_cluster.a engine/libengine_ops.a \
	engine/libengine_eval.a $(ENGINE_BASE_LIBS)

check_PROGRAMS += tests/unit/test_shuffle tests/unit/test_cluster
TESTS += tests/unit/test_shuffle tests/unit/test_cluster
tests_unit_test_shuffle_SOURCES = tests/unit/test_shuffle.c tests/tap.h
tests_unit_test_shuffle_LDADD = $(ENGINE_CLUSTER_TEST_LIBS)
tests_unit_test_cluster_SOURCES = tests/unit/test_cluster.c tests/tap.h
tests_unit_test_cluster_LDADD = $(ENGINE_CLUSTER_TEST_LIBS)
