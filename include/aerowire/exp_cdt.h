/*
 * aerowire/exp_cdt.h — list, map, bit and HLL functions inside expressions
 * (the server's CALL, op 127; wire-protocol.md §5.4.4). Included by exp.h.
 *
 * Every argument that is a value is an expression node (aw_exp_int(b, 1), a
 * bin, a var, another call); `bin` (always last) is the list, map, blob or
 * HLL the function reads, usually aw_exp_bin_list(b, "l") and friends. `ctx`
 * (NULL = the bin itself) and the policies are copied when the node is built.
 * Return types (`rt`) and flags are the ones of ops.h, ops_bit.h, ops_hll.h.
 *
 * Read functions return what rt selects: a count, index or rank is an int
 * (a list of them for the multi-element selections), VALUE the element
 * (single-element selections: of `value_type`, which the caller names) or a
 * list of them, KEY_VALUE and the map forms a map, EXISTS a bool. rt NONE is
 * refused for reads. Modify functions return the modified copy (a list or
 * map; the stored bin is not touched unless the expression is written back
 * with aw_op_exp_write). Remove functions take rt AW_RETURN_NONE, optionally
 * | AW_RETURN_INVERTED (remove all but the selection).
 *
 * Bad arguments (an unknown return type, flags, a value of the wrong type)
 * are reported by aw_exp_compile as AW_ERR_PARAM naming the node.
 */
#ifndef AEROWIRE_EXP_CDT_H
#define AEROWIRE_EXP_CDT_H

#include <stdbool.h>
#include <stdint.h>

#include "exp.h"
#include "export.h"
#include "ops.h"
#include "ops_bit.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- List reads ------------------------------------------------------------ */

