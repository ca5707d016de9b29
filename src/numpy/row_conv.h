/*
 * The converter table of row plans (row_decode.c) and the byte-order
 * helpers the read and write paths share.
 */
#ifndef AW_NUMPY_ROW_CONV_H
#define AW_NUMPY_ROW_CONV_H

#include <stdbool.h>
#include <stdint.h>

#include "row_plan.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define AW_HOST_BIG_ENDIAN 1
#else
#define AW_HOST_BIG_ENDIAN 0
#endif

/* The converter for particle class pc into field f (kind, width, order). */
aw_conv_fn aw_row_conv_pick(const aw_plan_field *f, int pc);
/* Sets f's fast path (fast, fast_pt), once its kind, width and order are. */
void aw_row_fast_pick(aw_plan_field *f);

/* Particle type -> AW_PC_*. */
extern const uint8_t aw_particle_class[256];

#endif
