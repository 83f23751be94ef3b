/*
 * NAME
 *	mime - parse a message once, at delivery, for IMAP and POP3
 * SYNOPSIS
 *	#include "mime.h"
 * DESCRIPTION
 *	mime_parse() reads a complete message held in memory and computes
 *	everything the servers would otherwise re-parse for each command:
 *	the header block's length, line counts, whether POP3 needs
 *	dot-stuffing, the IMAP ENVELOPE, BODYSTRUCTURE and BODY strings
 *	(RFC 3501 syntax, complete productions with their outer
 *	parentheses, strings as quoted strings or {n} literals), a table of
 *	the MIME parts by section number with the offsets of their headers
 *	and bodies, the raw lines of the commonly fetched header fields, and
 *	the SORT/THREAD keys of RFC 5256 and RFC 5957.
 *
 *	mime_info_encode() turns the result into a compact, versioned,
 *	big-endian blob that the folder cache stores opaquely;
 *	mime_info_decode() checks such a blob (it may come from a damaged
 *	disk) and gives a struct mime_view pointing into it. The same view
 *	type is filled by mime_parse(), so readers do not care where the
 *	data came from.
 *
 *	Input may be anything: CRLF is expected (the store keeps CRLF) but
 *	bare LF, bare CR, NUL and 8-bit bytes, a missing header/body
 *	separator and garbage are all accepted. A line ends at LF, with the
 *	CR before it part of the line end; a bare CR is data. Every pass is
 *	linear in the input and memory is bounded by the input size and the
 *	limits below; nesting is handled iteratively, and the recursion
 *	that writes and compares trees is bounded by MIME_MAX_DEPTH.
 *
 *	Where RFC 3501 leaves a choice, the strings match Dovecot's, the de
 *	facto standard clients are tested against: content types keep the
 *	case they were written in, defaults are lower case ("text" "plain"
 *	("charset" "us-ascii") ... "7bit"), text parts without a charset get
 *	("charset" "us-ascii"), Content-* fields count only in a MIME entity
 *	(a part of a multipart, or a message with MIME-Version or
 *	Content-Type), a multipart without parts is written with one empty
 *	text/plain part, RFC 2231 continuations are merged but not decoded,
 *	unparsable addresses get the placeholder host names MISSING_DOMAIN
 *	and SYNTAX_ERROR and mailbox MISSING_MAILBOX. Differences, chosen on
 *	purpose: sizes count the bytes as stored (Dovecot counts a bare LF
 *	as two), an unparsable Content-Type means text/plain as RFC 2045
 *	5.2 recommends, and of a field that occurs twice the first counts.
 *
 *	Section numbers follow RFC 3501 6.4.5: the top-level message, when
 *	not multipart, is part "1" (its MIME header is the message header);
 *	a multipart directly inside a message (the top level, or the body of
 *	a message/rfc822 part "N") has no number of its own and its parts
 *	are "1", "2" ... or "N.1", "N.2" ...; a message/rfc822 part "N" whose
 *	message is not multipart has that message's body as part "N.1".
 * LIMITS
 *	MIME_MAX_SIZE		longest message accepted: cached offsets
 *				are 32-bit.
 *	MIME_MAX_DEPTH		nesting of multipart and message/rfc822
 *				entities. Deeper containers are leaves: their
 *				body is not parsed and they are written as
 *				"application" "octet-stream".
 *	MIME_MAX_PARTS		entities (parts, with the top level and the
 *				unnumbered multiparts) per message. When it is
 *				reached boundaries are no longer recognised:
 *				the rest of the message is the body of the
 *				multipart whose boundary came last.
 *	MIME_MAX_BOUNDARY	a longer boundary parameter is compared on
 *				this many leading bytes only (70 is RFC
 *				2046's maximum). Delimiter lines are matched
 *				on prefix, the longest and most recent
 *				boundary winning, as RFC 2046 5.1.2 asks.
 *	MIME_MAX_HEADER_LINE	bytes of one unfolded field value that are
 *				parsed; the rest is ignored (the raw field is
 *				still part of the header and of the cached
 *				fields).
 *	MIME_MAX_PARAMS		parameters kept per Content-Type or
 *				Content-Disposition.
 *	MIME_MAX_REFERENCES	message-ids kept from References: the first
 *				and the last MIME_MAX_REFERENCES - 1.
 *	MIME_MAX_FIELDS		the cached common fields of one message; when
 *				they are longer none is cached and
 *				MIME_F_FIELDS_PARTIAL is set.
 * CACHED FIELDS
 *	view.fields holds, in their original order and byte for byte
 *	(folding and line ends included), every occurrence of these fields
 *	of the top-level header: From, To, Cc, Bcc, Subject, Date,
 *	Message-ID, In-Reply-To, References, Reply-To, Sender, Content-Type,
 *	Content-Transfer-Encoding, MIME-Version, List-Id, List-Post,
 *	List-Unsubscribe, X-Priority, Importance, Priority, X-Mailer,
 *	Newsgroups, Disposition-Notification-To, Return-Path, Delivered-To,
 *	X-Uniform-Type-Identifier, X-Universally-Unique-Identifier. These are
 *	what Thunderbird, Apple Mail, Outlook and K-9 ask for in
 *	BODY[HEADER.FIELDS (...)]. Received is left out: it is long, many,
 *	and rarely fetched. mime_field_cached() tells whether a name is one
 *	of them; mime_header_fields() filters view.fields like a header.
 * SORT KEYS
 *	date/zone: the Date: field (RFC 5322 with the obsolete forms, and
 *	the asctime() form) as UTC seconds and minutes east of UTC, with
 *	MIME_F_DATE set. Without a parsable Date: both are 0 and the caller
 *	uses INTERNALDATE, as RFC 5256 2.2 says.
 *	base_subject: RFC 5256 2.1, in UTF-8, case kept (compare with
 *	i;ascii-casemap); MIME_F_REFWD when a reply or forward marker was
 *	removed.
 *	from/to/cc: of the first address of the field, addr is
 *	"mailbox@host" in lower case, its first mbox_len bytes being the
 *	RFC 3501 addr-mailbox that RFC 5256 sorts on; display is the RFC
 *	2047-decoded display name or, without one, mailbox@host (RFC 5957).
 *	message_id, in_reply_to: the first msg-id of the field ("<...>",
 *	comments and whitespace removed); references: the msg-ids of
 *	References separated by single spaces.
 * MEMORY
 *	A struct mime_info owns everything it points to; mime_info_free()
 *	releases it. A view from mime_info_decode() points into the blob,
 *	which must outlive it; its strings are not NUL-terminated. Trees
 *	from mime_bodystructure_parse() are released with mime_tree_free().
 * ERRORS
 *	Parsing never fails on content: garbage gives a best-effort result.
 *	mime_parse() returns -1 only for a message longer than MIME_MAX_SIZE;
 *	mime_info_decode() returns -1 for any blob it did not write.
 */