AW_API aw_exp_node *aw_exp_list_size(aw_exp_builder *b, const aw_ctx *ctx, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_list_get_by_index(aw_exp_builder *b, const aw_ctx *ctx, uint32_t rt,
                                             aw_exp_type value_type, aw_exp_node *index,
                                             aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_list_get_by_index_range(aw_exp_builder *b, const aw_ctx *ctx,
                                                   uint32_t rt, aw_exp_node *index,
                                                   aw_exp_node *count, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_list_get_by_index_range_to_end(aw_exp_builder *b, const aw_ctx *ctx,
                                                          uint32_t rt, aw_exp_node *index,
                                                          aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_list_get_by_rank(aw_exp_builder *b, const aw_ctx *ctx, uint32_t rt,
                                            aw_exp_type value_type, aw_exp_node *rank,
                                            aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_list_get_by_rank_range(aw_exp_builder *b, const aw_ctx *ctx,
                                                  uint32_t rt, aw_exp_node *rank,
                                                  aw_exp_node *count, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_list_get_by_rank_range_to_end(aw_exp_builder *b, const aw_ctx *ctx,
                                                         uint32_t rt, aw_exp_node *rank,
                                                         aw_exp_node *bin);
/* Every element equal to value. */
AW_API aw_exp_node *aw_exp_list_get_by_value(aw_exp_builder *b, const aw_ctx *ctx, uint32_t rt,
                                             aw_exp_node *value, aw_exp_node *bin);
/* [begin, end); end NULL = to the largest value (aw_exp_inf() sends it). */
AW_API aw_exp_node *aw_exp_list_get_by_value_range(aw_exp_builder *b, const aw_ctx *ctx,
                                                   uint32_t rt, aw_exp_node *begin,
                                                   aw_exp_node *end, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_list_get_by_value_list(aw_exp_builder *b, const aw_ctx *ctx,
                                                  uint32_t rt, aw_exp_node *values,
                                                  aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_list_get_by_value_rel_rank_range(aw_exp_builder *b, const aw_ctx *ctx,
                                                            uint32_t rt, aw_exp_node *value,
                                                            aw_exp_node *rank, aw_exp_node *count,
                                                            aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_list_get_by_value_rel_rank_range_to_end(aw_exp_builder *b,
                                                                   const aw_ctx *ctx, uint32_t rt,
                                                                   aw_exp_node *value,
                                                                   aw_exp_node *rank,
                                                                   aw_exp_node *bin);

/* --- List modifies (the result is the modified list) ----------------------- */

AW_API aw_exp_node *aw_exp_list_append(aw_exp_builder *b, const aw_ctx *ctx,
                                       const aw_list_policy *pol, aw_exp_node *value,
                                       aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_list_append_items(aw_exp_builder *b, const aw_ctx *ctx,
                                             const aw_list_policy *pol, aw_exp_node *list,
                                             aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_list_insert(aw_exp_builder *b, const aw_ctx *ctx,
                                       const aw_list_policy *pol, aw_exp_node *index,
                                       aw_exp_node *value, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_list_insert_items(aw_exp_builder *b, const aw_ctx *ctx,
                                             const aw_list_policy *pol, aw_exp_node *index,
                                             aw_exp_node *list, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_list_increment(aw_exp_builder *b, const aw_ctx *ctx,
                                          const aw_list_policy *pol, aw_exp_node *index,
                                          aw_exp_node *delta, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_list_set(aw_exp_builder *b, const aw_ctx *ctx,
                                    const aw_list_policy *pol, aw_exp_node *index,
                                    aw_exp_node *value, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_list_clear(aw_exp_builder *b, const aw_ctx *ctx, aw_exp_node *bin);
/* sort_flags: AW_LIST_SORT_*. */
AW_API aw_exp_node *aw_exp_list_sort(aw_exp_builder *b, const aw_ctx *ctx, unsigned sort_flags,
                                     aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_list_remove_by_index(aw_exp_builder *b, const aw_ctx *ctx,
                                                aw_exp_node *index, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_list_remove_by_index_range(aw_exp_builder *b, const aw_ctx *ctx,
                                                      uint32_t rt, aw_exp_node *index,
                                                      aw_exp_node *count, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_list_remove_by_index_range_to_end(aw_exp_builder *b,
                                                             const aw_ctx *ctx, uint32_t rt,
                                                             aw_exp_node *index,
                                                             aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_list_remove_by_rank(aw_exp_builder *b, const aw_ctx *ctx,
                                               aw_exp_node *rank, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_list_remove_by_rank_range(aw_exp_builder *b, const aw_ctx *ctx,
                                                     uint32_t rt, aw_exp_node *rank,
                                                     aw_exp_node *count, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_list_remove_by_rank_range_to_end(aw_exp_builder *b, const aw_ctx *ctx,
                                                            uint32_t rt, aw_exp_node *rank,
                                                            aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_list_remove_by_value(aw_exp_builder *b, const aw_ctx *ctx,
                                                uint32_t rt, aw_exp_node *value,
                                                aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_list_remove_by_value_list(aw_exp_builder *b, const aw_ctx *ctx,
                                                     uint32_t rt, aw_exp_node *values,
                                                     aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_list_remove_by_value_range(aw_exp_builder *b, const aw_ctx *ctx,
                                                      uint32_t rt, aw_exp_node *begin,
                                                      aw_exp_node *end, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_list_remove_by_value_rel_rank_range(aw_exp_builder *b,
                                                               const aw_ctx *ctx, uint32_t rt,
                                                               aw_exp_node *value,
                                                               aw_exp_node *rank,
                                                               aw_exp_node *count,
                                                               aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_list_remove_by_value_rel_rank_range_to_end(aw_exp_builder *b,
                                                                      const aw_ctx *ctx,
                                                                      uint32_t rt,
                                                                      aw_exp_node *value,
                                                                      aw_exp_node *rank,
                                                                      aw_exp_node *bin);

/* --- Map reads --------------------------------------------------------------- */

AW_API aw_exp_node *aw_exp_map_size(aw_exp_builder *b, const aw_ctx *ctx, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_map_get_by_key(aw_exp_builder *b, const aw_ctx *ctx, uint32_t rt,
                                          aw_exp_type value_type, aw_exp_node *key,
                                          aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_map_get_by_key_range(aw_exp_builder *b, const aw_ctx *ctx, uint32_t rt,
                                                aw_exp_node *begin, aw_exp_node *end,
                                                aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_map_get_by_key_list(aw_exp_builder *b, const aw_ctx *ctx, uint32_t rt,
                                               aw_exp_node *keys, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_map_get_by_key_rel_index_range(aw_exp_builder *b, const aw_ctx *ctx,
                                                          uint32_t rt, aw_exp_node *key,
                                                          aw_exp_node *index, aw_exp_node *count,
                                                          aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_map_get_by_key_rel_index_range_to_end(aw_exp_builder *b,
                                                                 const aw_ctx *ctx, uint32_t rt,
                                                                 aw_exp_node *key,
                                                                 aw_exp_node *index,
                                                                 aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_map_get_by_value(aw_exp_builder *b, const aw_ctx *ctx, uint32_t rt,
                                            aw_exp_node *value, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_map_get_by_value_range(aw_exp_builder *b, const aw_ctx *ctx,
                                                  uint32_t rt, aw_exp_node *begin,
                                                  aw_exp_node *end, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_map_get_by_value_list(aw_exp_builder *b, const aw_ctx *ctx,
                                                 uint32_t rt, aw_exp_node *values,
                                                 aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_map_get_by_value_rel_rank_range(aw_exp_builder *b, const aw_ctx *ctx,
                                                           uint32_t rt, aw_exp_node *value,
                                                           aw_exp_node *rank, aw_exp_node *count,
                                                           aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_map_get_by_value_rel_rank_range_to_end(aw_exp_builder *b,
                                                                  const aw_ctx *ctx, uint32_t rt,
                                                                  aw_exp_node *value,
                                                                  aw_exp_node *rank,
                                                                  aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_map_get_by_index(aw_exp_builder *b, const aw_ctx *ctx, uint32_t rt,
                                            aw_exp_type value_type, aw_exp_node *index,
                                            aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_map_get_by_index_range(aw_exp_builder *b, const aw_ctx *ctx,
                                                  uint32_t rt, aw_exp_node *index,
                                                  aw_exp_node *count, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_map_get_by_index_range_to_end(aw_exp_builder *b, const aw_ctx *ctx,
                                                         uint32_t rt, aw_exp_node *index,
                                                         aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_map_get_by_rank(aw_exp_builder *b, const aw_ctx *ctx, uint32_t rt,
                                           aw_exp_type value_type, aw_exp_node *rank,
                                           aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_map_get_by_rank_range(aw_exp_builder *b, const aw_ctx *ctx,
                                                 uint32_t rt, aw_exp_node *rank,
                                                 aw_exp_node *count, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_map_get_by_rank_range_to_end(aw_exp_builder *b, const aw_ctx *ctx,
                                                        uint32_t rt, aw_exp_node *rank,
                                                        aw_exp_node *bin);

/* --- Map modifies (the result is the modified map) ------------------------- */

/* The policy's order and flags are sent (expressions always put: a legacy
 * aw_map_mode other than PUT is refused; use the CREATE_ONLY/UPDATE_ONLY
 * flags). Increment sends the policy's flags only. */
AW_API aw_exp_node *aw_exp_map_put(aw_exp_builder *b, const aw_ctx *ctx, const aw_map_policy *pol,
                                   aw_exp_node *key, aw_exp_node *value, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_map_put_items(aw_exp_builder *b, const aw_ctx *ctx,
                                         const aw_map_policy *pol, aw_exp_node *map,
                                         aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_map_increment(aw_exp_builder *b, const aw_ctx *ctx,
                                         const aw_map_policy *pol, aw_exp_node *key,
                                         aw_exp_node *delta, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_map_clear(aw_exp_builder *b, const aw_ctx *ctx, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_map_remove_by_key(aw_exp_builder *b, const aw_ctx *ctx,
                                             aw_exp_node *key, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_map_remove_by_key_list(aw_exp_builder *b, const aw_ctx *ctx,
                                                  uint32_t rt, aw_exp_node *keys,
                                                  aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_map_remove_by_key_range(aw_exp_builder *b, const aw_ctx *ctx,
                                                   uint32_t rt, aw_exp_node *begin,
                                                   aw_exp_node *end, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_map_remove_by_key_rel_index_range(aw_exp_builder *b, const aw_ctx *ctx,
                                                             uint32_t rt, aw_exp_node *key,
                                                             aw_exp_node *index,
                                                             aw_exp_node *count,
                                                             aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_map_remove_by_key_rel_index_range_to_end(aw_exp_builder *b,
                                                                    const aw_ctx *ctx,
                                                                    uint32_t rt,
                                                                    aw_exp_node *key,
                                                                    aw_exp_node *index,
                                                                    aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_map_remove_by_value(aw_exp_builder *b, const aw_ctx *ctx, uint32_t rt,
                                               aw_exp_node *value, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_map_remove_by_value_list(aw_exp_builder *b, const aw_ctx *ctx,
                                                    uint32_t rt, aw_exp_node *values,
                                                    aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_map_remove_by_value_range(aw_exp_builder *b, const aw_ctx *ctx,
                                                     uint32_t rt, aw_exp_node *begin,
                                                     aw_exp_node *end, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_map_remove_by_value_rel_rank_range(aw_exp_builder *b,
                                                              const aw_ctx *ctx, uint32_t rt,
                                                              aw_exp_node *value,
                                                              aw_exp_node *rank,
                                                              aw_exp_node *count,
                                                              aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_map_remove_by_value_rel_rank_range_to_end(aw_exp_builder *b,
                                                                     const aw_ctx *ctx,
                                                                     uint32_t rt,
                                                                     aw_exp_node *value,
                                                                     aw_exp_node *rank,
                                                                     aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_map_remove_by_index(aw_exp_builder *b, const aw_ctx *ctx,
                                               aw_exp_node *index, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_map_remove_by_index_range(aw_exp_builder *b, const aw_ctx *ctx,
                                                     uint32_t rt, aw_exp_node *index,
                                                     aw_exp_node *count, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_map_remove_by_index_range_to_end(aw_exp_builder *b, const aw_ctx *ctx,
                                                            uint32_t rt, aw_exp_node *index,
                                                            aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_map_remove_by_rank(aw_exp_builder *b, const aw_ctx *ctx,
                                              aw_exp_node *rank, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_map_remove_by_rank_range(aw_exp_builder *b, const aw_ctx *ctx,
                                                    uint32_t rt, aw_exp_node *rank,
                                                    aw_exp_node *count, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_map_remove_by_rank_range_to_end(aw_exp_builder *b, const aw_ctx *ctx,
                                                           uint32_t rt, aw_exp_node *rank,
                                                           aw_exp_node *bin);

/* --- Paths (select / modify by path) ----------------------------------------- */

/* What the path selects (flags AW_PATH_SELECT_*, | AW_PATH_NO_FAIL), as a
 * value of type `type` (usually a list). */
AW_API aw_exp_node *aw_exp_select_by_path(aw_exp_builder *b, const aw_ctx *ctx, aw_exp_type type,
                                          unsigned flags, aw_exp_node *bin);
/* The bin with each selected element replaced by mod's value (flags
 * AW_PATH_NO_FAIL); type is the bin's (list or map). */
AW_API aw_exp_node *aw_exp_modify_by_path(aw_exp_builder *b, const aw_ctx *ctx, aw_exp_type type,
                                          aw_exp_node *mod, unsigned flags, aw_exp_node *bin);
/* Inside a path filter or modify expression: the current element's map key
 * (id 0), value (1) or list index (2, an int), read as `type`. */
enum { AW_EXP_LOOPVAR_KEY = 0, AW_EXP_LOOPVAR_VALUE = 1, AW_EXP_LOOPVAR_INDEX = 2 };
AW_API aw_exp_node *aw_exp_loopvar(aw_exp_builder *b, aw_exp_type type, unsigned id);
/* As the value of a modify by path: remove the element. */
AW_API aw_exp_node *aw_exp_remove_result(aw_exp_builder *b);

/* --- Bits (bin: a blob expression) ----------------------------------------- */

/* Modify functions return the modified blob; flags are AW_BIT_WRITE_*. */
AW_API aw_exp_node *aw_exp_bit_resize(aw_exp_builder *b, unsigned flags, aw_exp_node *byte_size,
                                      unsigned resize_flags, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_bit_insert(aw_exp_builder *b, unsigned flags, aw_exp_node *byte_offset,
                                      aw_exp_node *value, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_bit_remove(aw_exp_builder *b, unsigned flags, aw_exp_node *byte_offset,
                                      aw_exp_node *byte_size, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_bit_set(aw_exp_builder *b, unsigned flags, aw_exp_node *bit_offset,
                                   aw_exp_node *bit_size, aw_exp_node *value, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_bit_or(aw_exp_builder *b, unsigned flags, aw_exp_node *bit_offset,
                                  aw_exp_node *bit_size, aw_exp_node *value, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_bit_xor(aw_exp_builder *b, unsigned flags, aw_exp_node *bit_offset,
                                   aw_exp_node *bit_size, aw_exp_node *value, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_bit_and(aw_exp_builder *b, unsigned flags, aw_exp_node *bit_offset,
                                   aw_exp_node *bit_size, aw_exp_node *value, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_bit_not(aw_exp_builder *b, unsigned flags, aw_exp_node *bit_offset,
                                   aw_exp_node *bit_size, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_bit_lshift(aw_exp_builder *b, unsigned flags, aw_exp_node *bit_offset,
                                      aw_exp_node *bit_size, aw_exp_node *shift,
                                      aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_bit_rshift(aw_exp_builder *b, unsigned flags, aw_exp_node *bit_offset,
                                      aw_exp_node *bit_size, aw_exp_node *shift,
                                      aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_bit_add(aw_exp_builder *b, unsigned flags, aw_exp_node *bit_offset,
                                   aw_exp_node *bit_size, aw_exp_node *value, bool is_signed,
                                   aw_bit_overflow action, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_bit_subtract(aw_exp_builder *b, unsigned flags,
                                        aw_exp_node *bit_offset, aw_exp_node *bit_size,
                                        aw_exp_node *value, bool is_signed,
                                        aw_bit_overflow action, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_bit_set_int(aw_exp_builder *b, unsigned flags, aw_exp_node *bit_offset,
                                       aw_exp_node *bit_size, aw_exp_node *value,
                                       aw_exp_node *bin);
/* Reads: get a blob; count, lscan, rscan (value: a bool) and get_int an int. */
AW_API aw_exp_node *aw_exp_bit_get(aw_exp_builder *b, aw_exp_node *bit_offset,
                                   aw_exp_node *bit_size, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_bit_count(aw_exp_builder *b, aw_exp_node *bit_offset,
                                     aw_exp_node *bit_size, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_bit_lscan(aw_exp_builder *b, aw_exp_node *bit_offset,
                                     aw_exp_node *bit_size, aw_exp_node *value, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_bit_rscan(aw_exp_builder *b, aw_exp_node *bit_offset,
                                     aw_exp_node *bit_size, aw_exp_node *value, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_bit_get_int(aw_exp_builder *b, aw_exp_node *bit_offset,
                                       aw_exp_node *bit_size, bool is_signed, aw_exp_node *bin);

/* --- HLL (bin: an HLL expression) --------------------------------------------- */

/* Modify functions return the modified HLL; flags AW_HLL_WRITE_*, bit counts
 * as for aw_op_hll_init / aw_op_hll_add (AW_HLL_BITS_UNSET = -1). */
AW_API aw_exp_node *aw_exp_hll_init(aw_exp_builder *b, unsigned flags, int index_bits,
                                    int minhash_bits, aw_exp_node *bin);
/* list: a list expression of the elements to add. */
AW_API aw_exp_node *aw_exp_hll_add(aw_exp_builder *b, unsigned flags, aw_exp_node *list,
                                   int index_bits, int minhash_bits, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_hll_get_count(aw_exp_builder *b, aw_exp_node *bin);
/* hlls: a list expression of HLL values. */
AW_API aw_exp_node *aw_exp_hll_get_union(aw_exp_builder *b, aw_exp_node *hlls, aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_hll_get_union_count(aw_exp_builder *b, aw_exp_node *hlls,
                                               aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_hll_get_intersect_count(aw_exp_builder *b, aw_exp_node *hlls,
                                                   aw_exp_node *bin);
AW_API aw_exp_node *aw_exp_hll_get_similarity(aw_exp_builder *b, aw_exp_node *hlls,
                                              aw_exp_node *bin);
/* [index_bits, minhash_bits], a list. */
AW_API aw_exp_node *aw_exp_hll_describe(aw_exp_builder *b, aw_exp_node *bin);
/* 1 when every element of list may be in the HLL, else 0. */
AW_API aw_exp_node *aw_exp_hll_may_contain(aw_exp_builder *b, aw_exp_node *list,
                                           aw_exp_node *bin);

#ifdef __cplusplus
}
#endif
#endif
