# popstore - top-level Makefile.
#
# A fresh clone needs no other step: the first `make` runs autoreconf and
# configure (writing config.mk), then builds lib/libstore.a and every
# program. `make check` builds and runs the whole test suite, first as is
# and then under AddressSanitizer + UndefinedBehaviorSanitizer (in .asan/).
#
# Programs add themselves with a fragment DIR/build.mk that appends to
# PROGRAMS and may set PROG_LIBS_<dir> (see popmgr/build.mk).

B		?= .
SAN		?=
CONFIGURE_FLAGS	?=

NOCONF_GOALS	:= clean distclean help
ifeq ($(filter-out $(NOCONF_GOALS),$(or $(MAKECMDGOALS),all)),)
else
include config.mk
endif

WARN		:= -Wall -Wextra -Werror -Wshadow -Wpointer-arith \
		   -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
		   -Wno-format-nonliteral
CFLAGS		?= $(CONF_CFLAGS)
ALL_CFLAGS	:= -std=gnu11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(CONF_CPPFLAGS) \
		   -Ilib $(SSL_CFLAGS) $(SASL_CFLAGS) $(PCRE2_CFLAGS) $(GDBM_CFLAGS)
ifneq ($(SAN),)
ALL_CFLAGS	+= -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
		   -fno-sanitize-recover=all
SAN_LDFLAGS	:= -fsanitize=address,undefined
endif
ALL_LDFLAGS	:= $(CONF_LDFLAGS) $(LDFLAGS) $(SAN_LDFLAGS)

