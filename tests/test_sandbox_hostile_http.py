"""The sandbox's HTTP front under hostile input, over real sockets: every request gets a complete answer in GitHub's
error shape (4xx, never a 5xx for what the client sent), a broken connection never hurts the next one, and no token
reaches the request log. One module-scoped sandbox with a 0.2 s read timeout; nothing here sleeps."""

from __future__ import annotations

import base64
import contextlib
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from conftest import SharedSandboxes, git, isolate_git
from guarantees import count
from hypothesis import given, settings
from hypothesis import strategies as st

from releasekit.sandbox.app import Sandbox, new_token
from releasekit.sandbox.http import Request, Response

READ_TIMEOUT = 0.2
EXAMPLES = 120  # generated requests in the property test (each on its own connection)
# Requests sent, for the README's figures: the property test's and the explicit cases'.
SENT = {"generated": 0, "explicit": 0}


@dataclass
class Front:
    hub: Sandbox
    shared: SharedSandboxes
    auth: bytes  # the sandbox's own Authorization header line

    def release(self, tag: str) -> int:
        """A draft release to upload to."""
        body = json.dumps({"tag_name": tag, "draft": True}).encode()
        answer = self.exchange(self.request("POST", "/repos/acme/demo/releases", body))
        assert answer.status == 201, answer.body
        release_id: int = answer.json()["id"]
        return release_id

    def request(self, method: str, target: str, body: bytes = b"", *headers: str) -> bytes:
        lines = [f"{method} {target} HTTP/1.1", "Host: sandbox", *headers]
        if body:
            lines.append(f"Content-Length: {len(body)}")
        return "\r\n".join(lines).encode() + b"\r\n" + self.auth + b"\r\n" + body

    def exchange(self, data: bytes, *, head: bool = False) -> Answer:
        SENT["explicit"] += 1
        count("hostile requests")
        with Connection(self.hub) as conn:
            conn.send(data)
            return conn.answer(head=head)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def closes(self) -> bool:
        return self.headers.get("connection", "").lower() == "close"

    def json(self) -> Any:
        return json.loads(self.body)

    def error(self, status: int) -> str:
        """The message of a GitHub-shaped JSON error with this status."""
        assert self.status == status, (self.status, self.body[:300])
        assert self.headers["content-type"].startswith("application/json")
        value = self.json()
        assert set(value) >= {"message", "documentation_url"} and value["status"] == str(status), value
        message: str = value["message"]
        return message


class Connection:
    """A raw client socket that reads whole answers (skipping a `100 Continue`), failing if the server closes the
    connection before a complete answer."""

    def __init__(self, hub: Sandbox) -> None:
        self.sock = socket.create_connection(("127.0.0.1", hub.port), timeout=5)
        self.buffer = b""

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()

    def send(self, data: bytes) -> None:
        # The server may answer and close before taking all of it: the answer is still there to read.
        with contextlib.suppress(ConnectionError):
            self.sock.sendall(data)

    def _more(self) -> bool:
        try:
            data = self.sock.recv(1 << 16)
        except ConnectionResetError:
            data = b""
        self.buffer += data
        return bool(data)

    def answer(self, *, head: bool = False) -> Answer:
        while True:
            while b"\r\n\r\n" not in self.buffer:
                assert self._more(), f"the connection closed without a complete answer: {self.buffer[:300]!r}"
            raw, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
            status_line, *lines = raw.decode("latin-1").split("\r\n")
            version, status, _ = status_line.split(" ", 2)
            assert version == "HTTP/1.1", status_line
            if status != "100":
                break
        headers = {name.strip().lower(): value.strip() for name, _, value in (h.partition(":") for h in lines)}
        size = int(headers.get("content-length", "0"))
        answer = Answer(int(status), headers, b"")
        if answer.closes:  # all that follows is the body
            while self._more():
                pass
            size = len(self.buffer) if head else size
        elif head or answer.status in (204, 304):
            size = 0
        while len(self.buffer) < size:
            assert self._more(), f"the connection closed {len(self.buffer)} bytes into a {size}-byte body"
        answer.body, self.buffer = self.buffer[:size], self.buffer[size:]
        return answer


