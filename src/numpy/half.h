/*
 * IEEE 754 binary16 ("f2", numpy's float16) conversions.
 */
#ifndef AW_NUMPY_HALF_H
#define AW_NUMPY_HALF_H

#include <stdint.h>

/* The half nearest to d, ties to even (one rounding, straight from the
 * double: no double rounding through float). Overflow gives +-inf, values
 * up to half the smallest subnormal give +-0, NaN stays NaN with its sign
 * and top payload bits: bit for bit what numpy's float16(d) gives. */
uint16_t aw_double_to_half(double d);

/* The exact float (and so double) value of a half. */
float aw_half_to_float(uint16_t h);

#endif
