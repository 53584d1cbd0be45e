"""The sandbox's HTTP front: routing, GitHub's error shapes, token auth, rate limits, ETags, faults, request log.

The front parses requests itself and answers everything, however malformed, with a JSON error in GitHub's shape
(4xx for what the client sent, a last-resort 500 only for a bug of the sandbox's): a request line or header that is
not HTTP/1.x, framing that cannot be trusted (`Content-Length: abc`, a bad chunk size), a body over the limit, a
body that stops coming (a read timeout), a path that does not decode. The connection is then closed when its
framing is lost; other connections are never affected."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import re
import socket
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from http.client import HTTPMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BufferedIOBase
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, unquote, unquote_plus, unquote_to_bytes, urlencode, urlsplit

from releasekit.github_rules import DEFAULT_PER_PAGE, MAX_PER_PAGE
from releasekit.sandbox.clock import iso

if TYPE_CHECKING:
    from releasekit.sandbox.app import Sandbox

DOCS = "https://docs.github.com/rest"
CHUNK = 1 << 20
# A request body read whole (JSON): room for a 100 MB file, base64-encoded, in a contents or blob write (GitHub's
# per-file limit). Release asset uploads stream to disk instead, up to GitHub's 2 GiB per asset.
MAX_BODY = 150 * 1024 * 1024
MAX_UPLOAD = 2 * 1024 * 1024 * 1024
UPLOADS = "/api/uploads/"  # where uploads go (the release's `upload_url`): bodies there are streamed
# How long a connection may keep the server waiting in the middle of a request (its head or its body) before the
# answer is 408. Between requests, a keep-alive connection may stay idle (`idle_timeout`, None: as long as it wants).
READ_TIMEOUT = 60.0
MAX_LINE = 65536  # a request line or header line (as http.server)
MAX_HEADERS = 100
LINGER = 2.0  # the most a closing connection waits for the client to stop sending (see shutdown_request)


class ApiError(Exception):
    """An answer in GitHub's error shape: `{"message", "documentation_url", "status"}` (+ `errors` for 422).

    `front`: the HTTP front's own answer to a request it could not take (bad framing, a body too large or too slow,
    a path that does not decode): not an answer of the API, so not one GitHub's API description covers."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        docs: str = DOCS,
        headers: dict[str, str] | None = None,
        front: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.docs = docs
        self.headers = headers or {}
        self.front = front

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.message}
        if self.errors is not None:
            out["errors"] = self.errors
        out["documentation_url"] = self.docs
        out["status"] = str(self.status)
        return out

    def response(self) -> Response:
        return Response(self.status, self.body(), dict(self.headers), front=self.front)


def not_found(docs: str = DOCS) -> ApiError:
    return ApiError(404, "Not Found", docs=docs)


def validation_failed(resource: str, field_name: str, code: str, docs: str = DOCS, **extra: Any) -> ApiError:
    return ApiError(
        422, "Validation Failed", errors=[{"resource": resource, "code": code, "field": field_name, **extra}], docs=docs
    )


def _bad(status: int, message: str) -> ApiError:
    return ApiError(status, message, front=True)


@dataclass
class Response:
    status: int
    body: Any = None  # JSON-able value, or bytes, or None
    headers: dict[str, str] = field(default_factory=dict)
    stream: Path | None = None  # a file sent as the body, in chunks
    content_type: str = "application/json; charset=utf-8"
    front: bool = False  # the HTTP front's answer (see ApiError): observers do not see it


