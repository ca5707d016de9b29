"""Client's admin queries over the extension's _admin_query, shaped as the
official Python client's (the commands themselves are the extension's)."""

# Login modes (config policies auth_mode), the official client's values.
AUTH_INTERNAL = 0
AUTH_EXTERNAL = 1
AUTH_EXTERNAL_INSECURE = 2  # refused: aerowire sends a clear password only over TLS
AUTH_PKI = 3

# Privilege codes (admin_create_role, admin_query_role), as the server numbers them.
PRIV_USER_ADMIN = 0
PRIV_SYS_ADMIN = 1
PRIV_DATA_ADMIN = 2
PRIV_UDF_ADMIN = 3
PRIV_SINDEX_ADMIN = 4
PRIV_READ = 10
PRIV_READ_WRITE = 11
PRIV_READ_WRITE_UDF = 12
PRIV_WRITE = 13
PRIV_TRUNCATE = 14


class AdminMixin:
    """admin_query_user(s)(_info), admin_query_role(s)."""

    __slots__ = ()

    def admin_query_user_info(self, username, policy=None):
        """{"roles": [...], "conns_in_use": n} of one user."""
        return self._admin_query("user", username, policy)[username]

    def admin_query_users_info(self, policy=None):
        """{username: {"roles": [...], "conns_in_use": n}} of every user."""
        return self._admin_query("user", None, policy)

    def admin_query_user(self, username, policy=None):
        """The user's roles (a list)."""
        return self.admin_query_user_info(username, policy)["roles"]

    def admin_query_users(self, policy=None):
        """{username: [roles]} of every user."""
        return {u: info["roles"] for u, info in self.admin_query_users_info(policy).items()}

    def admin_query_role(self, role, policy=None):
        """{"privileges": [{"code": PRIV_*, "ns": str, "set": str}, ...]} of a role."""
        return self._admin_query("role", role, policy)[role]

    def admin_query_roles(self, policy=None):
        """{role: {"privileges": [...]}} of every role."""
        return self._admin_query("role", None, policy)
