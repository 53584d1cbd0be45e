"""The sandbox's HTTP front: routing, GitHub's error shapes, token auth, rate limits, ETags, faults, request log."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

from releasekit.github_rules import DEFAULT_PER_PAGE, MAX_PER_PAGE
from releasekit.sandbox.clock import iso

if TYPE_CHECKING:
    from releasekit.sandbox.app import Sandbox

DOCS = "https://docs.github.com/rest"
CHUNK = 1 << 20


class ApiError(Exception):
    """An answer in GitHub's error shape: `{"message", "documentation_url", "status"}` (+ `errors` for 422)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        docs: str = DOCS,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.docs = docs
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.message}
        if self.errors is not None:
            out["errors"] = self.errors
        out["documentation_url"] = self.docs
        out["status"] = str(self.status)
        return out


def not_found(docs: str = DOCS) -> ApiError:
    return ApiError(404, "Not Found", docs=docs)


def validation_failed(resource: str, field_name: str, code: str, docs: str = DOCS, **extra: Any) -> ApiError:
    return ApiError(
        422, "Validation Failed", errors=[{"resource": resource, "code": code, "field": field_name, **extra}], docs=docs
    )


@dataclass
class Response:
    status: int
    body: Any = None  # JSON-able value, or bytes, or None
    headers: dict[str, str] = field(default_factory=dict)
    stream: Path | None = None  # a file sent as the body, in chunks
    content_type: str = "application/json; charset=utf-8"


