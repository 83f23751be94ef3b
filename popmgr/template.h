/*
 * template - PMDF report templates ("formatting files")
 *
 * A template is applied once per item of a list (accounts, forwardings,
 * messages, groups). Text is copied; these are replaced:
 *
 *	%name		the value of field name (letters, digits, '_')
 *	%name{FMT}	the same, formatted by one printf conversion FMT:
 *			%[-+ #0][width][.precision] then one of
 *			d i u o x X (numbers), f F e E g G (numbers), s
 *			(anything); width and precision at most 999
 *	%first{TEXT}	TEXT before the first item only
 *	%last{TEXT}	TEXT after the last item only
 *	%none{TEXT}	TEXT when the list is empty
 *	%s		"s" unless the last number substituted was 1
 *	%%  %{  %}	a literal '%', '{', '}'
 *
 * A '%' followed by anything else is itself. TEXT may hold fields and
 * nested braces. A line holding nothing but %first, %last and %none
 * directives (and blanks) is printed, with its line end, only when one
 * of them applies; other lines are printed for every item and never
 * for an empty list. Field names and formats are checked when the
 * template is compiled, so a bad template fails before any output.
 *
 * Nothing here touches the store; the unit tests include this file.
 */
#ifndef POPMGR_TEMPLATE_H
#define POPMGR_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>

struct buf;

#define TEMPLATE_MAX	65536	/* bytes of a template */

enum tvalue_type { TV_STR, TV_UINT, TV_REAL };

struct tvalue {
	int		 type;	/* enum tvalue_type */
	const char	*s;	/* TV_STR */
	uint64_t	 u;	/* TV_UINT */
	double		 d;	/* TV_REAL */
};

/*
 * Field lookup: the value of field number `field` (an index into the
 * names given to template_compile) for item. Strings must stay valid
 * until the next call.
 */
typedef void template_get_fn(void *item, size_t field, struct tvalue *v);

struct template;

/*
 * Compile text[0..len) against the field names (NULL-terminated).
 * 0, or -1 with *why_r naming the problem and its line.
 */
int template_compile(const char *text, size_t len, const char *const *names,
    struct template **t_r, char **why_r);

/*
 * Append the output for one item (first and last say where it is in
 * the list) to out; item NULL means the list is empty (only %none
 * applies).
 */
void template_apply(const struct template *t, void *item, int first,
    int last, template_get_fn *get, struct buf *out);

/* 1 if the template uses field number field (to skip loading data). */
int template_uses(const struct template *t, size_t field);

void template_free(struct template *t);

#endif
