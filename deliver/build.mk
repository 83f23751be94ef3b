# deliver: the delivery channel. GDBM for the forwarding map; OpenSSL
# only because netio.o (LMTP, policy service) holds the TLS code.
PROGRAMS += deliver/deliver
PROG_LIBS_deliver_deliver := $(GDBM_LIBS) $(SSL_LIBS)
