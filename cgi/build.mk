# cgi/: the web interfaces and the mail proxy's authentication endpoint
# (popstore-cgi(8)). The three programs share the request, login and
# page code of this folder; each names its own sources.
CGI_COMMON	:= cgi/web.c cgi/auth.c cgi/fmt.c cgi/msglist.c
CGI_LIBS	:= $(SSL_LIBS) $(SASL_LIBS) $(GDBM_LIBS) $(PCRE2_LIBS) $(CRYPT_LIBS)

PROGRAMS += cgi/popstore-manage.cgi
PROG_SRCS_cgi_popstore-manage.cgi := $(CGI_COMMON) cgi/manage.c \
	cgi/mgracct.c cgi/mgrother.c
PROG_LIBS_cgi_popstore-manage.cgi := $(CGI_LIBS)

PROGRAMS += cgi/popstore-user.cgi
PROG_SRCS_cgi_popstore-user.cgi := $(CGI_COMMON) cgi/user.c cgi/usermsg.c \
	cgi/userrules.c
PROG_LIBS_cgi_popstore-user.cgi := $(CGI_LIBS)

PROGRAMS += cgi/popstore-auth.cgi
PROG_SRCS_cgi_popstore-auth.cgi := cgi/authhttp.c
PROG_LIBS_cgi_popstore-auth.cgi := $(SSL_LIBS) $(SASL_LIBS) $(GDBM_LIBS) \
	$(CRYPT_LIBS)

# Where `make install` puts the templates, and where the programs look
# for them when CGI_TEMPLATE_DIR is empty.
CGI_TEMPLATE_DEFAULT := $(datarootdir)/popstore/templates
$(B)/cgi/web.o: ALL_CFLAGS += -DCGI_TEMPLATE_DEFAULT='"$(CGI_TEMPLATE_DEFAULT)"'

install: install-cgi-templates
.PHONY: install-cgi-templates
install-cgi-templates:
	$(INSTALL) -d $(DESTDIR)$(CGI_TEMPLATE_DEFAULT)
	$(INSTALL) -m 644 $(wildcard cgi/templates/*) \
	    $(DESTDIR)$(CGI_TEMPLATE_DEFAULT)/
