"""Fixtures for the dpkit serve tests (harness.py): one server per test module, with users alice
(owner of the sample dataset 'customers'), bob and carol."""

import pytest

from .harness import Client, Server, operator


@pytest.fixture(scope="module")
def serve(tmp_path_factory):
    """A server with users alice (owner of the sample dataset 'customers'), bob and carol."""
    data_dir = tmp_path_factory.mktemp("serve") / "data"
    server = Server(data_dir, "--login", "alice", "--sample", "--max-upload-mb", "2")
    server.tokens = {"alice": server.login_token}
    for user in ("bob", "carol"):
        server.tokens[user] = operator(data_dir, "create", user)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def alice(serve):
    return Client(serve, serve.tokens["alice"])


@pytest.fixture(scope="module")
def bob(serve):
    return Client(serve, serve.tokens["bob"])


@pytest.fixture(scope="module")
def carol(serve):
    return Client(serve, serve.tokens["carol"])


@pytest.fixture(scope="module")
def anonymous(serve):
    return Client(serve, None)
