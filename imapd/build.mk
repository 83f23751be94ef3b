PROGRAMS += imapd/imapd
PROG_LIBS_imapd_imapd := $(SSL_LIBS) $(SASL_LIBS) $(GDBM_LIBS) $(CRYPT_LIBS)
