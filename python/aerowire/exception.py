"""The exceptions aerowire raises, rooted at AerospikeError.

Every failure of a command carries the aerowire/Aerospike result code
(``.code``: server result codes are >= 0, client-side codes < 0), a message
and ``.in_doubt`` (a write that may have been applied although it failed).
The class is picked from the code; codes without a class of their own raise
ServerError (>= 0) or ClientError (< 0).
"""


class AerospikeError(Exception):
    """Root of every aerowire error."""

    def __init__(self, code=-1, message="", in_doubt=False):
        super().__init__(code, message)
        self.code = code
        self.message = message
        self.in_doubt = in_doubt

    def __str__(self):
        doubt = " (in doubt)" if self.in_doubt else ""
        return f"{self.message} [code {self.code}]{doubt}"


class ClientError(AerospikeError):
    """An error found by the client itself (code < 0)."""


class ParamError(ClientError):
    """An invalid argument (code -2)."""


class ConnectionError(ClientError):  # noqa: A001 - the official client's name
    """A socket error, or no reply (codes -10, -15)."""


class InvalidNodeError(ClientError):
    """No node serves the partition (code -8)."""


class ServerError(AerospikeError):
    """An error answered by the server (code >= 0)."""


class RecordError(ServerError):
    """An error about one record."""


class RecordNotFound(RecordError):
    """No such record (code 2)."""


class RecordGenerationError(RecordError):
    """The generation check failed (code 3)."""


class RecordExistsError(RecordError):
    """The record exists and the write required it not to (code 5)."""


class RecordTooBig(RecordError):
    """Code 13."""


class RecordBusy(RecordError):
    """Code 14."""


class BinNameError(RecordError):
    """Code 21."""


class BinExistsError(RecordError):
    """The bin exists and a create-only bit, HLL or expression write required it not to (code 6)."""


class BinIncompatibleType(RecordError):
    """An op does not fit the bin's type, e.g. incrementing a str (code 12)."""


class BinNotFound(RecordError):
    """The bin is missing and an update-only write required it (code 17)."""


class FilteredOut(RecordError):
    """The policy's filter expression was false for the record (code 27)."""


class ElementNotFoundError(ServerError):
    """A list or map element is missing under an update-only policy (code 23)."""


class ElementExistsError(ServerError):
    """A list or map element exists under an add-unique or create-only policy (code 24)."""


class OpNotApplicable(ServerError):
    """The op cannot be applied to the bin's value, e.g. an index out of range (code 26)."""


class AerospikeTimeoutError(AerospikeError):
    """The command timed out (code 9)."""


class ClusterError(AerospikeError):
    """The cluster could not serve the command (codes 7, 11, -8, -14)."""


class NamespaceNotFound(ServerError):
    """Code 20."""


class UnsupportedFeature(ServerError):
    """Code 16."""


class InvalidRequest(ServerError):
    """Code 4."""


class IndexError(ServerError):  # noqa: A001 - the official client's name
    """A secondary-index failure (code 204, and the classes below)."""


class IndexFoundError(IndexError):
    """The index name is taken by another definition (code 200)."""


class IndexNotFound(IndexError):
    """No such index (code 201): a query's predicate names no index."""


class IndexOOM(IndexError):
    """Code 202."""


class IndexNotReadable(IndexError):
    """The index is still being built (code 203)."""


class IndexNameMaxLen(IndexError):
    """Code 205."""


class IndexNameMaxCount(IndexError):
    """Too many indexes (code 206)."""


class QueryError(ServerError):
    """A query failed on the server (code 213, and the classes below)."""


class QueryAbortedError(QueryError):
    """Code 210 (a scan aborted: code 15)."""


class QueryQueueFull(QueryError):
    """Code 211."""


class QueryTimeout(QueryError):
    """Code 212."""


class AdminError(ServerError):
    """Security and admin refusals (codes 51 to 90)."""


class SecurityNotSupported(AdminError):
    """Code 51."""


class SecurityNotEnabled(AdminError):
    """Code 52."""


class InvalidUser(AdminError):
    """Code 60."""


class UserAlreadyExists(AdminError):
    """Code 61."""


class InvalidPassword(AdminError):
    """Code 62."""


class ExpiredPassword(AdminError):
    """Code 63."""


class ForbiddenPassword(AdminError):
    """Code 64."""


class InvalidCredential(AdminError):
    """Code 65."""


class InvalidRole(AdminError):
    """Code 70."""


class RoleAlreadyExists(AdminError):
    """Code 71."""


class InvalidPrivilege(AdminError):
    """Code 72."""


class NotAuthenticated(AdminError):
    """Code 80."""


class RoleViolation(AdminError):
    """Code 81."""


class TLSError(ClientError):
    """Code -9: a TLS handshake failed or the TLS configuration is unusable."""


# The official client's shorter names for the same classes.
RecordExists = RecordExistsError
TimeoutError = AerospikeTimeoutError  # noqa: A001

_BY_CODE = {
    -2: ParamError,
    -8: InvalidNodeError,
    -10: ConnectionError,
    -14: ClusterError,
    -15: ConnectionError,
    -18: ParamError,
    2: RecordNotFound,
    3: RecordGenerationError,
    4: InvalidRequest,
    5: RecordExistsError,
    6: BinExistsError,
    7: ClusterError,
    9: AerospikeTimeoutError,
    11: ClusterError,
    12: BinIncompatibleType,
    13: RecordTooBig,
    14: RecordBusy,
    16: UnsupportedFeature,
    17: BinNotFound,
    20: NamespaceNotFound,
    21: BinNameError,
    23: ElementNotFoundError,
    24: ElementExistsError,
    26: OpNotApplicable,
    27: FilteredOut,
    15: QueryAbortedError,
    200: IndexFoundError,
    201: IndexNotFound,
    202: IndexOOM,
    203: IndexNotReadable,
    204: IndexError,
    205: IndexNameMaxLen,
    206: IndexNameMaxCount,
    210: QueryAbortedError,
    211: QueryQueueFull,
    212: QueryTimeout,
    213: QueryError,
    51: SecurityNotSupported,
    52: SecurityNotEnabled,
    60: InvalidUser,
    61: UserAlreadyExists,
    62: InvalidPassword,
    63: ExpiredPassword,
    64: ForbiddenPassword,
    65: InvalidCredential,
    70: InvalidRole,
    71: RoleAlreadyExists,
    72: InvalidPrivilege,
    80: NotAuthenticated,
    81: RoleViolation,
    -9: TLSError,
}


def _admin_class(code):
    # Security codes without a class of their own (53 to 90).
    return AdminError if 50 < code < 91 else None


def class_for_code(code):
    """The exception class aerowire raises for a result code."""
    cls = _BY_CODE.get(code) or _admin_class(code)
    if cls is not None:
        return cls
    return ServerError if code >= 0 else ClientError


def _make(code, message, in_doubt):
    # Called by the extension to build the exception it raises.
    return class_for_code(code)(code, message, bool(in_doubt))
