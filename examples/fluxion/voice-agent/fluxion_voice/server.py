"""HTTP front of the voice pipeline.

Only the health endpoint lives here; the desktop app's HTTP bridge (port 3001)
and the operations scripts poll it to know whether the pipeline is up.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from fluxion_voice import __version__

PORT_ENV = "VOICE_PIPELINE_PORT"
HOST_ENV = "VOICE_PIPELINE_HOST"
DEFAULT_PORT = 3002
DEFAULT_HOST = "127.0.0.1"

log = logging.getLogger("fluxion_voice.server")


def port_from_env(environ: Mapping[str, str] | None = None) -> int:
    """The port named by ``VOICE_PIPELINE_PORT``, or 3002 when it is unset or empty."""
    env = os.environ if environ is None else environ
    raw = env.get(PORT_ENV, "").strip()
    if not raw:
        return DEFAULT_PORT
    try:
        port = int(raw)
    except ValueError:
        raise ValueError(f"{PORT_ENV} must be a port number, got {raw!r}") from None
    if not 0 <= port <= 65535:
        raise ValueError(f"{PORT_ENV} must be between 0 and 65535, got {port}")
    return port


def host_from_env(environ: Mapping[str, str] | None = None) -> str:
    """The address named by ``VOICE_PIPELINE_HOST``, or 127.0.0.1."""
    env = os.environ if environ is None else environ
    return env.get(HOST_ENV, "").strip() or DEFAULT_HOST


class HealthHandler(BaseHTTPRequestHandler):
    """Answers ``GET /health``; everything else is a JSON 404."""

    server_version = "fluxion-voice"

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/health":
            self._send_json(HTTPStatus.OK, {"status": "ok", "version": __version__})
        else:
            self._send_json(HTTPStatus.NOT_FOUND, {"error": "not found", "path": path})

    def _send_json(self, status: HTTPStatus, payload: Mapping[str, object]) -> None:
        body = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        log.info("%s - %s", self.address_string(), format % args)


def make_server(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> ThreadingHTTPServer:
    """A server bound to ``host:port`` (port 0 picks a free one); call ``serve_forever`` on it."""
    server = ThreadingHTTPServer((host, port), HealthHandler)
    server.daemon_threads = True
    return server


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    host, port = host_from_env(), port_from_env()
    with make_server(host, port) as server:
        log.info("fluxion-voice %s listening on http://%s:%d", __version__, host, server.server_port)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            log.info("shutting down")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
