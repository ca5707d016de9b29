/*
 * libFuzzer target for the expression text parser (aw_exp_parse): any
 * bytes as text. Beyond "no crash, no leak", it checks what the parser
 * promises: an error is AW_ERR_PARAM (or out of memory) with a message,
 * and an expression it accepts reads back from its base64 form unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aerowire/exp.h"
#include "proto/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0'; /* a NUL inside ends the text, as for any C string */
    aw_exp *e = NULL;
    aw_error err;
    int rc = aw_exp_parse(text, &e, &err);
    if (rc != AW_OK) {
        CHECK(rc == AW_ERR_PARAM || rc == AW_ERR_NOMEM);
        CHECK(e == NULL && err.code == rc && err.message[0] != '\0');
    } else {
        size_t n, m;
        const uint8_t *bytes = aw_exp_bytes(e, &n);
        CHECK(n > 0 && n < AW_EXP_MAX_SIZE);
        char *b64 = NULL;
        aw_exp *back = NULL;
        CHECK(aw_exp_to_base64(e, &b64, &err) == AW_OK);
        /* from_base64 knows every op code the parser can emit. */
        CHECK(aw_exp_from_base64(b64, &back, &err) == AW_OK);
        const uint8_t *again = aw_exp_bytes(back, &m);
        CHECK(m == n && memcmp(again, bytes, n) == 0);
        aw_free(b64);
        aw_exp_free(back);
        aw_exp_free(e);
    }
    free(text);
    return 0;
}
