/*
 * The sixteen-lane compression, written once and compiled once per
 * instruction set: ripemd160_lanes.c defines LANES_NAME and LANES_TARGET
 * (a target attribute, or nothing) and includes this file. Each lane is
 * one message that is a single final block, so every lane starts from the
 * initial chaining words and ends with the digest.
 */
LANES_TARGET static void LANES_NAME(const uint32_t words[16][AW_RIPEMD160_LANES],
                                    uint32_t digest[5][AW_RIPEMD160_LANES]) {
    lane_vec x[16];
    for (int i = 0; i < 16; i++)
        memcpy(&x[i], words[i], sizeof x[i]);
    const lane_vec zero = {0};
    lane_vec al = zero + H0, bl = zero + H1, cl = zero + H2, dl = zero + H3, el = zero + H4;
    lane_vec ar = al, br = bl, cr = cl, dr = dl, er = el;
    AW_RMD_ROUNDS(LANE_ROUND)
    lane_vec h[5] = {zero + H1 + cl + dr, zero + H2 + dl + er, zero + H3 + el + ar,
                     zero + H4 + al + br, zero + H0 + bl + cr};
    memcpy(digest[0], &h[0], sizeof h[0]);
    memcpy(digest[1], &h[1], sizeof h[1]);
    memcpy(digest[2], &h[2], sizeof h[2]);
    memcpy(digest[3], &h[3], sizeof h[3]);
    memcpy(digest[4], &h[4], sizeof h[4]);
}