class Request:
    """One request: its path without the `/api/v3` prefix, query, headers, who sent it, and a lazily read body."""

    def __init__(self, handler: BaseHTTPRequestHandler, path: str, query: dict[str, list[str]]) -> None:
        self.handler = handler
        self.method = handler.command
        self.path = path
        self.query = query
        self.headers = handler.headers
        self.login = ""  # the authenticated user ("github-actions[bot]" for a job's token)
        self.run_id: int | None = None  # set when a job's GITHUB_TOKEN sent it
        self._body: bytes | None = None
        self._consumed = False  # the body can be read from the connection once
        self.logged_body: Any = None

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def int_param(self, name: str, default: int) -> int:
        raw = self.param(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise ApiError(422, f"Invalid value for parameter '{name}': {raw!r}") from None

    def body_stream(self) -> Iterator[bytes]:
        """The body in chunks, never whole in memory (uploads): Content-Length or chunked transfer encoding."""
        if self._consumed:
            return
        self._consumed = True
        rfile = self.handler.rfile
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while rfile.readline().strip():
                        pass
                    return
                remaining = size
                while remaining:
                    chunk = rfile.read(min(CHUNK, remaining))
                    if not chunk:
                        raise ConnectionError("client closed the connection mid-body")
                    remaining -= len(chunk)
                    yield chunk
                rfile.readline()
        remaining = int(self.headers.get("Content-Length") or 0)
        while remaining > 0:
            chunk = rfile.read(min(CHUNK, remaining))
            if not chunk:
                raise ConnectionError("client closed the connection mid-body")
            remaining -= len(chunk)
            yield chunk

    def body(self) -> bytes:
        if self._body is None:
            self._body = b"".join(self.body_stream())
        return self._body

    def json(self) -> dict[str, Any]:
        raw = self.body()
        if not raw.strip():
            return {}
        try:
            value = json.loads(raw)
        except ValueError:
            raise ApiError(400, "Problems parsing JSON", docs=DOCS) from None
        if not isinstance(value, dict):
            raise ApiError(400, "Problems parsing JSON", docs=DOCS)
        self.logged_body = value
        return value

    def drain(self) -> None:
        for _ in self.body_stream():
            pass


Handler = Callable[[Request, dict[str, str]], Response]


@dataclass(frozen=True)
class Route:
    method: str
    regex: re.Pattern[str]
    handler: Handler
    name: str


class Router:
    """Path templates like `/repos/{owner}/{repo}/git/ref/{ref*}` (`*` = may contain slashes)."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, template: str, handler: Handler) -> None:
        parts = re.split(r"\{(\w+)(\*?)\}", template)
        pattern = "".join(
            re.escape(part)
            if i % 3 == 0
            else (f"(?P<{part}>{'.+' if parts[i + 1] else '[^/]+'})" if i % 3 == 1 else "")
            for i, part in enumerate(parts)
        )
        self.routes.append(Route(method, re.compile(f"^{pattern}$"), handler, f"{method} {template}"))

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        allowed = False
        for route in self.routes:
            found = route.regex.match(path)
            if found:
                if route.method == method or (method == "HEAD" and route.method == "GET"):
                    return route, {k: unquote(v) for k, v in found.groupdict().items()}
                allowed = True
        if allowed:
            raise ApiError(404, "Not Found")
        return None


def _redact(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, _ = authorization.partition(" ")
    return f"{scheme} ***"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: PyGithub's session reuses the connection
    server_version = "releasekit-sandbox"
    sys_version = ""
    server: SandboxServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle's algorithm and the client's delayed ACK
        # add ~40 ms to every answer on loopback.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the JSON-lines log is the record; stderr stays quiet

    def do_GET(self) -> None:
        self.server.sandbox_dispatch(self)

    do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = do_GET


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, sandbox: Sandbox, host: str, port: int) -> None:
        self.sandbox = sandbox
        super().__init__((host, port), _Handler)

    def sandbox_dispatch(self, handler: _Handler) -> None:
        started = time.perf_counter()
        sandbox = self.sandbox
        split = urlsplit(handler.path)
        path = split.path
        if path.startswith("/api/v3/"):
            path = path[len("/api/v3") :]
        query = parse_qs(split.query, keep_blank_values=True)
        request = Request(handler, path, query)
        entry: dict[str, Any] = {
            "time": iso(sandbox.clock.now()),
            "method": handler.command,
            "path": path,
            "query": split.query,
            "authorization": _redact(handler.headers.get("Authorization")),
        }
        try:
            response, charged = self._answer(request, entry)
        except ApiError as exc:
            response, charged = Response(exc.status, exc.body(), dict(exc.headers)), entry.get("charged", False)
        except _Dropped as dropped:
            if not dropped.logged:
                entry.update(status=0, charged=False, ms=round((time.perf_counter() - started) * 1000, 2))
                sandbox.log.write(entry)
            handler.close_connection = True
            return
        except (ConnectionError, TimeoutError):
            handler.close_connection = True
            return
        if request.logged_body is not None:
            entry["body"] = request.logged_body
        if request.run_id is not None:
            entry["run_id"] = request.run_id
        entry.update(status=response.status, charged=charged)
        # Logged before the answer goes out, so whoever reads the answer finds its request in the log.
        entry["ms"] = round((time.perf_counter() - started) * 1000, 2)
        sandbox.log.write(entry)
        if entry.get("fault") == "drop-after":
            # The request took effect; only its answer is lost (a reset connection after the server acted).
            handler.close_connection = True
            return
        try:
            self._send(handler, request, response)
        except (ConnectionError, TimeoutError):
            handler.close_connection = True

    def _answer(self, request: Request, entry: dict[str, Any]) -> tuple[Response, bool]:
        sandbox = self.sandbox
        fault = sandbox.faults.take(request.method, request.path)
        if fault is not None and fault.action == "drop-after":
            entry["fault"] = fault.action
            fault = None
        if fault is not None:
            entry["fault"] = fault.action
            request.drain()
            if fault.action == "drop":
                raise _Dropped
            if fault.action == "hang":
                # Logged now: whoever waits on the hung request can already find it in the log.
                sandbox.log.write({**entry, "status": 0, "charged": False})
                sandbox.stopping.wait(fault.seconds)
                raise _Dropped(logged=True)
            error = ApiError(
                fault.status, fault.message or _REASONS.get(fault.status, "Injected fault"), headers=fault.headers
            )
            return Response(fault.status, error.body(), dict(fault.headers)), False
        public = sandbox.public_route(request)
        key = sandbox.authenticate(request) if not public else None
        found = sandbox.router.match(request.method, request.path)
        if found is None:
            request.drain()
            raise not_found()
        route, params = found

        def call() -> Response:
            try:
                return route.handler(request, params)
            except ApiError as exc:
                return Response(exc.status, exc.body(), dict(exc.headers))

        if key is None:
            return call(), False
        if request.path == "/rate_limit" or request.path.startswith("/_sandbox"):
            # GitHub does not count GET /rate_limit against the limit it reports; the sandbox's own API is free.
            response = call()
            response.headers.update(sandbox.limits.headers(key))
            return response, False
        if request.method not in ("GET", "HEAD"):
            ok, limit_headers = sandbox.limits.charge(key)
            if not ok:
                request.drain()
                return self._limited(limit_headers), False
            response = call()
            response.headers.update(limit_headers)
            return response, True
        response = call()
        # A GET: answer 304 for a matching If-None-Match without charging (GitHub does not count it), else charge.
        if response.status == 200 and response.stream is None and not isinstance(response.body, bytes):
            payload = _encode(response.body)
            etag = 'W/"' + hashlib.sha256(payload + key.encode()).hexdigest() + '"'
            response.headers["ETag"] = etag
            response.body = payload
            if _etag_matches(request.headers.get("If-None-Match"), etag):
                return Response(304, None, {"ETag": etag, **sandbox.limits.headers(key)}), False
        ok, limit_headers = sandbox.limits.charge(key)
        if not ok:
            return self._limited(limit_headers), False
        response.headers.update(limit_headers)
        return response, True

    def _limited(self, headers: dict[str, str]) -> Response:
        limits = self.sandbox.limits
        error = ApiError(
            limits.status,
            f"API rate limit exceeded for user ID {self.sandbox.user_id}. If you reach out to GitHub Support for help, "
            "please include the request ID.",
            docs="https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
        )
        return Response(limits.status, error.body(), headers)

    def _send(self, handler: _Handler, request: Request, response: Response) -> None:
        sandbox = self.sandbox
        if request.method != "HEAD":
            request.drain()  # an unread body would be taken for the next request on this connection
        body: bytes = b""
        if response.stream is None and response.body is not None:
            body = response.body if isinstance(response.body, bytes) else _encode(response.body)
        handler.send_response(response.status)
        handler.send_header("x-github-api-version-selected", "2022-11-28")
        handler.send_header("x-github-request-id", f"SANDBOX:{sandbox.request_counter()}")
        for name, value in response.headers.items():
            handler.send_header(name, value)
        size = response.stream.stat().st_size if response.stream is not None else len(body)
        if response.status not in (204, 304) and (body or response.stream is not None or response.body is not None):
            handler.send_header("Content-Type", response.content_type)
        handler.send_header("Content-Length", str(size if response.status not in (204, 304) else 0))
        handler.end_headers()
        if request.method != "HEAD" and response.status not in (204, 304):
            self._write_body(handler, response, body)
        for observer in sandbox.observers:
            observer(request.method, request.path, response.status, body, response.content_type)

    @staticmethod
    def _write_body(handler: _Handler, response: Response, body: bytes) -> None:
        if response.stream is not None:
            with response.stream.open("rb") as source:
                while chunk := source.read(CHUNK):
                    handler.wfile.write(chunk)
        else:
            handler.wfile.write(body)


class _Dropped(Exception):
    """The connection is closed without an answer (an injected fault)."""

    def __init__(self, *, logged: bool = False) -> None:
        super().__init__("dropped")
        self.logged = logged


_REASONS = {
    500: "Server Error",
    502: "Server Error",
    503: "Service Unavailable",
    504: "We couldn't respond to your request in time. Sorry about that. Please try resubmitting your request.",
    403: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
    429: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
}


def _encode(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in header.split(",")) or header.strip() == "*"


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


# -- pagination -----------------------------------------------------------------------------------------------------


def paginate(request: Request, items: list[Any], base: str) -> tuple[list[Any], dict[str, str]]:
    """GitHub's page/per_page (30 by default, 100 at most) with a `Link` header PyGithub follows."""
    per_page = max(1, min(MAX_PER_PAGE, request.int_param("per_page", DEFAULT_PER_PAGE)))
    page = max(1, request.int_param("page", 1))
    last = max(1, -(-len(items) // per_page))
    chunk = items[(page - 1) * per_page : page * per_page]
    links = []

    def url(number: int) -> str:
        params = {k: v[-1] for k, v in request.query.items()}
        params.update(page=str(number), per_page=str(per_page))
        # The path is still percent-encoded as the client sent it: keep its escapes, do not encode them again.
        return f"{base}{quote(request.path, safe='/%')}?{urlencode(params)}"

    if page < last:
        links += [f'<{url(page + 1)}>; rel="next"', f'<{url(last)}>; rel="last"']
    if page > 1:
        links = [f'<{url(page - 1)}>; rel="prev"', f'<{url(1)}>; rel="first"', *links]
    return chunk, ({"Link": ", ".join(links)} if links else {})


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port
