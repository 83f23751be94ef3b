# t/: helpers the tests build into the build directory.
#
# faultshim.so is preloaded (LD_PRELOAD) into the programs under test to
# fail chosen system calls. It is built without the sanitizer flags:
# under ASan the tests preload it with ASAN_OPTIONS=verify_asan_link_order=0
# and ASan's own interceptors stay behind it.
FAULTSHIM	:= $(B)/t/lib/faultshim.so

tests: $(FAULTSHIM)

$(FAULTSHIM): t/lib/faultshim.c config.mk
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -fPIC -shared \
	    -o $@ t/lib/faultshim.c -ldl

# ---- pop3d and poppassd tests: popfix, the store fixture (t/popfix.c) ----
$(B)/t/popfix: $(B)/t/popfix.o $(LIBSTORE)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(ALL_LIBS)
tests: $(B)/t/popfix
# ---- end of the pop3d and poppassd block ----
