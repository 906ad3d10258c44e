/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_rng.h - xorshift64 for the unit tests: many values, the same
 * sequence at every run and on every machine, so a failure reproduces.
 */
#ifndef __PFNMAP_TEST_RNG_H
#define __PFNMAP_TEST_RNG_H

#include <linux/types.h>

static inline __u64 rng_next(__u64 *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

#endif /* __PFNMAP_TEST_RNG_H */
