/*
 * Checking a caller's aw_policy before it is used (the enums come from the
 * caller and index tables on the wire side, so out-of-range values are
 * refused up front rather than sent).
 */
#ifndef AW_CLIENT_POLICY_CHECK_H
#define AW_CLIENT_POLICY_CHECK_H

#include "aerowire/client.h"

/* AW_OK, or AW_ERR_PARAM naming the field (`what` prefixes the message,
 * e.g. "read policy"). */
int aw_policy_check(const aw_policy *p, const char *what, aw_error *err);

#endif
