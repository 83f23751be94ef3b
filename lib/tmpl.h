/*
 * NAME
 *	tmpl - HTML templates that escape every substitution
 * SYNOPSIS
 *	#include "tmpl.h"
 * DESCRIPTION
 *	The web interface (popstore-cgi(8)) draws every page from a
 *	template file a site may copy and change without recompiling. A
 *	template is HTML with these tags:
 *
 *	{{name}}	the value of name, escaped for where it stands
 *	{{&name}}	the value unescaped, but only when the program set
 *			it as a trusted fragment (tmpl_set_raw); any other
 *			value is escaped as {{name}} would. Text only.
 *	{{#name}}...{{/name}}
 *			the block once for a value that is not empty, once
 *			per item for a list (inside, the item's names come
 *			first, then the enclosing ones), never otherwise
 *	{{^name}}...{{/name}}
 *			the block when name is missing, empty or an empty
 *			list
 *	{{>name}}	the template file name.html of the same directory
 *	{{!text}}	a comment; nothing is written
 *
 *	Names are 1 to TMPL_NAME_MAX letters, digits, '_', '-' and '.'.
 *
 *	While compiling, a small HTML tokenizer follows the literal text
 *	and decides each substitution's context once:
 *
 *	text, <textarea>, <title>, a quoted attribute value
 *		& < > " ' ` become character references; control
 *		characters and bytes that are not UTF-8 become U+FFFD;
 *	a quoted URL attribute (href, src, action, formaction, cite,
 *	poster, background, longdesc, usemap, codebase, data, manifest)
 *		at the start of the value: a URL whose scheme is not
 *		http, https or mailto (tabs and newlines ignored, as
 *		browsers do) becomes "#", then escaped as above; later in
 *		the value (a query parameter): every byte but letters,
 *		digits and "-._~" is %XX-encoded.
 *
 *	A substitution anywhere else is a compile error: in a tag or
 *	attribute name, an unquoted attribute value, an event handler
 *	(on...), style, srcdoc or srcset attribute, a comment, or a
 *	<script> or <style> element. A block must end in the context it
 *	began in, so that what follows it has one context whether or not
 *	the block was written.
 * LIMITS
 *	TMPL_SIZE_MAX	bytes of one template file
 *	TMPL_DEPTH_MAX	nested blocks and includes
 *	TMPL_NODES_MAX	parts of a compiled template, includes counted
 *	TMPL_NAME_MAX	bytes of a name
 * MEMORY
 *	A compiled template owns its text; tmpl_free() releases it. The
 *	data tree (tmpl_data_new) owns copies of every value and its list
 *	items; tmpl_data_free() on the root releases all. *why_r is
 *	allocated; the caller frees it.
 * ERRORS
 *	Compiling and loading return -1 with *why_r "NAME:LINE: problem".
 *	Rendering cannot fail.
 */
#ifndef POPSTORE_TMPL_H
#define POPSTORE_TMPL_H

#include <stddef.h>

struct buf;

#define TMPL_SIZE_MAX	(256 * 1024)
#define TMPL_DEPTH_MAX	16
#define TMPL_NODES_MAX	20000
#define TMPL_NAME_MAX	64

struct tmpl;
struct tmpl_data;

/*
 * Where {{>name}} finds its text: append the template called name to
 * out and return 1, 0 when there is none, -1 with *why_r on error.
 */
typedef int tmpl_include_fn(void *ctx, const char *name, struct buf *out,
    char **why_r);

/*
 * Compile text[0..len), called name in errors. include may be NULL
 * (then {{>...}} is an error). 0 with *t_r, or -1 with *why_r.
 */
int tmpl_compile(const char *text, size_t len, const char *name,
    tmpl_include_fn *include, void *ctx, struct tmpl **t_r, char **why_r);

/*
 * Compile the file dir/name.html; its includes come from the same
 * directory. name must be a valid template name (it never comes from
 * a request). 0, or -1 with *why_r.
 */
int tmpl_load(const char *dir, const char *name, struct tmpl **t_r,
    char **why_r);

void tmpl_free(struct tmpl *t);

/* Append the page for data d (may be NULL: every name missing). */
void tmpl_render(const struct tmpl *t, const struct tmpl_data *d,
    struct buf *out);

/* ---- the values ---- */

struct tmpl_data *tmpl_data_new(void);

/* Release a root (and everything below it); NULL is allowed. */
void tmpl_data_free(struct tmpl_data *d);

/* Set name to a copy of value (replacing an earlier value). */
void tmpl_set(struct tmpl_data *d, const char *name, const char *value);
void tmpl_setf(struct tmpl_data *d, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void tmpl_setn(struct tmpl_data *d, const char *name, const char *value,
    size_t len);

/* name is "1" when on, else "" (which hides an enclosing value). */
void tmpl_set_bool(struct tmpl_data *d, const char *name, int on);

/*
 * Set name to a trusted HTML fragment the program built itself; only
 * {{&name}} writes it unescaped.
 */
void tmpl_set_raw(struct tmpl_data *d, const char *name, const char *html);

/*
 * Append an item to the list name (made on first use) and return it;
 * it belongs to d.
 */
struct tmpl_data *tmpl_add(struct tmpl_data *d, const char *name);

/* The string value of name in d itself (no enclosing scope), or NULL. */
const char *tmpl_get(const struct tmpl_data *d, const char *name);

/* ---- the escapes, for callers that write HTTP headers or URLs ---- */

/* HTML text and attribute escape of s[0..len) (see DESCRIPTION). */
void tmpl_escape_html(struct buf *out, const char *s, size_t len);

/* %XX-encode every byte of s[0..len) but letters, digits, "-._~". */
void tmpl_escape_url(struct buf *out, const char *s, size_t len);

/* 1 when a URL's scheme is absent, http, https or mailto, else 0. */
int tmpl_url_safe(const char *s, size_t len);

#endif
