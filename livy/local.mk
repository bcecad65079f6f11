# livy: the Livy REST client and the Livy session backend.
noinst_LIBRARIES += livy/liblivy.a
livy_liblivy_a_SOURCES = \
	livy/livy_curl.c livy/livy_curl.h \
	livy/livy_http.c livy/livy_http.h \
	livy/livy_session.c livy/livy_session.h
