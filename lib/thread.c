/*
 * thread - IMAP THREAD (RFC 5256) over the matches of a search (see
 * thread.h).
 *
 * REFERENCES follows the steps of RFC 5256 section 4, numbered as
 * there. Containers (a message, or a dummy standing for a Message-ID
 * that no match has) live in one array and are linked by index:
 * parent, first child, next sibling. Step 1 runs while the search
 * streams the matches in sequence order, so References lists are never
 * stored; only distinct Message-IDs and base subjects are, interned in
 * string tables. Every walk over the trees is iterative.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "folder.h"
#include "mem.h"
#include "mime.h"
#include "thread.h"

#define NONE	THREAD_NONE

/* ---- interned strings ---- */

struct stab {
	struct buf	 arena;
	uint32_t	*off, *len, *hash;	/* per id */
	size_t		 n, cap;
	uint64_t	*slot;			/* hash << 32 | id + 1; 0 empty */
	size_t		 nslot;			/* power of two */
};

static uint32_t
str_hash(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
	return (uint32_t)(h ^ (h >> 32));
}

static void
stab_grow(struct stab *t)
{
	size_t i, j, mask;

	free(t->slot);
	t->nslot = t->nslot ? t->nslot * 2 : 1024;
	t->slot = mem_zalloc(t->nslot, sizeof(uint64_t));
	mask = t->nslot - 1;
	for (i = 0; i < t->n; i++) {
		for (j = t->hash[i] & mask; t->slot[j] != 0; j = (j + 1) & mask)
			;
		t->slot[j] = (uint64_t)t->hash[i] << 32 | (uint32_t)(i + 1);
	}
}

/* The id of s[0..len): 1 found, 0 added (when add) or not found. */
static int
stab_get(struct stab *t, const char *s, size_t len, int add, uint32_t *id_r)
{
	uint32_t h = str_hash(s, len), id;
	size_t j, mask;

	if (t->nslot == 0 || (t->n + 1) * 2 > t->nslot)
		stab_grow(t);
	mask = t->nslot - 1;
	for (j = h & mask; t->slot[j] != 0; j = (j + 1) & mask) {
		if ((uint32_t)(t->slot[j] >> 32) != h)
			continue;
		id = (uint32_t)t->slot[j] - 1;
		if (t->len[id] == len &&
		    memcmp(t->arena.data + t->off[id], s, len) == 0) {
			*id_r = id;
			return 1;
		}
	}
	if (!add)
		return 0;
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 256;
		t->off = mem_realloc(t->off, t->cap, sizeof(uint32_t));
		t->len = mem_realloc(t->len, t->cap, sizeof(uint32_t));
		t->hash = mem_realloc(t->hash, t->cap, sizeof(uint32_t));
	}
	if (t->arena.len > UINT32_MAX - len || t->n >= UINT32_MAX - 1)
		mem_fatal("thread: too many strings");
	id = (uint32_t)t->n++;
	t->off[id] = (uint32_t)t->arena.len;
	t->len[id] = (uint32_t)len;
	t->hash[id] = h;
	buf_append(&t->arena, s, len);
	t->slot[j] = (uint64_t)h << 32 | (id + 1);
	*id_r = id;
	return 0;
}