class Request:
    """One request: its path without the `/api/v3` prefix, query, headers, who sent it, and its body: read by the
    front before the handler runs, or (uploads) streamed by the handler from the connection."""

    def __init__(
        self,
        handler: BaseHTTPRequestHandler,
        path: str,
        query: dict[str, list[str]],
        *,
        length: int | None = 0,
        limit: int = MAX_BODY,
    ) -> None:
        self.handler = handler
        self.method = handler.command
        self.path = path
        self.query = query
        self.headers = handler.headers
        self.login = ""  # the authenticated user ("github-actions[bot]" for a job's token)
        self.run_id: int | None = None  # set when a job's GITHUB_TOKEN sent it
        self.length = length  # Content-Length, None for a chunked body
        self.limit = limit  # the most a chunked body may carry
        self._body: bytes | None = None
        self._consumed = False  # the body can be read from the connection once
        self.complete = length == 0  # the whole body was read: the connection can carry the next request
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
        """The body in chunks, never whole in memory (uploads): Content-Length or chunked transfer encoding. What
        the client gets wrong on the way raises an ApiError: 400 (bad chunk framing, the body ends early), 408 (it
        stops coming), 413 (a chunked body over the limit)."""
        if self._consumed:
            return
        self._consumed = True
        if self._body is not None:  # read by the front already
            if self._body:
                yield self._body
            return
        rfile = self.handler.rfile
        if self.length is None:
            total = 0
            while True:
                line = self._line(rfile, "a chunk size")
                size_text = line.split(b";", 1)[0].strip()
                if not re.fullmatch(rb"[0-9A-Fa-f]{1,16}", size_text):
                    raise _bad(400, f"Bad chunk size {_excerpt(size_text)} in a chunked request body")
                size = int(size_text, 16)
                if size == 0:
                    for _ in range(MAX_HEADERS + 1):  # trailer fields, then the blank line that ends the body
                        if not self._line(rfile, "the end of a chunked body").strip():
                            self.complete = True
                            return
                    raise _bad(431, f"More than {MAX_HEADERS} trailer fields after a chunked request body")
                total += size
                if total > self.limit:
                    raise _bad(413, f"The chunked request body is over the limit of {self.limit:,} bytes")
                yield from self._exactly(rfile, size, "a chunk of the body")
                if self._line(rfile, "the end of a chunk") not in (b"\r\n", b"\n"):
                    raise _bad(400, f"A chunk of {size:,} bytes is not followed by CRLF in a chunked request body")
        yield from self._exactly(rfile, self.length, "the request body")
        self.complete = True

    def _timeout(self) -> float | None:
        server = getattr(self.handler, "server", None)
        return getattr(server, "read_timeout", None)

    def _exactly(self, rfile: BufferedIOBase, size: int, what: str) -> Iterator[bytes]:
        remaining = size
        while remaining > 0:
            try:
                chunk = rfile.read1(min(CHUNK, remaining))  # what has arrived: a timeout loses nothing read
            except TimeoutError:
                raise _bad(
                    408,
                    f"Timed out after {_seconds(self._timeout())} waiting for {what} "
                    f"({size - remaining:,} of {size:,} bytes arrived)",
                ) from None
            if not chunk:
                raise _bad(400, f"The connection ended {size - remaining:,} bytes into {what} of {size:,} bytes")
            remaining -= len(chunk)
            yield chunk

    def _line(self, rfile: BufferedIOBase, what: str) -> bytes:
        try:
            line = rfile.readline(MAX_LINE + 1)
        except TimeoutError:
            raise _bad(408, f"Timed out after {_seconds(self._timeout())} waiting for {what}") from None
        if not line:
            raise _bad(400, f"The connection ended before {what} (a chunked request body)")
        if len(line) > MAX_LINE:
            raise _bad(400, f"A line of a chunked request body is longer than {MAX_LINE:,} bytes")
        return line

    def body(self) -> bytes:
        if self._body is None:
            self._body = b"".join(self.body_stream())
        return self._body

    def json(self) -> dict[str, Any]:
        raw = self.body()
        if not raw.strip():
            return {}
        try:
            value = json.loads(raw, parse_constant=_no_constant)
            _encode(value)  # a lone surrogate ("\ud800") cannot be written back out as UTF-8
        except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
            raise ApiError(400, "Problems parsing JSON", docs=DOCS) from None
        if not isinstance(value, dict):
            raise ApiError(400, "Problems parsing JSON", docs=DOCS)
        self.logged_body = value
        return value

    def drain(self) -> None:
        for _ in self.body_stream():
            pass


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # Python's parser takes NaN and Infinity; JSON (and GitHub) does not


def _excerpt(raw: bytes | str, size: int = 40) -> str:
    """A short, printable quote of what a client sent (never a whole header or body)."""
    text = raw.decode("latin-1") if isinstance(raw, bytes) else raw
    return repr(text[:size] + ("..." if len(text) > size else ""))


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


# -- the request log never holds a credential ----------------------------------------------------------------------

# Authorization schemes (IANA's registry and the common ones): the scheme word is kept, everything after it hidden.
# A value that does not start with one (a bare token, say) is hidden whole.
_SCHEMES = frozenset(
    {"basic", "bearer", "token", "digest", "negotiate", "ntlm", "oauth", "hoba", "mutual", "vapid", "dpop", "gnap"}
    | {"scram-sha-1", "scram-sha-256", "aws4-hmac-sha256", "privatetoken", "concealed"}
)
# Query parameters that carry a credential (`access_token`, `client_secret`, ...): their values are hidden.
_SECRET_PARAM = re.compile(r"token|secret|passw|credential|signature|^sig$|api[-_]?key|private[-_]?key", re.IGNORECASE)


