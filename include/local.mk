# Public module headers: each module's interface.
noinst_HEADERS += \
	include/ctop/export.h \
	include/ctop/options.h \
	include/ctop/profile.h \
	include/ctop/record.h \
	include/ctop/ring.h \
	include/ctop/sampler.h \
	include/ctop/source.h \
	include/ctop/stack_need.h \
	include/ctop/symbols.h \
	include/ctop/ui.h \
	include/ctop/unwind.h
