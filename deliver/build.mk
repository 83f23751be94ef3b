# deliver: the delivery channel. GDBM for the forwarding map; OpenSSL
# because netio.o (LMTP, policy service) holds the TLS code and vacation
# answers are keyed by SHA-256; PCRE2 for Sieve's :regex.
PROGRAMS += deliver/deliver
PROG_LIBS_deliver_deliver := $(GDBM_LIBS) $(SSL_LIBS) $(PCRE2_LIBS)