@pytest.fixture(scope="module")
def front(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Front]:
    shared = SharedSandboxes(tmp_path_factory)
    with pytest.MonkeyPatch.context() as patch:
        isolate_git(tmp_path_factory, patch)  # the autouse isolated_git comes later: it is function-scoped
        try:
            hub = shared.sandbox()
            hub.server.read_timeout = READ_TIMEOUT
            seed = tmp_path_factory.mktemp("seed")
            (seed / "README.md").write_text("demo\n")
            git(seed, "init", "-q", "-b", "main")
            git(seed, "add", "-A")
            git(seed, "commit", "-q", "-m", "first")
            hub.create_repo("acme/demo", seed=seed)
            yield Front(hub, shared, f"Authorization: token {hub.token}\r\n".encode())
        finally:
            shared.close()


def _log_text(hub: Sandbox, start: int = 0) -> str:
    with hub.log.lock:
        entries = list(hub.log.entries[start:])
    return json.dumps(entries)


# -- framing: Content-Length and chunked bodies ------------------------------------------------------------------


def test_a_content_length_that_is_not_a_number_is_a_400(front: Front) -> None:
    for value in ("abc", "-1", "+5", "0x10", "1, 2", "", "\u0661"):  # the last: an Arabic-Indic digit one
        head = f"POST /repos/acme/demo/releases HTTP/1.1\r\nContent-Length: {value}\r\n".encode()
        answer = front.exchange(head + front.auth + b"\r\n{}")
        assert "Content-Length must be a number of bytes" in answer.error(400)
        assert answer.closes  # the body's end is unknown: the connection cannot carry another request
    both = b"POST /user HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}"
    assert "both Content-Length and Transfer-Encoding" in front.exchange(both).error(400)
    gzip = b"POST /user HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"
    assert "only chunked is understood" in front.exchange(gzip).error(400)


def test_a_body_over_the_limit_is_a_413_and_uploads_may_be_larger(front: Front) -> None:
    hub = front.hub
    huge = b"POST /repos/acme/demo/releases HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n"
    assert "is over the limit of 157,286,400 bytes" in front.exchange(huge + front.auth + b"\r\n").error(413)
    release = front.release("v-limit")
    upload = f"/api/uploads/repos/acme/demo/releases/{release}/assets?name="
    over = f"POST {upload}a.bin HTTP/1.1\r\nContent-Length: {2**31 + 1}\r\n".encode()
    assert "for a release asset upload" in front.exchange(over + front.auth + b"\r\n").error(413)
    hub.server.max_body = 1024  # the limit is the server's to set: a small one shows what is over it
    try:
        big = b"x" * 4096
        json_body = json.dumps({"tag_name": "v-big", "body": big.decode()}).encode()
        assert "over the limit of 1,024 bytes" in front.exchange(
            front.request("POST", "/repos/acme/demo/releases", json_body)
        ).error(413)
        chunked = b"POST /repos/acme/demo/releases HTTP/1.1\r\nTransfer-Encoding: chunked\r\n" + front.auth
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (json_body[:900], json_body[900:]))
        assert "chunked request body is over the limit" in front.exchange(chunked + b"\r\n" + chunks).error(413)
        # An asset over the JSON limit streams to disk as before, with Content-Length or chunked.
        answer = front.exchange(front.request("POST", upload + "big.bin", big, "Content-Type: application/zip"))
        assert answer.status == 201 and answer.json()["size"] == 4096
        streamed = f"POST {upload}big2.bin HTTP/1.1\r\nTransfer-Encoding: chunked\r\n".encode() + front.auth
        answer = front.exchange(
            streamed + b"\r\n" + b"800\r\n" + big[:2048] + b"\r\n800\r\n" + big[2048:] + b"\r\n0\r\n\r\n"
        )
        assert answer.status == 201 and answer.json()["size"] == 4096
    finally:
        hub.server.max_body = 150 * 1024 * 1024


