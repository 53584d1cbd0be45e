"""MCP server stub for the Claude Code integration.

Serves ``GET /health`` on the port named by ``MCP_SERVER_PORT`` (default 5000).
Run with ``python mcp-server/server.py``.
"""

from __future__ import annotations

import contextlib
import json
import os
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_PORT = 5000


class Handler(BaseHTTPRequestHandler):
    server_version = "fluxion-mcp"

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] == "/health":
            status, payload = HTTPStatus.OK, {"status": "ok", "service": "mcp-server"}
        else:
            status, payload = HTTPStatus.NOT_FOUND, {"error": "not found"}
        body = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main() -> int:
    host = os.environ.get("MCP_SERVER_HOST", "127.0.0.1")
    port = int(os.environ.get("MCP_SERVER_PORT") or DEFAULT_PORT)
    with ThreadingHTTPServer((host, port), Handler) as server:
        print(f"MCP server listening on http://{host}:{server.server_port}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
