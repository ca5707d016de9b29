"""A `key` fixture for suites that expect no record under their key at the
start, also against a long-lived server (AEROSPIKE_HOSTS)."""
import pytest

from aerowire import exception


@pytest.fixture
def key(key, client):  # noqa: F811 - wraps conftest's key
    """The test's key (conftest's), its record removed first."""
    try:
        client.remove(key)
    except exception.RecordNotFound:
        pass
    return key