def test_bad_chunk_sizes_are_a_400_and_leave_no_partial_asset(front: Front) -> None:
    head = b"POST /repos/acme/demo/releases HTTP/1.1\r\nTransfer-Encoding: chunked\r\n" + front.auth + b"\r\n"
    for body in (b"zz\r\n", b"-1\r\n", b"\r\n", b"1" * 17 + b"\r\n", b"0x2\r\n{}\r\n", b"2\r\n{}}\r\n0\r\n\r\n"):
        answer = front.exchange(head + body)
        assert answer.error(400).startswith(("Bad chunk size", "A chunk of 2 bytes is not followed by CRLF")), body
        assert answer.closes
    good = b"2\r\n{}\r\n0;ext=1\r\nX-Trailer: 1\r\n\r\n"
    assert "tag_name" in json.dumps(front.exchange(head + good).json())  # a chunked JSON body still works (422)
    release = front.release("v-chunks")
    upload = f"POST /api/uploads/repos/acme/demo/releases/{release}/assets?name=part.bin HTTP/1.1\r\n".encode()
    broken = upload + b"Transfer-Encoding: chunked\r\n" + front.auth + b"\r\n4\r\nabcd\r\nnope\r\n"
    assert front.exchange(broken).error(400).startswith("Bad chunk size")
    assets = front.exchange(front.request("GET", f"/repos/acme/demo/releases/{release}/assets"))
    assert assets.json() == []  # the handler removed what it had streamed
    assert not list((front.hub.directory / "assets").glob("*.part"))


# -- the request line and headers ---------------------------------------------------------------------------------


def test_http_0_9_and_bad_request_lines_are_a_json_400(front: Front) -> None:
    assert "HTTP/0.9 requests are not supported" in front.exchange(b"GET /user\r\n").error(400)
    for line, expected in (
        (b"GARBAGE", "Bad request line"),
        (b"GET /user HTTP/1.1 extra", "Bad request line"),
        (b"GET  /user HTTP/1.1", "Bad request line"),
        (b"G@T /user HTTP/1.1", "Bad request method"),
        (b"GET /user HTTP/2.0", "Unsupported HTTP version"),
        (b"GET /user HTTPS/1.1", "Unsupported HTTP version"),
        (b"GET /\xff\x00 HTTP/1.1", "Bad request target"),
        (b"GET http://[x/user HTTP/1.1", "Bad request target"),
    ):
        assert expected in front.exchange(line + b"\r\n\r\n").error(400), line
    # An unknown method is an answer of the API, not of the parser: GitHub's 404.
    assert front.exchange(b"BREW /user HTTP/1.1\r\n" + front.auth + b"\r\n").error(404) == "Not Found"


def test_oversized_lines_and_too_many_headers_are_json_not_html(front: Front) -> None:
    long_line = b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n"
    assert "request line is longer than 65,536 bytes" in front.exchange(long_line).error(414)
    long_header = b"GET /user HTTP/1.1\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n"
    assert "header line is longer than 65,536 bytes" in front.exchange(long_header).error(431)
    many = b"GET /user HTTP/1.1\r\n" + b"X-H: 1\r\n" * 101 + b"\r\n"
    assert front.exchange(many).error(431) == "More than 100 request headers"
    for bad in (b"No colon here", b"Bad Name: x", b" folded: x", b"X-Nul: a\x00b", b"X-Cr: a\rb"):
        assert "Bad request header line" in front.exchange(b"GET /user HTTP/1.1\r\n" + bad + b"\r\n\r\n").error(400)


# -- what stops coming: a read timeout, and everyone else is still served -------------------------------------------


