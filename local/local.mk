# local: the local-engine session backend (a `kindling driver` child).
noinst_LIBRARIES += local/liblocal.a
local_liblocal_a_SOURCES = local/local_session.c local/local_session.h
