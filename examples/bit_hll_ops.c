/*
 * bit_hll_ops: bit operations on a blob bin and HyperLogLog counting in one
 * record, with operate.
 *
 *   AEROSPIKE_HOSTS=127.0.0.1:3000 ./bit_hll_ops
 *
 * Builders borrow their bytes and lists: they must stay alive until the call
 * returns. Exits 1 on any error; exits 0 with a note when the server does not
 * serve them (16; aw-testd serves both).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <aerowire/aerowire.h>
#include <aerowire/client.h>

int main(void) {
    const char *hosts = getenv("AEROSPIKE_HOSTS");
    aw_config cfg;
    aw_config_init(&cfg);
    cfg.hosts = hosts && hosts[0] ? hosts : "127.0.0.1:3000";
    aw_client *client;
    aw_error err;
    if (aw_client_new(&client, &cfg, &err) != AW_OK) {
        fprintf(stderr, "connect: %s\n", err.message);
        return 1;
    }
    aw_key key;
    aw_key_init_str(&key, "test", "demo", "bit-hll-example", NULL);

    static const uint8_t flag_byte = 0x80;
    aw_value visitors[] = {aw_value_str("ann"), aw_value_str("bob"), aw_value_str("ann")};
    aw_op ops[] = {
        /* a 4-byte bitmap, created if missing (resized to 4 bytes if not) */
        aw_op_bit_resize("flags", AW_BIT_WRITE_DEFAULT, 4, AW_BIT_RESIZE_DEFAULT),
        aw_op_bit_set("flags", AW_BIT_WRITE_DEFAULT, 8, 8, &flag_byte, 1), /* bit 8 on */
        aw_op_bit_set_int("flags", AW_BIT_WRITE_DEFAULT, 16, 16, 250),
        aw_op_bit_add("flags", AW_BIT_WRITE_DEFAULT, 16, 16, 10, false, AW_BIT_OVERFLOW_SATURATE),
        aw_op_bit_count("flags", 0, 32),         /* result 0: 1 bits in the bitmap */
        aw_op_bit_get_int("flags", 16, 16, false), /* result 1: 260 */
        /* distinct visitors: an HLL of 2^10 registers, no minhash */
        aw_op_hll_add("seen", AW_HLL_WRITE_DEFAULT, aw_value_list(visitors, 3), 10,
                      AW_HLL_BITS_UNSET),
        aw_op_hll_get_count("seen"), /* result 2: about 2 */
    };
    aw_record rec;
    int rc = aw_operate(client, NULL, &key, ops, sizeof ops / sizeof *ops, &rec, &err);
    if (rc == AW_ERR_UNSUPPORTED_FEATURE) {
        printf("the server does not serve bit/HLL ops: %s\n", err.message);
        aw_client_close(client);
        return 0;
    }
    if (rc != AW_OK) {
        fprintf(stderr, "operate: %s\n", err.message);
        aw_client_close(client);
        return 1;
    }
    /* Bit and HLL ops answer once per op, in order (modify ops with nil). */
    printf("bits set: %" PRId64 ", counter: %" PRId64 ", distinct visitors: %" PRId64 "\n",
           rec.bins[4].value.u.i, rec.bins[5].value.u.i, rec.bins[7].value.u.i);
    aw_record_free(&rec);
    aw_delete(client, NULL, &key, NULL);
    aw_client_close(client);
    return 0;
}