def test_a_request_that_stops_coming_is_a_408_others_are_served_meanwhile_and_idle_is_no_stall(
    front: Front,
) -> None:
    stalled = {
        "body": b"POST /user HTTP/1.1\r\nContent-Length: 10\r\n\r\n" + b'{"a"',
        "head": b"GET /user HTTP/1.1\r\nHost: sandbox\r\n",
        "chunk": b"POST /user HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc",
        "line": b"GET /us",
    }
    idle = Connection(front.hub)  # a keep-alive connection that waits between two requests
    connections = {name: Connection(front.hub) for name in stalled}
    try:
        idle.send(front.request("GET", "/rate_limit"))
        assert idle.answer().status == 200
        for name, data in stalled.items():
            connections[name].send(data)
        # Meanwhile, another client is answered at once.
        assert front.exchange(front.request("GET", "/rate_limit")).status == 200
        messages = {name: conn.answer().error(408) for name, conn in connections.items()}
        # Longer than the read timeout has passed: between requests, a connection may wait as long as it likes.
        idle.send(front.request("GET", "/user"))
        assert idle.answer().json()["login"] == "sandbox-user"
    finally:
        for conn in [idle, *connections.values()]:
            conn.sock.close()
    SENT["explicit"] += len(stalled) + 2
    count("hostile requests", len(stalled) + 2)
    assert messages["body"] == "Timed out after 0.2 s waiting for the request body (4 of 10 bytes arrived)"
    assert messages["chunk"] == "Timed out after 0.2 s waiting for a chunk of the body (3 of 16 bytes arrived)"
    assert messages["head"] == messages["line"] == "Timed out after 0.2 s waiting for the request"


# -- bodies and paths that do not decode ---------------------------------------------------------------------------


def test_json_nested_100000_deep_nan_and_lone_surrogates_are_problems_parsing_json(front: Front) -> None:
    for body in (b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 100_000 + b"1" + b"}" * 100_000):
        answer = front.exchange(front.request("POST", "/repos/acme/demo/releases", body))
        assert answer.error(400) == "Problems parsing JSON"
        assert not answer.closes  # the body was read whole: the connection is fine
    for body in (b'{"tag_name": NaN}', b'{"n": -Infinity}', b'{"tag_name": "\\ud800"}', b"\xff\xfe{", b"[]"):
        assert front.exchange(front.request("POST", "/repos/acme/demo/releases", body)).error(400) == (
            "Problems parsing JSON"
        )


def test_nul_and_undecodable_bytes_in_the_path_or_query_are_a_400(front: Front) -> None:
    for target in (
        "/repos/acme/demo/contents/a%00b",
        "/repos/acme/demo/commits/main%00",
        "/repos/acme/demo/git/ref/heads/%00",
        "/repos/acme/demo/releases/tags/v1%00",
        "/repos/acme/demo/contents/%ff%fe",
        "/api/v3/repos/acme/demo/contents/%c3",
    ):
        assert front.exchange(front.request("GET", target)).error(400).startswith("The request's path"), target
    for target in ("/repos/acme/demo/contents/README.md?ref=%00", "/repos/acme/demo/commits?sha=%ff"):
        assert front.exchange(front.request("GET", target)).error(400).startswith("The request's query"), target
    # Percent-encoded UTF-8 is fine: a 404 for a file that is not there.
    assert front.exchange(front.request("GET", "/repos/acme/demo/contents/%E2%82%AC.txt")).error(404)


