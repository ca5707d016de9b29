"""Every ```python example of docs/python.md runs, against the suite's server."""
import os
import re

import pytest

from test_security import start_testd, stop

DOC = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "python.md")
with open(DOC, encoding="utf-8") as f:
    EXAMPLES = re.findall(r"```python\n(.*?)```", f.read(), re.S)


def test_doc_has_examples():
    assert len(EXAMPLES) >= 3


@pytest.fixture(scope="module")
def secure_server():
    """aw-testd --security, for the examples that log in."""
    if os.environ.get("AEROSPIKE_HOSTS"):
        pytest.skip("the login examples run against aw-testd --security")
    proc, port = start_testd("--security")
    yield ("127.0.0.1", port)
    stop(proc)


@pytest.mark.parametrize("code", EXAMPLES, ids=lambda c: c.splitlines()[2][:40])
def test_doc_example_runs(request, code, capsys):
    assert '("127.0.0.1", 3000)' in code
    # An example that logs in needs a server with security on.
    server = request.getfixturevalue("secure_server" if '"password"' in code else "server")
    code = code.replace('("127.0.0.1", 3000)', repr(tuple(server)))
    exec(compile(code, DOC, "exec"), {"__name__": "__doc_example__"})
    # What a `print(...)  # text` line says it prints is what it printed.
    printed = capsys.readouterr().out.splitlines()
    promised = re.findall(r"print\(.*\)\s+# (.*)", code)
    assert printed == promised
