/* The ref: filled from a header record, then only read (accessors). */
#include <string.h>

#include "numpy/array_internal.h"
#include "proto/mem.h"

int aw_arr_ref_fill(aw_array_ref *ref, aw_error *err) {
    int rc = aw_arr_hdr_decode(&ref->rec, &ref->hdr, err);
    if (rc != AW_OK)
        return rc;
    if (!ref->hdr.has_version)
        return aw_error_set(err, AW_ERR_RECORD_NOT_FOUND,
                            "no array at this key (a put or delete of it is unfinished)");
    rc = aw_arr_hdr_layout(&ref->hdr, &ref->dtype, err);
    if (rc != AW_OK)
        return rc;
    uint64_t itemsize = aw_dtype_itemsize(ref->dtype);
    ref->size = ref->hdr.nbytes / itemsize;
    /* Within 2^31 elements times the itemsize: aw_arr_hdr_layout checked
     * that the non-zero dimensions multiply within the limit. */
    uint64_t row = itemsize;
    for (uint32_t k = 1; k < ref->hdr.ndim; k++)
        row *= ref->hdr.shape[k];
    ref->row_bytes = row;
    ref->gen = ref->rec.gen;
    return AW_OK;
}

void aw_array_ref_free(aw_array_ref *ref) {
    if (!ref)
        return;
    aw_dtype_free(ref->dtype);
    aw_record_free(&ref->rec);
    aw_free(ref);
}

uint32_t aw_array_ndim(const aw_array_ref *ref) { return ref ? ref->hdr.ndim : 0; }

const uint64_t *aw_array_shape(const aw_array_ref *ref) { return ref ? ref->hdr.shape : NULL; }

const aw_dtype *aw_array_dtype(const aw_array_ref *ref) { return ref ? ref->dtype : NULL; }

const char *aw_array_descr(const aw_array_ref *ref) { return ref ? ref->hdr.descr : NULL; }

uint64_t aw_array_size(const aw_array_ref *ref) { return ref ? ref->size : 0; }

uint64_t aw_array_nbytes(const aw_array_ref *ref) { return ref ? ref->hdr.nbytes : 0; }

uint64_t aw_array_row_bytes(const aw_array_ref *ref) { return ref ? ref->row_bytes : 0; }

uint32_t aw_array_chunk_bytes(const aw_array_ref *ref) { return ref ? ref->hdr.chunk_bytes : 0; }

uint32_t aw_array_n_chunks(const aw_array_ref *ref) { return ref ? ref->hdr.n_chunks : 0; }

bool aw_array_compressed(const aw_array_ref *ref) { return ref && ref->hdr.compressed; }

uint64_t aw_array_version(const aw_array_ref *ref) { return ref ? ref->hdr.version : 0; }

uint32_t aw_array_format(const aw_array_ref *ref) { return ref ? ref->hdr.fmt : 0; }

uint32_t aw_array_generation(const aw_array_ref *ref) { return ref ? ref->gen : 0; }

size_t aw_array_n_attrs(const aw_array_ref *ref) {
    return ref && ref->hdr.attrs ? ref->hdr.attrs->len : 0;
}

const char *aw_array_attr_name(const aw_array_ref *ref, size_t i) {
    if (i >= aw_array_n_attrs(ref))
        return NULL;
    return ref->hdr.attrs->u.items[2 * i].u.str;
}

const aw_value *aw_array_attr_value(const aw_array_ref *ref, size_t i) {
    if (i >= aw_array_n_attrs(ref))
        return NULL;
    return &ref->hdr.attrs->u.items[2 * i + 1];
}

const aw_value *aw_array_attr_find(const aw_array_ref *ref, const char *name) {
    if (!name)
        return NULL;
    size_t n = aw_array_n_attrs(ref);
    for (size_t i = 0; i < n; i++)
        if (strcmp(ref->hdr.attrs->u.items[2 * i].u.str, name) == 0)
            return &ref->hdr.attrs->u.items[2 * i + 1];
    return NULL;
}
