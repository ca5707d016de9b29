"""Bit ops on blob bins for Client.operate, as the official client's
aerospike_helpers.operations.bitwise_operations (same names and argument
order). `policy` is {"bit_write_flags": BIT_WRITE_*}. Bit 0 is the most
significant bit of byte 0; negative offsets count from the end."""
from ._ops_common import flags_of, op


def _flags(policy):
    return flags_of(policy, "bit_write_flags", "bit")


def _bytes(value, value_byte_size):
    """The first value_byte_size bytes of value."""
    if not isinstance(value, (bytes, bytearray)):
        raise TypeError(f"value must be bytes, not {type(value).__name__}")
    if not isinstance(value_byte_size, int) or not 0 <= value_byte_size <= len(value):
        raise ValueError(f"value_byte_size {value_byte_size!r} does not fit a value of "
                         f"{len(value)} bytes")
    return bytes(value[:value_byte_size])


def bit_resize(bin_name, byte_size, policy=None, resize_flags=0):
    return op(2000, "bit_resize", bin_name, size=byte_size, resize_flags=resize_flags,
              flags=_flags(policy))


def bit_insert(bin_name, byte_offset, value_byte_size, value, policy=None):
    return op(2001, "bit_insert", bin_name, offset=byte_offset,
              value=_bytes(value, value_byte_size), flags=_flags(policy))


def bit_remove(bin_name, byte_offset, byte_size, policy=None):
    return op(2002, "bit_remove", bin_name, offset=byte_offset, size=byte_size,
              flags=_flags(policy))


def bit_set(bin_name, bit_offset, bit_size, value_byte_size, value, policy=None):
    return op(2003, "bit_set", bin_name, offset=bit_offset, size=bit_size,
              value=_bytes(value, value_byte_size), flags=_flags(policy))


def bit_or(bin_name, bit_offset, bit_size, value_byte_size, value, policy=None):
    return op(2004, "bit_or", bin_name, offset=bit_offset, size=bit_size,
              value=_bytes(value, value_byte_size), flags=_flags(policy))


def bit_xor(bin_name, bit_offset, bit_size, value_byte_size, value, policy=None):
    return op(2005, "bit_xor", bin_name, offset=bit_offset, size=bit_size,
              value=_bytes(value, value_byte_size), flags=_flags(policy))


def bit_and(bin_name, bit_offset, bit_size, value_byte_size, value, policy=None):
    return op(2006, "bit_and", bin_name, offset=bit_offset, size=bit_size,
              value=_bytes(value, value_byte_size), flags=_flags(policy))


def bit_not(bin_name, bit_offset, bit_size, policy=None):
    return op(2007, "bit_not", bin_name, offset=bit_offset, size=bit_size,
              flags=_flags(policy))


def bit_lshift(bin_name, bit_offset, bit_size, shift, policy=None):
    return op(2008, "bit_lshift", bin_name, offset=bit_offset, size=bit_size, shift=shift,
              flags=_flags(policy))


def bit_rshift(bin_name, bit_offset, bit_size, shift, policy=None):
    return op(2009, "bit_rshift", bin_name, offset=bit_offset, size=bit_size, shift=shift,
              flags=_flags(policy))


def bit_add(bin_name, bit_offset, bit_size, value, sign, action, policy=None):
    """Adds value to the bit_size-bit integer; action: BIT_OVERFLOW_*."""
    return op(2010, "bit_add", bin_name, offset=bit_offset, size=bit_size, value=value,
              sign=sign, action=action, flags=_flags(policy))


def bit_subtract(bin_name, bit_offset, bit_size, value, sign, action, policy=None):
    return op(2011, "bit_subtract", bin_name, offset=bit_offset, size=bit_size, value=value,
              sign=sign, action=action, flags=_flags(policy))


def bit_get_int(bin_name, bit_offset, bit_size, sign):
    return op(2012, "bit_get_int", bin_name, offset=bit_offset, size=bit_size, sign=sign)


def bit_set_int(bin_name, bit_offset, bit_size, value, policy=None):
    return op(2013, "bit_set_int", bin_name, offset=bit_offset, size=bit_size, value=value,
              flags=_flags(policy))


def bit_get(bin_name, bit_offset, bit_size):
    """bytes: the bits, left-aligned."""
    return op(2014, "bit_get", bin_name, offset=bit_offset, size=bit_size)


def bit_count(bin_name, bit_offset, bit_size):
    return op(2015, "bit_count", bin_name, offset=bit_offset, size=bit_size)


def bit_lscan(bin_name, bit_offset, bit_size, value):
    """The position of the first bit equal to value (bool), or -1."""
    return op(2016, "bit_lscan", bin_name, offset=bit_offset, size=bit_size, value=value)


def bit_rscan(bin_name, bit_offset, bit_size, value):
    return op(2017, "bit_rscan", bin_name, offset=bit_offset, size=bit_size, value=value)
