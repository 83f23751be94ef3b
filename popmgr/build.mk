# popmgr - the administrators' command-line manager (popmgr(8)).
PROGRAMS += popmgr/popmgr
PROG_LIBS_popmgr_popmgr := $(SSL_LIBS) $(GDBM_LIBS) $(PCRE2_LIBS) $(CRYPT_LIBS)