#ifndef POPSTORE_MIME_H
#define POPSTORE_MIME_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define MIME_MAX_SIZE		0xfffffffeU
#define MIME_MAX_DEPTH		50
#define MIME_MAX_PARTS		5000
#define MIME_MAX_BOUNDARY	70
#define MIME_MAX_HEADER_LINE	65536
#define MIME_MAX_PARAMS		64
#define MIME_MAX_REFERENCES	100
#define MIME_MAX_FIELDS		65536

/* Version byte that starts every blob written by mime_info_encode(). */
#define MIME_BLOB_VERSION	1

/* view.flags */
#define MIME_F_STUFFING		0x0001	/* a line starts with '.' */
#define MIME_F_BARE_LF		0x0002	/* a line ends in LF without CR */
#define MIME_F_NO_FINAL_NL	0x0004	/* the last line has no LF */
#define MIME_F_NUL		0x0008	/* the message contains a NUL */
#define MIME_F_DATE		0x0010	/* date and zone come from Date: */
#define MIME_F_REFWD		0x0020	/* the subject was a reply/forward */
#define MIME_F_FIELDS_PARTIAL	0x0040	/* fields too long, not cached */
#define MIME_F_TRUNCATED	0x0080	/* MIME_MAX_DEPTH or _PARTS hit */
#define MIME_F_NO_SEPARATOR	0x0100	/* header not ended by empty line */
#define MIME_F_ALL		0x01ff

/* A counted string; s == NULL is IMAP's NIL (in trees only). */
struct mime_str {
	const char	*s;
	size_t		 len;
};

struct mime_addrkey {
	struct mime_str	 addr;		/* "mailbox@host", lower case */
	size_t		 mbox_len;	/* length of the mailbox in addr */
	struct mime_str	 display;	/* RFC 5957 display name, UTF-8 */
};

/* What is known about one message; see mime_view_part() for parts. */
struct mime_view {
	unsigned int	 flags;		/* MIME_F_* */
	size_t		 size;		/* length of the message parsed */
	size_t		 header_len;	/* RFC822.HEADER, separator included */
	size_t		 body_lines;	/* LFs in the body */
	size_t		 lines;		/* LFs in the message */
	int64_t		 date;		/* sent date, UTC seconds, or 0 */
	int		 zone;		/* its zone, minutes east of UTC */
	struct mime_str	 envelope;	/* "(date subject ...)" */
	struct mime_str	 bodystructure;	/* "(...)" with extension data */
	struct mime_str	 body;		/* "(...)" without */
	struct mime_str	 fields;	/* raw cached header fields */
	struct mime_str	 base_subject;
	struct mime_addrkey from, to, cc;
	struct mime_str	 message_id, in_reply_to, references;
	size_t		 nparts;	/* rows of the part table */
	/* private: the part table as stored in the blob */
	const unsigned char *rows;
	const char	*names;
	size_t		 names_len;
};