def test_a_bug_in_a_handler_is_a_json_500_and_the_server_goes_on(
    front: Front, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(request: Request, params: dict[str, str]) -> Response:
        return Response(200, {"half": 1 / int(params["n"])})

    front.hub.router.add("GET", "/_hostile/{n}", broken)
    answer = front.exchange(front.request("GET", "/_hostile/0"))
    assert answer.error(500) == "Server Error"
    assert front.hub.requests("GET", "/_hostile/0")[-1]["error"] == "ZeroDivisionError: division by zero"
    assert "internal error answering GET /_hostile/0 (a bug)" in capsys.readouterr().err
    assert front.exchange(front.request("GET", "/_hostile/2")).json() == {"half": 0.5}


# -- the request log never stores a token ---------------------------------------------------------------------------


def test_the_request_log_stores_no_token_in_any_form(front: Front) -> None:
    hub = front.hub
    start = len(hub.log.entries)
    fake = new_token()
    basic = base64.b64encode(f"user:{fake}".encode()).decode()
    cases = {
        fake: "***",  # a bare token: no scheme to keep
        f"{fake} trailing": "***",
        f"token {fake}": "token ***",
        f"Bearer {fake}": "Bearer ***",
        f"Basic {basic}": "Basic ***",
        f"token\t{fake}": "***",
    }
    for value, logged in cases.items():
        assert front.exchange(f"GET /user HTTP/1.1\r\nAuthorization: {value}\r\n\r\n".encode()).error(401)
        assert hub.requests("GET", "/user")[-1]["authorization"] == logged, value
    query = f"per_page=2&access_token={fake}&Client_Secret={fake}&access%5Ftoken={fake}&api_key={fake}&token"
    assert front.exchange(front.request("GET", f"/user?{query}")).status == 200
    assert hub.requests("GET", "/user")[-1]["query"] == (
        "per_page=2&access_token=***&Client_Secret=***&access%5Ftoken=***&api_key=***&token"
    )
    logged = _log_text(hub, start)
    assert fake not in logged and basic not in logged and hub.token not in logged
    hub.save()
    for saved in (hub.directory / "requests.jsonl", hub.directory / "state.json"):
        assert fake not in saved.read_text() and hub.token not in saved.read_text()
    served = front.exchange(front.request("GET", "/_sandbox/requests")).body.decode()
    assert fake not in served and basic not in served


# -- the property: generated raw requests --------------------------------------------------------------------------

_FAKE = [new_token() for _ in range(3)]  # made at run time; the log must never show one
_TEMPLATES = [
    "/user",
    "/users/{x}",
    "/rate_limit",
    "/repos/acme/demo",
    "/repos/acme/{x}",
    "/repos/acme/demo/contents/{x}",
    "/repos/acme/demo/commits",
    "/repos/acme/demo/commits/{x}",
    "/repos/acme/demo/commits/{x}/status",
    "/repos/acme/demo/git/ref/{x}",
    "/repos/acme/demo/git/refs",
    "/repos/acme/demo/git/refs/{x}",
    "/repos/acme/demo/git/tags",
    "/repos/acme/demo/tags",
    "/repos/acme/demo/releases",
    "/repos/acme/demo/releases/{x}",
    "/repos/acme/demo/releases/tags/{x}",
    "/repos/acme/demo/releases/generate-notes",
    "/repos/acme/demo/actions/runs",
    "/repos/acme/demo/actions/workflows/{x}/dispatches",
    "/api/uploads/repos/acme/demo/releases/{x}/assets",
    "/_sandbox/requests",
    "/{x}",
]
_SAFE_PARTS = ["a", "v1.0", "main", "heads/main", "tags/v1", "README.md", "%20", "%E2%82%AC", "%2F", "1", "-"]
_HOSTILE_PARTS = ["%00", "%ff", "%", "%zz", "..", "\x00", "é", "😀", "\u2028", " ", "\t", "#", "?", "\\", "\r"]
_SAFE_QUERY = ["per_page=2", "page=x", "name=a.bin", "q=a+b", "=", "ref=main", "per_page=-1", "page=99999999999999"]
_SECRET_NAMES = ["access_token", "token", "client_secret", "ACCESS_TOKEN", "access%5Ftoken", "api_key"]
_KEYS = ["tag_name", "name", "body", "draft", "prerelease", "ref", "sha", "target_commitish", "message", "force"]
_KEYS += ["object", "type", "inputs", "state", "context", "make_latest", "generate_release_notes", "x"]
_TEXT = st.lists(st.sampled_from(["a", "v1", "\x00", "\r\n", "..", "-", "é", "😀", "\\", "/", " ", "%00"]), max_size=6)
_JSON: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | _TEXT.map("".join),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(_KEYS), inner, max_size=4),
    max_leaves=8,
)
# What a generated request gets wrong: nothing (its body and auth can still be anything), or one part of it.
_MODES = ["clean"] * 4 + ["method", "version", "target", "header", "framing", "all"]


