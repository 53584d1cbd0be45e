from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from urllib.error import HTTPError
from urllib.request import urlopen

import pytest

from fluxion_voice import __version__
from fluxion_voice.server import DEFAULT_PORT, make_server, port_from_env


@pytest.fixture
def base_url() -> Iterator[str]:
    server = make_server("127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_health_reports_ok_and_version(base_url: str) -> None:
    with urlopen(f"{base_url}/health", timeout=5) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/json"
        assert json.load(response) == {"status": "ok", "version": __version__}


def test_unknown_path_is_json_404(base_url: str) -> None:
    with pytest.raises(HTTPError) as excinfo:
        urlopen(f"{base_url}/nope", timeout=5)
    with excinfo.value as error:
        assert error.code == 404
        assert json.load(error)["error"] == "not found"


def test_port_comes_from_environment() -> None:
    assert port_from_env({}) == DEFAULT_PORT == 3002
    assert port_from_env({"VOICE_PIPELINE_PORT": "4102"}) == 4102
    with pytest.raises(ValueError, match="VOICE_PIPELINE_PORT"):
        port_from_env({"VOICE_PIPELINE_PORT": "voice"})
