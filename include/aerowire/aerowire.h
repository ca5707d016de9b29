/*
 * aerowire/aerowire.h — everything public, in one include.
 */
#ifndef AEROWIRE_AEROWIRE_H
#define AEROWIRE_AEROWIRE_H

#include "admin.h"
#include "alloc.h"
#include "array.h"
#include "batch.h"
#include "async.h"
#include "client.h"
#include "error.h"
#include "info.h"
#include "key.h"
#include "metrics.h"
#include "numpy.h"
#include "ops.h"
#include "ops_bit.h"
#include "ops_hll.h"
#include "policy.h"
#include "query.h"
#include "record.h"
#include "tls.h"
#include "value.h"

#define AEROWIRE_VERSION "0.1.0"

#endif
