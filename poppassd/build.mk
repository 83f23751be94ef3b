PROGRAMS += poppassd/poppassd
PROG_LIBS_poppassd_poppassd := $(SSL_LIBS) $(GDBM_LIBS) $(CRYPT_LIBS)
