# migrate - moves login users' mailboxes into the store (migrate(8)).
# GDBM for the accounts database, libcrypt for the shadow hashes it may
# copy.
PROGRAMS += migrate/migrate
PROG_LIBS_migrate_migrate := $(GDBM_LIBS) $(SSL_LIBS) $(CRYPT_LIBS)