LIB_SRCS	:= $(sort $(wildcard lib/*.c))
LIB_OBJS	:= $(LIB_SRCS:%.c=$(B)/%.o)
LIBSTORE	:= $(B)/lib/libstore.a

PROGRAMS	:=
-include $(wildcard */build.mk)

UNIT_SRCS	:= $(sort $(wildcard t/unit/*.c))
UNIT_TESTS	:= $(UNIT_SRCS:%.c=$(B)/%.t)
TLIB_SRCS	:= $(sort $(wildcard t/unit/lib/*.c))
TLIB_OBJS	:= $(TLIB_SRCS:%.c=$(B)/%.o)

BINS		:= $(PROGRAMS:%=$(B)/%)

# Fuzz targets: t/fuzz/NAME.c defines LLVMFuzzerTestOneInput. For the
# suite each is linked with t/fuzz/replay.c and run over its corpus;
# `make fuzz` links them with libFuzzer instead (clang, in .fuzz/).
FUZZ_SRCS	:= $(filter-out t/fuzz/replay.c,$(sort $(wildcard t/fuzz/*.c)))
FUZZ_REPLAYS	:= $(FUZZ_SRCS:%.c=$(B)/%-replay)
ALL_LIBS	= $(SSL_LIBS) $(SASL_LIBS) $(GDBM_LIBS) $(PCRE2_LIBS) $(CRYPT_LIBS)
FUZZ_LIBS	= $(ALL_LIBS)

.PHONY: all check check-asan check-plain tests demo demo-stop install \
	uninstall install-store install-popstore clean distclean help fuzz bench man-check
.DEFAULT_GOAL	:= all

all: $(LIBSTORE) $(BINS)

config.mk: configure.ac config.mk.in build-aux/deps
	@build-aux/deps $(if $(filter demo,$(MAKECMDGOALS)),--install) build
	autoreconf -fi
	./configure $(CONFIGURE_FLAGS)

$(B)/%.o: %.c config.mk
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(LIBSTORE): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

# Each program: all .c files of its folder unless PROG_SRCS_<dir> says
# otherwise, linked with libstore.a and the libraries it names.
define program_rule
$(B)/$(1): $$(patsubst %.c,$(B)/%.o,$$(or $$(PROG_SRCS_$(subst /,_,$(1))),$$(filter-out %/fuzz.c,$$(wildcard $(dir $(1))*.c)))) $(LIBSTORE)
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$^ $$(PROG_LIBS_$(subst /,_,$(1)))
endef
$(foreach p,$(PROGRAMS),$(eval $(call program_rule,$(p))))

$(B)/t/unit/%.t: $(B)/t/unit/%.o $(TLIB_OBJS) $(LIBSTORE)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(ALL_LIBS)

$(B)/t/fuzz/%-replay: $(B)/t/fuzz/%.o $(B)/t/fuzz/replay.o $(LIBSTORE)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(FUZZ_LIBS)

tests: all $(UNIT_TESTS) $(FUZZ_REPLAYS)

# The suite: unit tests, then the protocol and end-to-end scripts, which
# find the programs under $POPSTORE_BUILD.
# Many tests wait on clients, delays and fsync: three at a time keep two
# cores busy. The longest start first so none is left running alone.
PROVE		?= prove
PROVE_FLAGS	?= -j3
SLOW_TESTS	:= $(wildcard t/801-debian.t t/303-deliver-storm.t \
		   t/850-crash-states.t t/710-cgi-chromium.t t/507-imapd-stress.t \
		   t/506-imapd-clients.t t/251-bouncer-crash.t)
ALL_SCRIPTS	:= $(SLOW_TESTS) $(filter-out $(SLOW_TESTS),$(sort $(wildcard t/*.t)))
# Sanitizer reports of every process the tests start, whoever reads its
# standard error, land in $(AUDIT_DIR); any there fails the run.
AUDIT_DIR	 = $(abspath $(B))/t/audit
check-plain: tests
	@rm -rf $(AUDIT_DIR) && mkdir -p $(AUDIT_DIR) && chmod 1777 $(AUDIT_DIR)
	POPSTORE_BUILD=$(abspath $(B)) POPSTORE_SRC=$(CURDIR) \
	    ASAN_OPTIONS=log_path=$(AUDIT_DIR)/asan$${ASAN_OPTIONS:+:$$ASAN_OPTIONS} \
	    UBSAN_OPTIONS=log_path=$(AUDIT_DIR)/ubsan:print_stacktrace=1$${UBSAN_OPTIONS:+:$$UBSAN_OPTIONS} \
	    $(PROVE) $(PROVE_FLAGS) $(ALL_SCRIPTS) $(UNIT_TESTS); \
	    rc=$$?; t/audit-report $(AUDIT_DIR) || rc=1; exit $$rc

# Under the sanitizers every test runs; the longest ones (storms, bulk
# loads) read POPSTORE_SANITIZED and use smaller counts.
check-asan:
	POPSTORE_SANITIZED=1 $(MAKE) B=.asan SAN=1 check-plain

check: man-check
	$(MAKE) check-plain
	$(MAKE) check-asan

man-check:
	@t/man-check

demo: all
	@build-aux/deps --install demo
	build-aux/demo

demo-stop:
	build-aux/demo stop

FUZZ_TIME	?= 60
fuzz:
	$(MAKE) B=.fuzz CC=clang SAN= CFLAGS='-g -O1 -fsanitize=fuzzer-no-link,address,undefined' \
	    LDFLAGS='-fsanitize=address,undefined' .fuzz/lib/libstore.a \
	    $(FUZZ_SRCS:%.c=.fuzz/%.o)
	@for src in $(FUZZ_SRCS); do \
	    n=$$(basename $$src .c); \
	    clang -fsanitize=fuzzer,address,undefined -o .fuzz/t/fuzz/$$n \
	        .fuzz/t/fuzz/$$n.o .fuzz/lib/libstore.a $(FUZZ_LIBS) || exit 1; \
	    mkdir -p t/fuzz/out/$$n; \
	    dict=; [ -f t/fuzz/$$n.dict ] && dict=-dict=t/fuzz/$$n.dict; \
	    echo "fuzz: $$n for $(FUZZ_TIME)s"; \
	    .fuzz/t/fuzz/$$n $$dict -max_total_time=$(FUZZ_TIME) \
	        -print_final_stats=1 t/fuzz/out/$$n t/fuzz/corpus/$$n \
	        2>t/fuzz/out/$$n.log || { tail -40 t/fuzz/out/$$n.log; exit 1; }; \
	    grep -E 'stat::number_of_executed_units' t/fuzz/out/$$n.log; \
	done

# (optional: a source package without t/ has no afl target)
-include t/fuzz/afl.mk

bench: all
	@build-aux/deps --install bench
	POPSTORE_BUILD=$(abspath $(B)) t/bench/run

# ---- install, uninstall, install-store ----
# `make install [prefix=/usr] [DESTDIR=/stage]` puts the servers and tools
# in sbindir, the CGI programs in cgidir, the man pages in mandir, the CGI
# templates under datarootdir/popstore, the samples of etc/ under docdir,
# and popstore.conf in confdir unless one is there already. Every file and
# every directory it creates is listed in MANIFEST; `make uninstall` (same
# prefix and DESTDIR) removes exactly those, and popstore.conf only while
# unchanged. Neither touches the store or its user: `make install-store`
# creates them (as root: the user STORE_USER, then `popmgr init`).
confdir		?= /etc/popstore
cgidir		?= $(libexecdir)/popstore
docdir		?= $(datarootdir)/doc/popstore
STORE_DIR	?= /var/lib/popstore
STORE_USER	?= popstore
MANIFEST	:= $(datarootdir)/popstore/MANIFEST
INSTMAN		:= build-aux/instman $(MANIFEST) "$(DESTDIR)"
TEMPLATE_DIR	:= $(or $(CGI_TEMPLATE_DEFAULT),$(datarootdir)/popstore/templates)

# cgi/build.mk's install-cgi-templates, if there, runs after the listed
# install so that the directories it makes are in the manifest.
install: install-popstore
install-cgi-templates: install-popstore
install-popstore: all
	$(INSTMAN) own $(confdir) $(cgidir) $(docdir) $(datarootdir)/popstore \
	    $(TEMPLATE_DIR)
	$(INSTMAN) file 755 $(sbindir) $(filter-out %.cgi,$(BINS))
	$(if $(filter %.cgi,$(BINS)),$(INSTMAN) file 755 $(cgidir) $(filter %.cgi,$(BINS)))
	$(if $(wildcard cgi/templates/*),$(INSTMAN) file 644 $(TEMPLATE_DIR) $(wildcard cgi/templates/*))
	$(foreach s,3 5 8,$(if $(wildcard man/*.$(s)),$(INSTMAN) file 644 $(mandir)/man$(s) $(wildcard man/*.$(s));))
	$(INSTMAN) tree $(docdir)/examples etc
	conf=$$(mktemp) && \
	sed -e 's|^STORE_DIR=.*|STORE_DIR=$(STORE_DIR)|' \
	    -e 's|^STORE_USER=.*|STORE_USER=$(STORE_USER)|' \
	    etc/popstore.conf >$$conf && \
	$(INSTMAN) conf 644 $(confdir)/popstore.conf $$conf; \
	rc=$$?; rm -f $$conf; exit $$rc
	@echo "install: done; as root, \`make install-store\` creates the store"

uninstall:
	$(INSTMAN) uninstall

install-store:
	@if [ -n "$(STORE_USER)" ] && ! id -u "$(STORE_USER)" >/dev/null 2>&1; then \
	    echo "install-store: creating the system user $(STORE_USER)"; \
	    useradd --system --user-group --home-dir $(STORE_DIR) --no-create-home \
	        --shell /usr/sbin/nologin --comment "popstore mail store" \
	        "$(STORE_USER)" || exit 1; \
	fi
	$(DESTDIR)$(sbindir)/popmgr -C $(DESTDIR)$(confdir)/popstore.conf init

clean:
	rm -rf .asan .fuzz .afl
	find . -path ./demo -prune -o -type f \( -name '*.o' -o -name '*.d' -o -name '*.a' \) -print | xargs rm -f
	rm -f $(PROGRAMS) t/unit/*.t

distclean: clean
	rm -rf config.mk config.log config.status configure aclocal.m4 \
	    autom4te.cache build-aux/install-sh build-aux/compile \
	    build-aux/missing

help:
	@echo "make [all|check|check-asan|demo|demo-stop|install|uninstall|install-store|fuzz|afl|bench|clean]"

-include $(wildcard $(B)/lib/*.d $(B)/t/*.d $(B)/t/unit/*.d $(B)/t/unit/lib/*.d $(B)/t/fuzz/*.d \
	$(foreach p,$(PROGRAMS),$(B)/$(dir $(p))*.d))
