/* bouncer - private declarations shared by main.c and run.c. */
#ifndef BOUNCER_BOUNCER_H
#define BOUNCER_BOUNCER_H

#include "expire.h"

struct store;

struct bouncer {
	struct store		*s;
	struct expire_policy	 policy;
	int			 verbose;	/* -v: a line per message */
	unsigned long		 accounts;	/* accounts the policy applies to */
	unsigned long		 errors;
	struct expire_report	 rep;
};

/*
 * Apply the policy to every account of the accounts database it
 * applies to. Errors are logged and counted in b->errors; returns 0,
 * or -1 when the accounts could not be listed.
 */
int bouncer_run(struct bouncer *b);

#endif