def _authorization(form: str, token: str) -> str:
    basic = base64.b64encode(f"user:{token}".encode()).decode()
    return {"token": f"token {token}", "bare": token, "bearer": f"Bearer {token}", "basic": f"Basic {basic}"}[form]


def _target(draw: st.DrawFn, hostile: bool) -> str:
    parts = st.sampled_from(_SAFE_PARTS + _HOSTILE_PARTS if hostile else _SAFE_PARTS)
    segment = "".join(draw(st.lists(parts, min_size=1, max_size=3)))
    target = draw(st.sampled_from(_TEMPLATES)).replace("{x}", segment)
    if hostile:
        target = draw(st.sampled_from(["{}", "/api/v3{}", "http://127.0.0.1{}", "/{}", "*", "{}%00"])).format(target)
    elif draw(st.booleans()):
        target = "/api/v3" + target
    query = st.sampled_from(_SAFE_QUERY + (["ref=%00", "sha=%ff", "a=%C3"] if hostile else []))
    secret = st.sampled_from(_SECRET_NAMES).flatmap(lambda name: st.sampled_from(_FAKE).map(f"{name}={{}}".format))
    fields = draw(st.lists(query | secret, max_size=3))
    return target + ("?" + "&".join(fields) if fields else "")


def _framing(draw: st.DrawFn, body: bytes, hostile: bool) -> tuple[list[bytes], bytes]:
    """Headers and bytes for the body: exact framing (the connection must stay usable), or framing the server must
    refuse without waiting (a body shorter than announced, which makes it wait, is the 408 test's)."""
    kinds = ["bad-length", "huge", "both", "bad-te", "bad-chunk"] if hostile else ["none", "length", "chunked"]
    kind = draw(st.sampled_from(kinds))
    if kind == "none":
        return [], b""
    if kind in ("length", "both"):
        return [b"Content-Length: %d" % len(body)] + ([b"Transfer-Encoding: chunked"] if kind == "both" else []), body
    if kind == "bad-length":
        value = draw(st.sampled_from([b"abc", b"-1", b"+1", b"1, 2", b"", b"0x1", b"\xd9\xa1", b"1 1"]))
        return [b"Content-Length: " + value], body
    if kind == "huge":
        return [b"Content-Length: " + draw(st.sampled_from([b"157286401", b"99999999999999999999999"]))], body
    if kind == "bad-te":
        return [b"Transfer-Encoding: " + draw(st.sampled_from([b"gzip", b"chunked, gzip", b"identity", b"x"]))], body
    cuts = sorted(draw(st.lists(st.integers(0, len(body)), max_size=3)))
    parts = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True) if b > a]
    chunks = b"".join(b"%x%s\r\n%s\r\n" % (len(p), draw(st.sampled_from([b"", b";x=1"])), p) for p in parts)
    if kind == "bad-chunk":
        chunks += draw(st.sampled_from([b"zz", b"-1", b"1" * 17, b"", b"0x1", b"2\r\nabc"])) + b"\r\nab\r\n"
    return [b"Transfer-Encoding: chunked"], chunks + b"0\r\n" + draw(st.sampled_from([b"", b"T: 1\r\n"])) + b"\r\n"