static void
stab_free(struct stab *t)
{
	buf_free(&t->arena);
	free(t->off);
	free(t->len);
	free(t->hash);
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

/* ---- messages and containers ---- */

struct tmsg {
	int64_t		 date;		/* sent date */
	uint32_t	 pos, seq, uid;
	uint32_t	 subj;		/* id in the subject table */
	int		 refwd;
};

struct cont {
	uint32_t	 msg;		/* index in msgs, NONE for a dummy */
	uint32_t	 parent, child, next;
	uint32_t	 aux;		/* per step: root slot, new index */
};

struct th {
	const struct search_env *env;
	int		 algo;
	struct tmsg	*msgs;
	size_t		 nmsgs, capmsgs;
	struct cont	*cont;
	size_t		 ncont, capcont;
	uint32_t	*idcont;	/* container of each Message-ID */
	size_t		 capid;
	struct stab	 ids, subjects;
	struct buf	 scratch;
	uint32_t	*tmp;		/* sibling sorting */
	size_t		 captmp;
};

static uint32_t
cont_new(struct th *t, uint32_t msg)
{
	struct cont *c;

	if (t->ncont == t->capcont) {
		t->capcont = t->capcont ? t->capcont * 2 : 256;
		if (t->capcont >= NONE)
			mem_fatal("thread: too many messages");
		t->cont = mem_realloc(t->cont, t->capcont, sizeof(*t->cont));
	}
	c = &t->cont[t->ncont];
	c->msg = msg;
	c->parent = c->child = c->next = c->aux = NONE;
	return (uint32_t)t->ncont++;
}

/* The container of Message-ID s[0..len), a new dummy if none. */
static uint32_t
cont_of_id(struct th *t, const char *s, size_t len, int *had_r)
{
	uint32_t id;

	*had_r = stab_get(&t->ids, s, len, 1, &id);
	if (!*had_r) {
		if (t->capid < t->ids.cap) {
			t->capid = t->ids.cap;
			t->idcont = mem_realloc(t->idcont, t->capid,
			    sizeof(uint32_t));
		}
		t->idcont[id] = cont_new(t, NONE);
	}
	return t->idcont[id];
}

static void
unlink_parent(struct th *t, uint32_t c)
{
	uint32_t p = t->cont[c].parent, *pp;

	if (p == NONE)
		return;
	for (pp = &t->cont[p].child; *pp != c; pp = &t->cont[*pp].next)
		;
	*pp = t->cont[c].next;
	t->cont[c].parent = t->cont[c].next = NONE;
}

static void
add_child(struct th *t, uint32_t p, uint32_t c)
{
	t->cont[c].parent = p;
	t->cont[c].next = t->cont[p].child;
	t->cont[p].child = c;
}

/* The container after x in a preorder walk of the subtree at top. */
static uint32_t
preorder_next(const struct th *t, uint32_t x, uint32_t top)
{
	if (t->cont[x].child != NONE)
		return t->cont[x].child;
	while (x != top) {
		if (t->cont[x].next != NONE)
			return t->cont[x].next;
		x = t->cont[x].parent;
	}
	return NONE;
}

/*
 * 1 when p is c or below c (linking p as c's parent would make a loop).
 * Walks up from p and down through c's subtree in turn, so the cost is
 * the smaller of p's depth and c's subtree.
 */
static int
is_below(const struct th *t, uint32_t p, uint32_t c)
{
	uint32_t up = p, down = c;

	for (;;) {
		if (up == c || down == p)
			return 1;
		if ((up = t->cont[up].parent) == NONE)
			return 0;
		if ((down = preorder_next(t, down, c)) == NONE)
			return 0;
	}
}

/* Step 1 for one message: its container and its references. */
static void
link_message(struct th *t, uint32_t k, const struct mime_view *v)
{
	struct mime_str refs = { NULL, 0 };
	uint32_t c, r, prev = NONE;
	const char *p, *end, *sp;
	int had;

	if (v != NULL && v->message_id.len > 0) {
		c = cont_of_id(t, v->message_id.s, v->message_id.len, &had);
		if (t->cont[c].msg != NONE)	/* a duplicate: unique id */
			c = cont_new(t, NONE);
	} else {
		c = cont_new(t, NONE);
	}
	t->cont[c].msg = k;
	if (v != NULL)
		refs = v->references.len > 0 ? v->references : v->in_reply_to;
	for (p = refs.s, end = p + refs.len; p != NULL && p < end; p = sp + 1) {
		if ((sp = memchr(p, ' ', (size_t)(end - p))) == NULL)
			sp = end;
		if (sp == p)
			continue;
		r = cont_of_id(t, p, (size_t)(sp - p), &had);
		if (prev != NONE && t->cont[r].parent == NONE &&
		    !is_below(t, prev, r))
			add_child(t, prev, r);
		prev = r;
	}
	unlink_parent(t, c);
	if (prev != NONE && !is_below(t, prev, c))
		add_child(t, prev, c);
}

/* ASCII-casemapped base subject into the subject table. */
static uint32_t
subject_id(struct th *t, const struct mime_view *v)
{
	uint32_t id;
	size_t i, len = v != NULL ? v->base_subject.len : 0;

	buf_reset(&t->scratch);
	buf_append(&t->scratch, len ? v->base_subject.s : "", len);
	for (i = 0; i < len; i++)
		if (t->scratch.data[i] >= 'a' && t->scratch.data[i] <= 'z')
			t->scratch.data[i] -= 32;
	stab_get(&t->subjects, t->scratch.data, len, 1, &id);
	return id;
}

static int
add_message(struct search_msg *m, void *ctx)
{
	struct th *t = ctx;
	const struct msgrec *r = search_msg_record(m);
	const struct mime_view *v = NULL;
	struct tmsg *tm;

	if (search_msg_view(m, &v) != 1)
		v = NULL;
	if (t->nmsgs == t->capmsgs) {
		t->capmsgs = t->capmsgs ? t->capmsgs * 2 : 256;
		t->msgs = mem_realloc(t->msgs, t->capmsgs, sizeof(*t->msgs));
	}
	tm = &t->msgs[t->nmsgs];
	tm->date = search_sent_date(r, v);
	tm->pos = search_msg_pos(m);
	tm->seq = search_msg_seq(m);
	tm->uid = r->uid;
	tm->subj = subject_id(t, v);
	tm->refwd = v != NULL && (v->flags & MIME_F_REFWD);
	if (t->algo == THREAD_REFERENCES)
		link_message(t, (uint32_t)t->nmsgs, v);
	t->nmsgs++;
	return 0;
}

/* ---- ordering siblings ---- */

/* The message a container sorts by: its own, or its first child's. */
static const struct tmsg *
sort_msg(const struct th *t, uint32_t x)
{
	while (t->cont[x].msg == NONE && t->cont[x].child != NONE)
		x = t->cont[x].child;
	return t->cont[x].msg == NONE ? NULL : &t->msgs[t->cont[x].msg];
}

static int
cmp_sibling(const void *pa, const void *pb, void *ctx)
{
	const struct th *t = ctx;
	const struct tmsg *a = sort_msg(t, *(const uint32_t *)pa);
	const struct tmsg *b = sort_msg(t, *(const uint32_t *)pb);

	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	if (a->date != b->date)
		return a->date < b->date ? -1 : 1;
	return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* Sort the children of p by sent date, then mailbox order. */
static void
sort_children(struct th *t, uint32_t p)
{
	uint32_t x;
	size_t n = 0, i;

	for (x = t->cont[p].child; x != NONE; x = t->cont[x].next) {
		if (n == t->captmp) {
			t->captmp = t->captmp ? t->captmp * 2 : 256;
			t->tmp = mem_realloc(t->tmp, t->captmp,
			    sizeof(uint32_t));
		}
		t->tmp[n++] = x;
	}
	if (n < 2)
		return;
	qsort_r(t->tmp, n, sizeof(uint32_t), cmp_sibling, t);
	t->cont[p].child = t->tmp[0];
	for (i = 0; i + 1 < n; i++)
		t->cont[t->tmp[i]].next = t->tmp[i + 1];
	t->cont[t->tmp[n - 1]].next = NONE;
}

/* ---- REFERENCES steps 2 to 6 ---- */

static int
is_dummy(const struct th *t, uint32_t x)
{
	return t->cont[x].msg == NONE;
}

/* Step 2: a root container holding every parentless one. */
static uint32_t
gather_roots(struct th *t)
{
	uint32_t root = cont_new(t, NONE), i;

	for (i = 0; i < root; i++)
		if (t->cont[i].parent == NONE)
			add_child(t, root, i);
	return root;
}

/* Step 3: prune dummies, level by level, with a stack of containers. */
static void
prune(struct th *t, uint32_t root)
{
	uint32_t *stack = mem_alloc(t->ncont, sizeof(uint32_t));
	uint32_t p, x, first, last, *pp;
	size_t sp = 0;

	stack[sp++] = root;
	while (sp > 0) {
		p = stack[--sp];
		pp = &t->cont[p].child;
		while ((x = *pp) != NONE) {
			first = t->cont[x].child;
			if (is_dummy(t, x) && first == NONE) {
				*pp = t->cont[x].next;
				continue;
			}
			if (is_dummy(t, x) && (p != root ||
			    t->cont[first].next == NONE)) {
				for (last = first;; last = t->cont[last].next) {
					t->cont[last].parent = p;
					if (t->cont[last].next == NONE)
						break;
				}
				t->cont[last].next = t->cont[x].next;
				*pp = first;
				continue;
			}
			stack[sp++] = x;
			pp = &t->cont[x].next;
		}
	}
	free(stack);
}

static uint32_t
thread_subject(const struct th *t, uint32_t x)
{
	const struct tmsg *m = sort_msg(t, x);

	return m != NULL ? m->subj : NONE;
}

static int
subject_empty(const struct th *t, uint32_t s)
{
	return s == NONE || t->subjects.len[s] == 0;
}

static int
refwd(const struct th *t, uint32_t x)
{
	return !is_dummy(t, x) && t->msgs[t->cont[x].msg].refwd;
}

/*
 * Step 5 C: merge root x with root y, the subject table's entry for
 * their subject; the roots taken in are cleared in slots. Returns the
 * new table entry.
 */
static uint32_t
merge(struct th *t, uint32_t *slots, uint32_t x, uint32_t y)
{
	uint32_t c, cn, d;

	slots[t->cont[x].aux] = NONE;
	if (is_dummy(t, y) && is_dummy(t, x)) {
		for (c = t->cont[x].child; c != NONE; c = cn) {
			cn = t->cont[c].next;
			add_child(t, y, c);
		}
		t->cont[x].child = NONE;
	} else if (is_dummy(t, y)) {
		add_child(t, y, x);
	} else if (is_dummy(t, x)) {
		/* cannot happen (step 5 B prefers dummies); keep x's tree */
		slots[t->cont[x].aux] = x;
		slots[t->cont[y].aux] = NONE;
		add_child(t, x, y);
		return x;
	} else if (refwd(t, x) && !refwd(t, y)) {
		add_child(t, y, x);
	} else {
		d = cont_new(t, NONE);
		t->cont[d].aux = t->cont[y].aux;
		slots[t->cont[d].aux] = d;
		add_child(t, d, y);
		add_child(t, d, x);
		return d;
	}
	return y;
}

static void
group_subjects(struct th *t, uint32_t root)
{
	uint32_t *slots, *table, x, y, s;
	size_t n = 0, i;

	for (x = t->cont[root].child; x != NONE; x = t->cont[x].next)
		n++;
	slots = mem_alloc(n ? n : 1, sizeof(uint32_t));
	table = mem_alloc(t->subjects.n ? t->subjects.n : 1, sizeof(uint32_t));
	for (i = 0; i < t->subjects.n; i++)
		table[i] = NONE;
	for (i = 0, x = t->cont[root].child; x != NONE; x = t->cont[x].next) {
		slots[i] = x;
		t->cont[x].aux = (uint32_t)i++;
		if (subject_empty(t, s = thread_subject(t, x)))
			continue;
		y = table[s];
		if (y == NONE || (!is_dummy(t, y) && (is_dummy(t, x) ||
		    (refwd(t, y) && !refwd(t, x)))))
			table[s] = x;
	}
	for (i = 0; i < n; i++) {
		if ((x = slots[i]) == NONE ||
		    subject_empty(t, s = thread_subject(t, x)) ||
		    (y = table[s]) == x)
			continue;
		table[s] = merge(t, slots, x, y);
	}
	t->cont[root].child = NONE;
	for (i = n; i-- > 0;)
		if (slots[i] != NONE)
			add_child(t, root, slots[i]);
	free(slots);
	free(table);
}

/* Steps 4 and 6: every sibling list by date, the roots' last. */
static void
sort_all(struct th *t, uint32_t root)
{
	uint32_t x;

	for (x = t->cont[root].child; x != NONE; x = preorder_next(t, x, root))
		sort_children(t, x);
	sort_children(t, root);
}

/* ---- ORDEREDSUBJECT ---- */

static int
cmp_subject(const void *pa, const void *pb, void *ctx)
{
	const struct th *t = ctx;
	const struct tmsg *a = &t->msgs[*(const uint32_t *)pa];
	const struct tmsg *b = &t->msgs[*(const uint32_t *)pb];

	if (a->subj != b->subj)
		return a->subj < b->subj ? -1 : 1;
	if (a->date != b->date)
		return a->date < b->date ? -1 : 1;
	return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* Each group of one subject: its first message the parent of the rest. */
static uint32_t
ordered_subject(struct th *t)
{
	uint32_t *order = mem_alloc(t->nmsgs ? t->nmsgs : 1, sizeof(uint32_t));
	uint32_t root, head = NONE, c, last = NONE;
	size_t i;

	for (i = 0; i < t->nmsgs; i++)
		order[i] = (uint32_t)i;
	qsort_r(order, t->nmsgs, sizeof(uint32_t), cmp_subject, t);
	for (i = 0; i < t->nmsgs; i++)
		cont_new(t, order[i]);
	root = cont_new(t, NONE);
	for (i = 0; i < t->nmsgs; i++) {
		c = (uint32_t)i;
		if (i == 0 ||
		    t->msgs[order[i]].subj != t->msgs[order[i - 1]].subj) {
			head = c;
			add_child(t, root, c);
			last = NONE;
			continue;
		}
		t->cont[c].parent = head;
		if (last == NONE)
			t->cont[head].child = c;
		else
			t->cont[last].next = c;
		last = c;
	}
	free(order);
	sort_children(t, root);
	return root;
}

/* ---- output ---- */

/* Number the containers under root in preorder and copy them out. */
static void
export(struct th *t, uint32_t root, struct thread_tree *out)
{
	uint32_t x, k = 0;
	struct thread_node *nd;
	const struct tmsg *m;

	for (x = t->cont[root].child; x != NONE; x = preorder_next(t, x, root))
		t->cont[x].aux = k++;
	out->nodes = mem_alloc(k ? k : 1, sizeof(*out->nodes));
	out->n = k;
	out->root = t->cont[root].child == NONE ? NONE :
	    t->cont[t->cont[root].child].aux;
	for (x = t->cont[root].child; x != NONE;
	    x = preorder_next(t, x, root)) {
		nd = &out->nodes[t->cont[x].aux];
		if (is_dummy(t, x)) {
			nd->pos = nd->seq = nd->uid = NONE;
		} else {
			m = &t->msgs[t->cont[x].msg];
			nd->pos = m->pos;
			nd->seq = m->seq;
			nd->uid = m->uid;
		}
		nd->child = t->cont[x].child == NONE ? NONE :
		    t->cont[t->cont[x].child].aux;
		nd->next = t->cont[x].next == NONE ? NONE :
		    t->cont[t->cont[x].next].aux;
	}
}

static void
th_free(struct th *t)
{
	free(t->msgs);
	free(t->cont);
	free(t->idcont);
	free(t->tmp);
	stab_free(&t->ids);
	stab_free(&t->subjects);
	buf_free(&t->scratch);
}

int
thread_algo_parse(const char *atom)
{
	if (strcasecmp(atom, "ORDEREDSUBJECT") == 0)
		return THREAD_ORDEREDSUBJECT;
	if (strcasecmp(atom, "REFERENCES") == 0)
		return THREAD_REFERENCES;
	return 0;
}

int
thread_run(const struct search_env *env, struct search_node *tree,
    int algo, struct thread_tree *t_r, char **why_r)
{
	struct th t;
	uint32_t root;
	int rc;

	memset(t_r, 0, sizeof(*t_r));
	t_r->root = NONE;
	if (algo != THREAD_ORDEREDSUBJECT && algo != THREAD_REFERENCES) {
		if (why_r != NULL)
			*why_r = mem_strdup("unknown threading algorithm");
		return -1;
	}
	memset(&t, 0, sizeof(t));
	t.env = env;
	t.algo = algo;
	rc = search_each(env, tree, add_message, &t, NULL, why_r);
	if (rc == 0) {
		if (algo == THREAD_REFERENCES) {
			root = gather_roots(&t);
			prune(&t, root);
			sort_all(&t, root);
			group_subjects(&t, root);
			sort_all(&t, root);
		} else {
			root = ordered_subject(&t);
		}
		export(&t, root, t_r);
	}
	th_free(&t);
	return rc;
}

void
thread_free(struct thread_tree *t)
{
	free(t->nodes);
	memset(t, 0, sizeof(*t));
	t->root = NONE;
}

/*
 * A thread's members: a chain of only children is "a b c"; where a
 * message has several children each becomes "(...)". The stack holds,
 * per open parenthesis of a child, the sibling to write after it.
 */
static void
format_thread(const struct thread_tree *t, uint32_t x, int use_uid,
    uint32_t **stack, size_t *cap, struct buf *out)
{
	const struct thread_node *nd;
	size_t sp = 0;
	int first = 1;
	uint32_t c, k;

	for (;;) {
		nd = &t->nodes[x];
		if (nd->pos != NONE) {
			buf_printf(out, first ? "%u" : " %u",
			    use_uid ? nd->uid : nd->seq);
			first = 0;
		}
		if ((c = nd->child) != NONE) {
			if (t->nodes[c].next != NONE) {
				if (sp == *cap) {
					*cap = *cap ? *cap * 2 : 64;
					*stack = mem_realloc(*stack, *cap,
					    sizeof(uint32_t));
				}
				buf_puts(out, first ? "(" : " (");
				(*stack)[sp++] = t->nodes[c].next;
				first = 1;
			}
			x = c;
			continue;
		}
		for (;;) {
			if (sp == 0)
				return;
			k = (*stack)[--sp];
			buf_putc(out, ')');
			if (k != NONE) {
				buf_putc(out, '(');
				(*stack)[sp++] = t->nodes[k].next;
				x = k;
				first = 1;
				break;
			}
		}
	}
}

void
thread_format(const struct thread_tree *t, int use_uid, struct buf *out)
{
	uint32_t *stack = NULL, x;
	size_t cap = 0;

	for (x = t->root; x != NONE && x < t->n; x = t->nodes[x].next) {
		buf_putc(out, '(');
		format_thread(t, x, use_uid, &stack, &cap, out);
		buf_putc(out, ')');
	}
	free(stack);
}
