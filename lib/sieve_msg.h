/*
 * NAME
 *	sieve_msg - a message as Sieve sees it: fields, addresses, body text
 * DESCRIPTION
 *	The Sieve interpreter (sieve.h) and the vacation responder
 *	(vacation.h) look at a stored message through this module. The
 *	header block is indexed once, when the view is made: each field's
 *	name and raw value are located, nothing is copied. Values are
 *	produced on demand as RFC 5228 asks: unfolded, leading and trailing
 *	whitespace removed and, for the header test, RFC 2047 encoded-words
 *	decoded to UTF-8 (mime.h).
 *
 *	Addresses follow RFC 5322's address-list, leniently: display names,
 *	comments, quoted local parts, routes and groups are understood;
 *	a group's name and an empty group give no address; "<>" is the
 *	empty address. Text that is not an address still yields one entry
 *	without a domain, so :all can match it while :localpart and
 *	:domain see the whole text and nothing.
 *
 *	The body is looked at only by the body test: the message is then
 *	parsed once (mime_parse) and text parts are transfer-decoded and
 *	converted to UTF-8 by mime_part_text(), at most SIEVE_MSG_BODY_MAX
 *	bytes per part.
 * LIMITS
 *	SIEVE_MSG_FIELDS_MAX	header fields indexed; later ones are not
 *				seen by tests.
 *	SIEVE_MSG_VALUE_MAX	bytes of one unfolded, decoded value.
 *	SIEVE_MSG_ADDRS_MAX	addresses taken from one field.
 *	SIEVE_MSG_BODY_MAX	bytes of text taken from one body part; a body
 *				test examines at most this much in all.
 * MEMORY
 *	sieve_msg_new() keeps a pointer to the message, which must outlive
 *	the view; sieve_msg_free() releases the view. Address lists own
 *	their strings; sieve_addrs_free() releases them.
 */
#ifndef POPSTORE_SIEVE_MSG_H
#define POPSTORE_SIEVE_MSG_H

#include <stddef.h>
#include <stdint.h>

struct buf;

#define SIEVE_MSG_FIELDS_MAX	10000
#define SIEVE_MSG_VALUE_MAX	65536
#define SIEVE_MSG_ADDRS_MAX	1000
#define SIEVE_MSG_BODY_MAX	(1024 * 1024)

/* Body transforms of the body test (RFC 5173). */
enum sieve_body { SIEVE_BODY_TEXT = 0, SIEVE_BODY_RAW, SIEVE_BODY_CONTENT };

struct sieve_msg;

/* One address: "local@domain" in all; the local part is all[0..local). */
struct sieve_addr {
	char	*all;
	size_t	 local;		/* length of the local part */
	int	 domain;	/* 1 when all holds "@domain" after local */
};

struct sieve_addrs {
	struct sieve_addr *v;
	size_t	 n;
};

/* A view of msg[0..len) (CRLF or LF line ends). */
struct sieve_msg *sieve_msg_new(const char *msg, size_t len);
void sieve_msg_free(struct sieve_msg *m);

/* Size of the message in bytes; the message; its header's length
 * (the empty line that ends it included). */
size_t sieve_msg_size(const struct sieve_msg *m);
const char *sieve_msg_data(const struct sieve_msg *m);
size_t sieve_msg_header_len(const struct sieve_msg *m);

/*
 * The next field called name (any case) at or after field *pos (start
 * with 0): its value unfolded, trimmed and, with decode,
 * RFC 2047-decoded, replacing out's content; *pos moves past it and
 * *steps_r (may be NULL) grows by the fields looked at. 1 found, 0 no
 * more.
 */
int sieve_msg_field_next(const struct sieve_msg *m, const char *name,
    size_t *pos, int decode, struct buf *out, uint64_t *steps_r);

/* Number of fields called name. */
size_t sieve_msg_field_count(const struct sieve_msg *m, const char *name);

/* 1 when name is a valid field name (RFC 5322 ftext, 1..997 bytes). */
int sieve_field_name_ok(const char *name);

/* Append the addresses of s[0..len) to out (at most SIEVE_MSG_ADDRS_MAX). */
void sieve_addrs_parse(const char *s, size_t len, struct sieve_addrs *out);
void sieve_addrs_free(struct sieve_addrs *a);

/*
 * Call fn with the text of each body part selected by transform: the
 * whole raw body (SIEVE_BODY_RAW), each text part decoded
 * (SIEVE_BODY_TEXT), or each leaf part whose Content-Type matches one of
 * types[0..ntypes) (SIEVE_BODY_CONTENT: "type" matches every subtype,
 * "type/subtype" one, "" all; text parts are decoded, others given as
 * they are encoded). fn returns nonzero to stop; that value is returned,
 * else 0.
 */
int sieve_msg_body(struct sieve_msg *m, int transform,
    const char *const *types, size_t ntypes,
    int (*fn)(const char *text, size_t len, void *ctx), void *ctx);

#endif
