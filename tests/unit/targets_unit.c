// SPDX-License-Identifier: GPL-2.0
/*
 * targets_unit.c - user/targets.c for the unit tests.  Its candidate
 * tables use positional initializers that leave trailing fields to zero,
 * which the top Makefile allows (-Wno-missing-field-initializers) and
 * UNIT_CFLAGS (-Wextra -Werror) does not.  The tests need its pure
 * look-ups (kind_field_set(), field_name()), not a copy of them.
 */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include "../../user/targets.c"