def redact_authorization(authorization: str | None) -> str | None:
    """`token ***`, `Bearer ***`, `Basic ***`; `***` for a bare token or anything without a known scheme."""
    if not authorization:
        return None
    scheme, sep, _ = authorization.strip().partition(" ")
    return f"{scheme} ***" if sep and scheme.lower() in _SCHEMES else "***"


def redact_query(query: str) -> str:
    """The query string as sent, with the value of every credential-named parameter replaced by `***`."""
    fields = []
    for item in query.split("&"):
        name, sep, value = item.partition("=")
        secret = sep and value and _SECRET_PARAM.search(unquote_plus(name))
        fields.append(f"{name}=***" if secret else item)
    return "&".join(fields)


# -- parsing a request ---------------------------------------------------------------------------------------------

_TOKEN = rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+"  # RFC 9110 token: a method, a header name
_METHOD = re.compile(_TOKEN)
_VERSION = re.compile(rb"HTTP/([0-9])\.([0-9])")
_HEADER = re.compile(rb"(" + _TOKEN + rb"):[ \t]*(.*?)[ \t]*")
_TARGET = re.compile(r"[!-~]+")  # visible ASCII: anything else must be percent-encoded


class _HeadError(Exception):
    """A request whose line or headers cannot be read: answered with `status`, then the connection closes."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _Handler(BaseHTTPRequestHandler):
    """Reads requests itself (the stdlib's parser answers some errors with HTML, some not at all, and waits forever
    on a client that stops mid-request); `server.sandbox_dispatch` answers them."""

    protocol_version = "HTTP/1.1"  # keep-alive: PyGithub's session reuses the connection
    server_version = "releasekit-sandbox"
    sys_version = ""
    server: SandboxServer
    responded = False  # a final answer to the current request has started going out

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle's algorithm and the client's delayed ACK
        # add ~40 ms to every answer on loopback.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the JSON-lines log is the record; stderr stays quiet

    def handle_one_request(self) -> None:
        self.close_connection = True
        self.responded = False
        self.command, self.path, self.requestline, self.request_version = "", "", "", "HTTP/1.1"
        try:
            if self._read_head():
                self.server.sandbox_dispatch(self)
                self.wfile.flush()
        except _HeadError as error:
            self.answer_error(error.status, error.message)
        except TimeoutError:
            if not self.responded:  # else: writing the answer timed out (a client that does not read)
                self.answer_error(408, f"Timed out after {_seconds(self.server.read_timeout)} waiting for the request")
        except ConnectionError:
            pass  # the client is gone: there is no one to answer
        except Exception as exc:  # a bug of the sandbox's: say so, and still answer
            self.server.report_bug(self.command, self.path, exc)
            self.answer_error(500, "Server Error")

    def _read_head(self) -> bool:
        """The request line and headers; False for a connection the client closed between requests."""
        raw = b""
        for _ in range(8):  # a few blank lines before a request line are ignored (RFC 9112, 2.2)
            self.connection.settimeout(self.server.idle_timeout)
            try:
                if not self.rfile.peek(1):  # type: ignore[attr-defined]  # a BufferedReader
                    return False
            except TimeoutError:
                return False  # idle too long between requests: nothing is pending, nothing to answer
            self.connection.settimeout(self.server.read_timeout)
            raw = self.rfile.readline(MAX_LINE + 1)
            if raw.strip(b"\r\n"):
                break
        if len(raw) > MAX_LINE:
            raise _HeadError(414, f"The request line is longer than {MAX_LINE:,} bytes")
        if not raw.endswith(b"\n"):
            raise _HeadError(400, f"The request line {_excerpt(raw)} ended without CRLF")
        line = raw.rstrip(b"\r\n")
        self.requestline = line.decode("latin-1")
        words = line.split(b" ")
        if len(words) == 2 and _METHOD.fullmatch(words[0]):
            raise _HeadError(400, "HTTP/0.9 requests are not supported: send METHOD TARGET HTTP/1.1")
        if len(words) != 3 or not all(words):
            raise _HeadError(400, f"Bad request line {_excerpt(line)}: expected METHOD TARGET HTTP/1.1")
        method, target, version = words
        if not _METHOD.fullmatch(method):
            raise _HeadError(400, f"Bad request method {_excerpt(method)}")
        found = _VERSION.fullmatch(version)
        if found is None or found[1] != b"1":
            raise _HeadError(400, f"Unsupported HTTP version {_excerpt(version)}: send HTTP/1.1 or HTTP/1.0")
        self.command = method.decode("ascii")
        self.path = target.decode("latin-1")
        if self.path.startswith("//"):
            self.path = "/" + self.path.lstrip("/")  # as http.server: `//x` is a path, not a host
        self.request_version = version.decode("ascii")
        self.headers = self._read_headers()
        connection = (self.headers.get("Connection") or "").lower()
        self.close_connection = connection == "close" or (version == b"HTTP/1.0" and connection != "keep-alive")
        return True

    def _read_headers(self) -> HTTPMessage:
        headers = HTTPMessage()
        for _ in range(MAX_HEADERS + 1):
            raw = self.rfile.readline(MAX_LINE + 1)
            if len(raw) > MAX_LINE:
                raise _HeadError(431, f"A request header line is longer than {MAX_LINE:,} bytes")
            if raw in (b"\r\n", b"\n"):
                return headers
            if not raw.endswith(b"\n"):
                raise _HeadError(400, "The connection ended before the end of the request headers")
            line = raw.rstrip(b"\r\n")
            found = _HEADER.fullmatch(line)
            if found is None or b"\r" in line or b"\x00" in line:
                raise _HeadError(400, f"Bad request header line {_excerpt(line)}")
            headers[found[1].decode("ascii")] = found[2].decode("latin-1")
        raise _HeadError(431, f"More than {MAX_HEADERS} request headers")

    def answer_error(self, status: int, message: str) -> None:
        """A JSON error in GitHub's shape, unless an answer already went out; the connection closes after it."""
        self.close_connection = True
        if self.responded:
            return
        self.responded = True
        body = _encode(ApiError(status, message).body())
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except OSError:
            pass

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own error answers are JSON too (its HTML page is not what a GitHub client expects)."""
        self.answer_error(code, message or self.responses.get(code, ("Error",))[0])


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, sandbox: Sandbox, host: str, port: int) -> None:
        self.sandbox = sandbox
        # Settable on a running server; a connection takes them as it reads its next request.
        self.read_timeout: float | None = READ_TIMEOUT
        self.idle_timeout: float | None = None
        self.max_body = MAX_BODY
        self.max_upload = MAX_UPLOAD
        super().__init__((host, port), _Handler)

    def shutdown_request(self, request: Any) -> None:
        """A lingering close (as Apache's): stop writing, then read what the client still sends for a moment before
        closing. Closing with unread input makes the kernel reset the connection, and a reset can destroy the answer
        before the client reads it: a 413 to a client still sending its body would be lost."""
        deadline = time.monotonic() + LINGER
        try:
            request.shutdown(socket.SHUT_WR)
            while (left := deadline - time.monotonic()) > 0:
                request.settimeout(left)
                if not request.recv(CHUNK):
                    break
        except OSError:  # TimeoutError included: the client neither closed nor sent more in time
            pass
        self.close_request(request)

    def report_bug(self, method: str, path: str, exc: BaseException) -> str:
        """A bug of the sandbox's: the traceback goes to stderr (the client gets a 500); returns a one-line summary."""
        summary = f"{type(exc).__name__}: {exc}"[:500]
        sys.stderr.write(f"releasekit sandbox: internal error answering {method} {path[:200]} (a bug):\n")
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
        return summary

    def sandbox_dispatch(self, handler: _Handler) -> None:
        started = time.perf_counter()
        sandbox = self.sandbox
        try:
            split, splits = urlsplit(handler.path), True
        except ValueError:  # `http://[x/`: a bracket that opens an IPv6 host and never closes
            split, splits = urlsplit(""), False
        path = split.path
        if path.startswith("/api/v3/"):
            path = path[len("/api/v3") :]
        query = parse_qs(split.query, keep_blank_values=True)
        request = Request(handler, path, query)
        entry: dict[str, Any] = {
            "time": iso(sandbox.clock.now()),
            "method": handler.command,
            "path": path,
            "query": redact_query(split.query),
            "authorization": redact_authorization(handler.headers.get("Authorization")),
        }
        try:
            self._front(handler, request, split.query, splits)
            response, charged = self._answer(request, entry)
        except ApiError as exc:
            response, charged = exc.response(), entry.get("charged", False)
        except _Dropped as dropped:
            if not dropped.logged:
                entry.update(status=0, charged=False, ms=round((time.perf_counter() - started) * 1000, 2))
                sandbox.log.write(entry)
            handler.close_connection = True
            return
        except ConnectionError:  # the client is gone: there is no one to answer
            handler.close_connection = True
            return
        except Exception as exc:  # a bug of the sandbox's, never the client's input: a 500 that says so
            entry["error"] = self.report_bug(request.method, request.path, exc)
            response, charged = ApiError(500, "Server Error").response(), False
            handler.close_connection = True
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

    def _front(self, handler: _Handler, request: Request, query: str, splits: bool) -> None:
        """What is checked before any handler runs: the body's framing and size (read whole unless it is an
        upload's), and a target in printable ASCII whose path and query decode to text without NUL."""
        upload = request.path.startswith(UPLOADS)
        request.limit = self.max_upload if upload else self.max_body
        try:
            request.length = _body_length(handler.headers, request.limit, upload)
        except ApiError:
            request.complete, request._consumed = False, True  # where the body ends is unknown: never read it
            raise
        request.complete = request.length == 0
        if not request.complete and handler.request_version == "HTTP/1.1":
            if (handler.headers.get("Expect") or "").lower() == "100-continue":
                handler.send_response_only(100)
                handler.end_headers()
        if not upload:
            request.body()
        if not splits or not _TARGET.fullmatch(handler.path):
            raise _bad(400, "Bad request target: characters outside printable ASCII must be percent-encoded")
        for part, text in (("path", request.path), ("query", query.replace("+", " "))):
            decoded = unquote_to_bytes(text)
            if b"\x00" in decoded:
                raise _bad(400, f"The request's {part} holds a NUL byte (%00)")
            try:
                decoded.decode("utf-8")
            except UnicodeDecodeError:
                raise _bad(400, f"The request's {part} is not UTF-8 once percent-decoded") from None

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
                return exc.response()

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
        # An unread body would be taken for the next request on this connection. A broken one (or one that stopped
        # coming) is left: the answer goes out, then the connection closes.
        with contextlib.suppress(ApiError):
            request.drain()
        body: bytes = b""
        if response.stream is None and response.body is not None:
            body = response.body if isinstance(response.body, bytes) else _encode(response.body)
        if not request.complete:
            handler.close_connection = True
        handler.responded = True
        handler.send_response(response.status)
        handler.send_header("x-github-api-version-selected", "2022-11-28")
        handler.send_header("x-github-request-id", f"SANDBOX:{sandbox.request_counter()}")
        for name, value in response.headers.items():
            handler.send_header(name, value)
        size = response.stream.stat().st_size if response.stream is not None else len(body)
        if response.status not in (204, 304) and (body or response.stream is not None or response.body is not None):
            handler.send_header("Content-Type", response.content_type)
        handler.send_header("Content-Length", str(size if response.status not in (204, 304) else 0))
        if handler.close_connection:
            handler.send_header("Connection", "close")
        handler.end_headers()
        if request.method != "HEAD" and response.status not in (204, 304):
            self._write_body(handler, response, body)
        if response.front:
            return  # an answer of the HTTP front, not of the API: not what observers check
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


def _body_length(headers: Message, limit: int, upload: bool) -> int | None:
    """The body's length from Content-Length (0 without one), None for a chunked body; 400 for framing that
    cannot be trusted (RFC 9112, 6.3), 413 over the limit."""
    encodings = headers.get_all("Transfer-Encoding") or []
    lengths = headers.get_all("Content-Length") or []
    if encodings:
        codings = [c.strip().lower() for value in encodings for c in value.split(",")]
        if codings != ["chunked"]:
            raise _bad(
                400, f"Unsupported Transfer-Encoding {_excerpt(', '.join(encodings))}: only chunked is understood"
            )
        if lengths:
            raise _bad(400, "A request cannot have both Content-Length and Transfer-Encoding")
        return None
    if not lengths:
        return 0
    values = {value.strip() for value in ",".join(lengths).split(",")}
    text = values.pop() if len(values) == 1 else ""
    if not text.isascii() or not text.isdigit():
        raise _bad(400, f"Content-Length must be a number of bytes, not {_excerpt(', '.join(lengths))}")
    length = int(text) if len(text) <= 20 else limit + 1
    if length > limit:
        what = "a release asset upload" if upload else "a request body (release asset uploads may be larger)"
        raise _bad(413, f"Content-Length {_excerpt(text)} is over the limit of {limit:,} bytes for {what}")
    return length


def _seconds(value: float | None) -> str:
    return "no time" if value is None else f"{value:g} s"


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
