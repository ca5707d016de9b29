/*
 * aerowire/export.h — AW_API marks the functions the shared library exports.
 *
 * The library is built with -fvisibility=hidden, so only declarations
 * carrying AW_API are visible to programs linking libaerowire.so; the
 * internal functions the layers call one another with stay inside it.
 */
#ifndef AEROWIRE_EXPORT_H
#define AEROWIRE_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define AW_API __attribute__((visibility("default")))
#else
#define AW_API
#endif

#endif
