noinst_LIBRARIES += common/libcommon.a
common_libcommon_a_SOURCES = \
	common/err.c common/err.h \
	common/buf.c common/buf.h \
	common/utf8.c common/utf8.h
common_libcommon_a_SOURCES += common/session.c common/session.h
common_libcommon_a_SOURCES += common/progress.c common/progress.h
common_libcommon_a_SOURCES += common/fs.c common/fs.h
