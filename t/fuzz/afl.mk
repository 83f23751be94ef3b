# t/fuzz/afl.mk - `make afl`: whole-program fuzzing with AFL++ (included
# by the top-level Makefile).
#
# pop3d, imapd, deliver (and popmgr and t/popfix, which make the store)
# are built with afl-clang-fast and ASan+UBSan in $(AFL_B); then each
# target of $(AFL_TARGETS) is fuzzed for $(AFL_TIME) seconds by
# t/fuzz/afl/run on a throw-away store, one after the other, on one core
# and under nice. Results go to $(AFL_B)/afl-out/TARGET/ (see
# t/fuzz/afl/README). Needs afl++ (Debian package afl++); `make check`
# does not: t/890-afl-replay.t replays the seeds and regression inputs
# through the ordinary build.

AFL_B		?= .afl
AFL_CC		?= afl-clang-fast
AFL_TIME	?= 600
AFL_TARGETS	?= pop3d imapd deliver-lmtp deliver-pipe
AFL_PROGS	:= pop3d/pop3d imapd/imapd deliver/deliver popmgr/popmgr t/popfix

.PHONY: afl afl-build

afl-build:
	@command -v $(AFL_CC) >/dev/null || { echo "afl: $(AFL_CC) not found (apt-get install afl++)"; exit 1; }
	$(MAKE) B=$(AFL_B) CC=$(AFL_CC) SAN=1 AFL_QUIET=1 $(AFL_PROGS:%=$(AFL_B)/%)

afl: afl-build
	@for t in $(AFL_TARGETS); do \
	    echo "afl: $$t for $(AFL_TIME)s"; \
	    t/fuzz/afl/run $(AFL_B) $$t $(AFL_TIME) $(AFL_B)/afl-out/$$t || exit 1; \
	done