@st.composite
def _raw_request(draw: st.DrawFn, token: str) -> tuple[str, bytes]:
    """(method, the bytes of one request) that gets nothing wrong at the HTTP level (its path, body and
    credentials still come from everywhere), or one part (or every part) of it."""
    mode = draw(st.sampled_from(_MODES))
    hostile = {part: mode in (part, "all") for part in ("method", "version", "target", "header", "framing")}
    methods = ["GET", "GET", "POST", "POST", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS", "BREW"]
    method = draw(st.sampled_from(["G\x00T", "GÉT", "", "GET /x", "get"] if hostile["method"] else methods))
    versions = ["HTTP/2.0", "HTTP/1.1 x", "http/1.1", "", "HTTP/1.x"] if hostile["version"] else ["HTTP/1.1"] * 3
    version = draw(st.sampled_from(versions + ([] if hostile["version"] else ["HTTP/1.0"])))
    line = f"{method} {_target(draw, hostile['target'])}" + (f" {version}" if version else "")
    headers = [b"Host: sandbox"]
    # Mostly the sandbox's own token, so that the handlers run; else a made-up one, or the right one bare.
    form = draw(st.sampled_from(["token"] * 6 + ["bearer", "basic", "fake", "bare", "none"]))
    if form == "fake":
        forms = st.sampled_from(["token", "bare", "bearer", "basic"])
        headers.append(b"Authorization: " + _authorization(draw(forms), draw(st.sampled_from(_FAKE))).encode())
    elif form != "none":
        headers.append(b"Authorization: " + _authorization(form, token).encode())
    names = ["Accept", "User-Agent", "If-None-Match", "Content-Type", "Expect", "Connection", "X-a"]
    values = ["*", "100-continue", "close", "keep-alive", "application/json", "é", ""]
    for name, text in draw(st.lists(st.tuples(st.sampled_from(names), st.sampled_from(values)), max_size=2)):
        headers.append(f"{name}: {text}".encode())
    if hostile["header"]:
        bad = [b"no colon", b" folded: x", b"Bad Name: x", b"X: a\x00", b"X: a\rb", b"X: " + b"a" * 70_000]
        headers.append(draw(st.sampled_from([*bad, b"X: y\r\n" * 101])))
    body_kind = draw(st.sampled_from(["json", "json", "json", "bytes", "deep"]))
    if body_kind == "json":
        body = json.dumps(draw(_JSON), ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
    elif body_kind == "bytes":
        body = draw(st.binary(max_size=40))
    else:
        body = b"[" * 3000 + b"]" * 3000  # deeper than Python's recursion limit
    framing, payload = _framing(draw, body, hostile["framing"])
    data = line.encode() + b"\r\n" + b"".join(h + b"\r\n" for h in headers + framing) + b"\r\n" + payload
    return method, data


def test_generated_hostile_requests_always_get_a_complete_4xx_or_better_and_never_leak_a_token(front: Front) -> None:
    hub = front.hub
    follow_up = front.request("GET", "/rate_limit")
    secrets = [hub.token, *_FAKE, *(_authorization("basic", t).split()[1] for t in [hub.token, *_FAKE])]

    @settings(database=None, deadline=None, max_examples=EXAMPLES)
    @given(st.data())
    def each(data: st.DataObject) -> None:
        method, raw = data.draw(_raw_request(hub.token))
        start = len(hub.log.entries)
        with Connection(hub) as conn:
            conn.send(raw)
            SENT["generated"] += 1
            count("inputs generated")
            answer = conn.answer(head=method == "HEAD")
            assert answer.status < 500, (answer.status, answer.body[:300], _log_text(hub, start)[-500:])
            if answer.status >= 400 and answer.body:
                assert "message" in answer.json()
            elif answer.status >= 400:
                assert method == "HEAD", answer
            if not answer.closes:  # the framing held: the same connection carries the next request
                conn.send(follow_up)
                assert conn.answer().json()["resources"]["core"]["limit"] == 5000
        logged = _log_text(hub, start)
        assert not any(secret in logged for secret in secrets), logged[:500]

    before = SENT["generated"]
    each()
    assert SENT["generated"] - before >= EXAMPLES
    served = front.exchange(front.request("GET", "/_sandbox/requests")).body.decode()
    assert not any(secret in served for secret in secrets)
    front.shared.check()
