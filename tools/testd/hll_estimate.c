/*
 * aw-testd: the HLL estimators, with the server's arithmetic step for step
 * (as/src/base/particle_hll.c hmh_estimate_*, hll_estimate_*), so counts
 * and similarities come out bit for bit as the server's:
 *  - the count is Ertl's improved estimator ("New cardinality estimation
 *    algorithms for HyperLogLog sketches", algorithm 6), or the count
 *    cached in the HLL when there is one;
 *  - without minhash bits, intersections are inclusion-exclusion over
 *    union counts and the similarity is intersection / union;
 *  - with minhash bits (HyperMinHash, Yu & Weber), the similarity is
 *    (registers equal in all - expected collisions) / registers used in the
 *    union, and the intersection that times the union count.
 * Each expression keeps the server's operand order and types: doubles are
 * not associative.
 */
#include <math.h>

#include "hll_sketch.h"

#define HLL_MAX_VALUE (1 << TD_HLL_VALUE_BITS)

static double hmh_tau(double val) {
    if (val == 0.0 || val == 1.0)
        return 0.0;
    double z_prime;
    double y = 1.0;
    double z = 1 - val;
    do {
        val = sqrt(val);
        z_prime = z;
        y *= 0.5;
        z -= pow(1 - val, 2) * y;
    } while (z_prime != z);
    return z / 3;
}

static double hmh_sigma(double val) {
    if (val == 1.0)
        return INFINITY;
    double z_prime;
    double y = 1;
    double z = val;
    do {
        val *= val;
        z_prime = z;
        z += val * y;
        y += y;
    } while (z_prime != z);
    return z;
}

static double hmh_alpha(unsigned ib) {
    switch (ib) {
    case 4: return 0.673;
    case 5: return 0.697;
    case 6: return 0.709;
    default: return 0.7213 / (1.0 + 1.079 / (1 << ib));
    }
}

uint64_t td_hll_count(const uint8_t *h) {
    uint64_t cached = td_hll_cache(h);
    if (cached != 0)
        return cached;
    uint32_t n_registers = td_hll_n_registers(h);
    uint32_t c[HLL_MAX_VALUE + 1] = {0};
    for (uint32_t r = 0; r < n_registers; r++)
        c[td_hll_register_value(h, td_hll_register(h, r))]++;
    double z = n_registers * hmh_tau(c[HLL_MAX_VALUE] / (double)n_registers);
    for (uint32_t k = HLL_MAX_VALUE; k > 0; k--)
        z = 0.5 * (z + c[k]);
    z += n_registers * hmh_sigma(c[0] / (double)n_registers);
    return (uint64_t)llroundl(hmh_alpha(td_hll_index_bits(h)) * n_registers * n_registers / z);
}

/* The union of the HLLs, built in scratch (hmh_init + hmh_union). */
static void build_union(uint32_t n, const uint8_t *const *hlls, uint8_t *scratch) {
    unsigned ib, mb;
    td_hll_template(n, hlls, &ib, &mb);
    td_hll_init(scratch, ib, mb);
    for (uint32_t i = 0; i < n; i++)
        td_hll_union(scratch, hlls[i]);
}

uint64_t td_hll_union_count(uint32_t n, const uint8_t *const *hlls, uint8_t *scratch) {
    build_union(n, hlls, scratch);
    return td_hll_count(scratch);
}

/* hll_estimate_intersect_cardinality: inclusion-exclusion, for 2 or 3. */
static uint64_t hll_intersect_count(uint32_t n, const uint8_t *const *hlls, uint8_t *scratch) {
    uint64_t cu = td_hll_union_count(n, hlls, scratch);
    uint64_t sum = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t c = td_hll_count(hlls[i]);
        if (sum + c < sum) {
            sum = UINT64_MAX;
            break;
        }
        sum += c;
    }
    if (n == 2)
        return sum > cu ? sum - cu : 0;
    const uint8_t *outer[2] = {hlls[0], hlls[2]};
    uint64_t sum_intersect = td_hll_intersect_count(2, hlls, scratch) +
                             td_hll_intersect_count(2, hlls + 1, scratch) +
                             td_hll_intersect_count(2, outer, scratch);
    /* The server's int64 arithmetic, with its wrap-around made explicit. */
    int64_t result = (int64_t)(cu - (sum - sum_intersect));
    return result < 0 ? 0 : (uint64_t)result;
}

uint64_t td_hll_intersect_count(uint32_t n, const uint8_t *const *hlls, uint8_t *scratch) {
    unsigned ib, mb;
    td_hll_template(n, hlls, &ib, &mb);
    if (mb == 0)
        return hll_intersect_count(n, hlls, scratch);
    double j = td_hll_similarity(n, hlls, scratch);
    if (isnan(j))
        return 0;
    uint64_t cu = td_hll_union_count(n, hlls, scratch);
    return (uint64_t)llround((double)cu * j);
}

/* hmh_jaccard_estimate_collisions: the registers two sets of card0 and
 * card1 elements are expected to share by chance. */
static double expected_collisions(unsigned ib, unsigned mb, uint64_t card0, uint64_t card1) {
    double cp = 0.0;
    uint32_t n_registers = 1u << ib;
    uint32_t n_hll_buckets = 1u << TD_HLL_VALUE_BITS;
    double b1;
    double b2;
    for (int32_t i = 1; (uint32_t)i <= n_hll_buckets; i++) {
        if ((uint32_t)i != n_hll_buckets) {
            b1 = pow(2, -i);
            b2 = pow(2, -i + 1);
        } else {
            b1 = 0.0;
            b2 = pow(2, -i + 1);
        }
        b1 /= n_registers;
        b2 /= n_registers;
        double pr_x = pow(1 - b1, (double)card0) - pow(1 - b2, (double)card0);
        double pr_y = pow(1 - b1, (double)card1) - pow(1 - b2, (double)card1);
        cp += pr_x * pr_y;
    }
    return cp * n_registers / pow(2, mb);
}

double td_hll_similarity(uint32_t n, const uint8_t *const *hlls, uint8_t *scratch) {
    unsigned ib, mb;
    td_hll_template(n, hlls, &ib, &mb);
    if (mb == 0) /* hll_estimate_similarity */
        return (double)hll_intersect_count(n, hlls, scratch) /
               (double)td_hll_union_count(n, hlls, scratch);
    bool one_has_data = false, one_is_empty = false;
    for (uint32_t i = 0; i < n; i++) {
        if (td_hll_has_data(hlls[i]))
            one_has_data = true;
        else
            one_is_empty = true;
    }
    if (one_is_empty)
        return one_has_data ? 0.0 : NAN;
    build_union(n, hlls, scratch);
    uint32_t n_union = td_hll_used_registers(scratch);
    td_hll_init(scratch, ib, mb);
    td_hll_union(scratch, hlls[0]);
    for (uint32_t i = 1; i < n; i++)
        td_hll_intersect(scratch, hlls[i]);
    uint32_t n_intersect = td_hll_used_registers(scratch);
    double ec = 0.0;
    if (n == 2)
        ec = expected_collisions(ib, mb, td_hll_count(hlls[0]), td_hll_count(hlls[1]));
    double result = (n_intersect - ec) / (double)n_union;
    if (result < 0.0)
        result = 0.0;
    return result;
}
