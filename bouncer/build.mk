# bouncer - the cron job returning expired unread mail (bouncer(8)).
# GDBM for the accounts database it walks.
PROGRAMS += bouncer/bouncer
PROG_LIBS_bouncer_bouncer := $(GDBM_LIBS)
