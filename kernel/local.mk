# kernel: the Jupyter protocol core and the `kindling` binary.
noinst_LIBRARIES += kernel/libkernel.a
kernel_libkernel_a_SOURCES = \
	kernel/conn.c kernel/conn.h \
	kernel/wire.c kernel/wire.h \
	kernel/msg.c kernel/msg.h \
	kernel/kernel.c kernel/kernel.h \
	kernel/exec.c kernel/exec.h \
	kernel/history.c kernel/history.h \
	kernel/complete.c kernel/complete.h \
	kernel/install.c kernel/install.h \
	kernel/render.c kernel/render.h \
	kernel/pretty.c kernel/pretty.h \
	kernelspec/logos.c kernelspec/logos.h

bin_PROGRAMS += kindling
kindling_SOURCES = kernel/main.c
kindling_LDADD = kernel/libkernel.a livy/liblivy.a local/liblocal.a magics/libmagics.a $(ENGINE_LIBS)

EXTRA_DIST += kernelspec/make_logos.py kernelspec/logo-32x32.png kernelspec/logo-64x64.png