enum mime_kind {
	MIME_KIND_LEAF = 0,
	MIME_KIND_MULTIPART = 1,
	MIME_KIND_MESSAGE = 2		/* message/rfc822 */
};

enum mime_enc {
	MIME_ENC_7BIT = 0,
	MIME_ENC_8BIT,
	MIME_ENC_BINARY,
	MIME_ENC_BASE64,
	MIME_ENC_QP,
	MIME_ENC_OTHER			/* unknown: served undecoded */
};

#define MIME_NO_PARENT	0xffffffffU

/*
 * One entity of the message, in document order: row 0 is the message
 * itself. Offsets are from the start of the message.
 */
struct mime_part {
	size_t		 parent;	/* row, or MIME_NO_PARENT for row 0 */
	enum mime_kind	 kind;
	enum mime_enc	 encoding;
	int		 numbered;	/* has a section number of its own */
	int		 text;		/* a text/ leaf: mime_part_text() */
	int		 truncated;	/* container made a leaf by a limit */
	struct mime_str	 section;	/* "1.2"; for an unnumbered multipart
					 * the number of the message holding
					 * it ("" at the top level) */
	struct mime_str	 charset;	/* charset parameter of a text part */
	size_t		 hdr_off, hdr_len;	/* [N.]MIME header */
	size_t		 body_off, body_len;	/* BODY[N] */
	size_t		 body_lines;
	/* MIME_KIND_MESSAGE only: BODY[N.HEADER] and BODY[N.TEXT] */
	size_t		 inner_hdr_off, inner_hdr_len;
	size_t		 inner_body_off, inner_body_len;
};

/* Envelope and body trees (what the IMAP strings say, as values). */
struct mime_addr {
	struct mime_addr *next;
	struct mime_str	 name, adl, mailbox, host;
};

struct mime_env {
	struct mime_str	 date, subject;
	struct mime_addr *from, *sender, *reply_to, *to, *cc, *bcc;
	struct mime_str	 in_reply_to, message_id;
};

struct mime_param {
	struct mime_str	 name, value;
};

enum mime_body_kind {
	MIME_BODY_BASIC = 0,
	MIME_BODY_TEXT,
	MIME_BODY_MESSAGE,
	MIME_BODY_MULTIPART
};

struct mime_body {
	enum mime_body_kind kind;
	struct mime_body *child;	/* first part; or the message */
	struct mime_body *next;		/* next part of the same multipart */
	struct mime_env	*env;		/* MIME_BODY_MESSAGE */
	struct mime_str	 type, subtype;	/* type is NIL for a multipart */
	struct mime_param *params;	/* nparams == 0: NIL */
	size_t		 nparams;
	struct mime_str	 id, desc, enc;
	uint64_t	 size, lines;
	int		 ext;		/* extension data follows */
	struct mime_str	 md5, disp, loc;
	struct mime_param *dparams;
	size_t		 ndparams;
	struct mime_str	*lang;		/* nlang == 0: NIL */
	size_t		 nlang;
};

struct mime_pool;

struct mime_info {
	struct mime_view view;
	struct mime_env	*env;		/* the ENVELOPE as a tree */
	struct mime_body *body;		/* the BODYSTRUCTURE as a tree */
	struct mime_pool *pool;		/* private */
};

struct mime_tree {
	struct mime_body *body;
	struct mime_env	*env;
	struct mime_pool *pool;		/* private */
};

/*
 * Parse msg[0..len) into *info_r, which the caller later releases with
 * mime_info_free() (also after an error). Returns 0, or -1 when len >
 * MIME_MAX_SIZE. The message must stay unchanged while info is used
 * only for the part offsets, which refer to it; nothing points into it.
 */
int mime_parse(const char *msg, size_t len, struct mime_info *info_r);

/* Release what mime_parse() allocated; info is then empty. */
void mime_info_free(struct mime_info *info);

/*
 * Append the blob of info to out. Layout (big-endian): version, flags,
 * the numbers of struct mime_view, the strings each with a 32-bit
 * length, the part table as fixed 36-byte rows; the comments above
 * mime_info_encode() and row_put() in mime.c give every offset.
 */
