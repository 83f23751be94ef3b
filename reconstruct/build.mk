PROGRAMS += reconstruct/reconstruct
PROG_LIBS_reconstruct_reconstruct := $(GDBM_LIBS)
