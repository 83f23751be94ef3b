/*
 * Fuzz target: BODYSTRUCTURE, BODY and ENVELOPE round trips.
 *
 * The input is parsed as a message; the IMAP strings written for it are
 * parsed back with the RFC 3501 parser and must give the same trees as
 * the message did (BODY without extension data). A mismatch means the
 * writer produced something a client would read differently, and
 * aborts. The input is also given to the IMAP parser directly, which
 * must refuse or accept it without harm.
 */
#include <stdint.h>
#include <stdlib.h>

#include "mime.h"

static void
roundtrip(const struct mime_info *info)
{
	const struct mime_view *v = &info->view;
	struct mime_tree *t;

	if (mime_bodystructure_parse(v->bodystructure.s, v->bodystructure.len,
	    &t, NULL) < 0 || !mime_body_equal(info->body, t->body, 1))
		abort();
	mime_tree_free(t);
	if (mime_bodystructure_parse(v->body.s, v->body.len, &t, NULL) < 0 ||
	    !mime_body_equal(info->body, t->body, 0))
		abort();
	mime_tree_free(t);
	if (mime_envelope_parse(v->envelope.s, v->envelope.len, &t, NULL) < 0 ||
	    !mime_env_equal(info->env, t->env))
		abort();
	mime_tree_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_info info;
	struct mime_tree *t;
	char *why = NULL;

	if (mime_parse((const char *)data, size, &info) < 0)
		abort();
	roundtrip(&info);
	mime_info_free(&info);
	if (mime_bodystructure_parse((const char *)data, size, &t, &why) == 0) {
		if (!mime_body_equal(t->body, t->body, 1))
			abort();
		mime_tree_free(t);
	} else if (why == NULL)
		abort();
	free(why);
	why = NULL;
	if (mime_envelope_parse((const char *)data, size, &t, &why) == 0)
		mime_tree_free(t);
	free(why);
	return 0;
}