void mime_info_encode(const struct mime_info *info, struct buf *out);

/*
 * Check a blob and make view_r point into it. Returns 0, or -1 when the
 * blob is truncated, of another version, or inconsistent in any way
 * (offsets past the message, bad part tree, trailing bytes).
 */
int mime_info_decode(const void *data, size_t len,
    struct mime_view *view_r);

/* 1 when two views hold the same data, else 0. */
int mime_view_equal(const struct mime_view *a, const struct mime_view *b);

/* Row i of the part table: 1 found, 0 when i >= view->nparts. */
int mime_view_part(const struct mime_view *view, size_t i,
    struct mime_part *part_r);

/*
 * The part whose section number is section[0..len) ("1", "2.1.3"; no
 * HEADER/TEXT/MIME suffix): 1 found, 0 not found.
 */
int mime_view_find(const struct mime_view *view, const char *section,
    size_t len, struct mime_part *part_r);

/*
 * Append to out the fields of the header block hdr[0..len) whose names
 * are (invert == 0) or are not (invert != 0) among names[0..n) (any
 * case), raw and in their original order, then the empty line "\r\n"
 * that BODY[HEADER.FIELDS] ends with. The block may be a message
 * header, a part header, or view.fields. A line without a colon is a
 * field no name matches.
 */
void mime_header_fields(const char *hdr, size_t len,
    const char *const *names, size_t n, int invert, struct buf *out);

/*
 * The unfolded value of the first field called name in hdr[0..len),
 * leading whitespace removed, NUL as U+FFFD, appended to value_r: 1
 * found, 0 not.
 */
int mime_header_value(const char *hdr, size_t len, const char *name,
    struct buf *value_r);

/* 1 when view.fields holds every field named name[0..len), else 0. */
int mime_field_cached(const char *name, size_t len);

/*
 * Append s[0..len) to out with RFC 2047 encoded-words (B and Q, any
 * charset iconv knows) decoded to UTF-8; whitespace between adjacent
 * encoded-words is dropped. Invalid encoded-words are left as they are.
 * Bytes that are not valid UTF-8, outside encoded-words or in a
 * charset iconv does not know, become U+FFFD.
 */
void mime_decode_words(const char *s, size_t len, struct buf *out);

/*
 * Append to out at most cap bytes of the text of part (a row of the
 * view of msg[0..len)): the body transfer-decoded (base64,
 * quoted-printable) and converted from its charset to UTF-8, for SEARCH
 * BODY and TEXT. Work is proportional to cap, not to the part. Returns
 * 1 done, 0 when the part is not a text leaf (nothing appended), -1
 * when the part does not lie within msg.
 */
int mime_part_text(const char *msg, size_t len,
    const struct mime_part *part, size_t cap, struct buf *out);

/*
 * Append to out the body of part (a row of the view of msg[0..len))
 * with its transfer encoding undone (base64, quoted-printable; other
 * encodings as they are) and no charset conversion: the bytes of an
 * attachment. At most cap bytes of the encoded body are decoded.
 * Returns 1, or -1 when the part does not lie within msg.
 */
int mime_part_body(const char *msg, size_t len, const struct mime_part *part,
    size_t cap, struct buf *out);

/*
 * Append in[0..len) to out with content transfer encoding `encoding`
 * (MIME_ENC_*) undone, leniently (base64 skips stray bytes,
 * quoted-printable keeps bad escapes). 0, or -1 for an encoding it
 * does not know (out unchanged).
 */
int mime_decode(int encoding, const char *in, size_t len, struct buf *out);

/*
 * Parse an IMAP BODYSTRUCTURE or BODY string (a complete body
 * production, as in view.bodystructure) into *tree_r (->body). Returns 0,
 * or -1 with *why_r set (allocated; the caller frees it) on a syntax
 * error or nesting deeper than MIME_MAX_DEPTH allows.
 */
int mime_bodystructure_parse(const char *s, size_t len,
    struct mime_tree **tree_r, char **why_r);

/* The same for an ENVELOPE string (view.envelope) into (*tree_r)->env. */
int mime_envelope_parse(const char *s, size_t len,
    struct mime_tree **tree_r, char **why_r);

/* Release a tree; NULL is allowed. */
void mime_tree_free(struct mime_tree *tree);

/*
 * 1 when two body trees say the same (extension data compared only when
 * ext != 0), else 0. A BODY string parsed back equals the message's
 * tree with ext == 0, a BODYSTRUCTURE string with ext != 0.
 */
int mime_body_equal(const struct mime_body *a, const struct mime_body *b,
    int ext);

/* 1 when two envelopes are the same, else 0. */
int mime_env_equal(const struct mime_env *a, const struct mime_env *b);

#endif
