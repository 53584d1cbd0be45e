"""The GitHub REST API as a release needs it: one client over PyGithub's requester, with deliberate retries.

Reads are retried with backoff and honour `retry-after` and the rate-limit reset. Writes (a release, an asset, a
dispatch) are never re-sent blindly: when a write fails in a way that leaves its outcome unknown (a dropped
connection, a timeout, a 5xx), the client first asks GitHub whether it took effect, and only re-sends when it did
not. PyGithub's types never leave this module: callers get the small frozen records below.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from releasekit.backends.records import (
    SIMULATED_CHECK,
    AssetInfo,
    Check,
    ReleaseInfo,
    RepoInfo,
    asset_record,
    release_record,
)
from releasekit.errors import ReleasekitError
from releasekit.github_rules import MAX_PER_PAGE

if TYPE_CHECKING:
    from github.Requester import Requester

DEFAULT_API_URL = "https://api.github.com"
TOKEN_VARIABLES = ("GITHUB_TOKEN", "GH_TOKEN")
_TRANSIENT_STATUS = frozenset({500, 502, 503, 504})
T = TypeVar("T")


class GitHubError(ReleasekitError):
    """The GitHub API refused or failed a request; the message says which and what to do."""


class TokenRejected(GitHubError):
    """401: the token is wrong, expired or revoked."""


class Unreachable(GitHubError):
    """The API did not answer (refused, reset, timed out) after the retries."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason  # the last failure, e.g. "connection refused" or "503 Service Unavailable"


class RateLimited(GitHubError):
    """The rate limit is exhausted for longer than the client waits on its own; `wait` says for how long."""

    def __init__(self, message: str, wait: float) -> None:
        super().__init__(message)
        self.wait = wait


class OutcomeUnknown(GitHubError):
    """A write got no answer (or a 5xx): it may or may not have taken effect."""


@dataclass(frozen=True)
class Credentials:
    token: str
    source: str  # the environment variable it came from


def credentials(env: Mapping[str, str] | None = None) -> Credentials | None:
    """The token from GITHUB_TOKEN, else GH_TOKEN (as the gh CLI reads them)."""
    env = os.environ if env is None else env
    for name in TOKEN_VARIABLES:
        value = env.get(name, "").strip()
        if value:
            return Credentials(value, name)
    return None


def api_url(env: Mapping[str, str] | None = None) -> str:
    """GITHUB_API_URL (set by Actions and by `releasekit sandbox`; GitHub Enterprise: https://HOST/api/v3)."""
    env = os.environ if env is None else env
    return (env.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")


def redact(text: str, env: Mapping[str, str] | None = None) -> str:
    """Text with every token releasekit knows of replaced by `***` (defence in depth: none is ever printed)."""
    env = os.environ if env is None else env
    for name in (*TOKEN_VARIABLES, "TWINE_PASSWORD"):
        value = env.get(name, "")
        if len(value) >= 6:
            text = text.replace(value, "***")
    return text


class GitHub:
    """`GitHub("owner/name", url=..., token=...)`: the API calls of a release, counted per method in `requests`."""

    def __init__(
        self,
        repository: str,
        *,
        url: str = DEFAULT_API_URL,
        token: str,
        attempts: int = 4,
        max_wait: float = 90.0,
        timeout: int = 30,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.repository = repository
        self.url = url.rstrip("/")
        self._token = token
        self.attempts = attempts
        self.max_wait = max_wait
        self.timeout = timeout
        self.sleep = sleep
        self.now = now  # seconds since the epoch, as the rate limit's reset is given (tests pass a sandbox's)
        self.requests: Counter[str] = Counter()
        self._requester: Requester | None = None
        self._etags: dict[str, tuple[str, tuple[Any, str]]] = {}  # key -> (ETag, (answer, Link header))
        self.notice: Callable[[str], None] | None = None  # told of long waits (rate limit, retry-after)

    @classmethod
    def from_env(
        cls,
        repository: str,
        env: Mapping[str, str] | None = None,
        *,
        needs: str = "push to",
        **options: Any,
    ) -> GitHub:
        """A client with the token from the environment; `needs` says what the token must allow (for the error)."""
        found = credentials(env)
        if found is None:
            msg = (
                f"no GitHub token: set GITHUB_TOKEN (or GH_TOKEN) to a token that can {needs} "
                f"{repository}, e.g. `export GITHUB_TOKEN=$(gh auth token)`"
            )
            raise GitHubError(msg)
        return cls(repository, url=api_url(env), token=found.token, **options)

    # -- transport --------------------------------------------------------------------------------------------

    @property
    def requester(self) -> Requester:
        if self._requester is None:
            # PyGithub is imported only when the API is first used (it costs ~160 ms, see BENCHMARKS.md).
            from github import Auth, Github

            client = Github(
                base_url=self.url,
                auth=Auth.Token(self._token),
                timeout=self.timeout,
                retry=None,  # retries are decided here, per request kind, never by urllib3 for a POST
                per_page=MAX_PER_PAGE,
                # PyGithub's fixed pauses (0.25 s per request, 1 s per write) would add seconds to every release;
                # a release makes a handful of writes (a draft, its assets, one PATCH), far below GitHub's
                # secondary rate limits, and a limit that is hit anyway is honoured through retry-after.
                seconds_between_requests=None,
                seconds_between_writes=None,
            )
            self._requester = client.requester
        return self._requester

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        upload: Path | None = None,
    ) -> tuple[int, dict[str, Any], Any]:
        """One HTTP exchange. Raises _Lost when the outcome is unknown (no answer)."""
        import requests

        self.requests[method] += 1
        url = self._repo_url(path)
        if upload is not None:
            return self._upload(method, url, params or {}, headers or {}, upload)
        try:
            status, resp_headers, text = self.requester.requestJson(
                method, url, parameters=params, headers=headers, input=body
            )
        except (requests.ConnectionError, requests.Timeout, OSError) as exc:
            raise _Lost(_reason(exc)) from None
        data: Any = None
        if text:
            try:
                data = json.loads(text)
            except ValueError:
                data = {"message": text[:200]}
        return status, {k.lower(): v for k, v in resp_headers.items()}, data

    def _upload(
        self, method: str, url: str, params: dict[str, Any], headers: dict[str, str], path: Path
    ) -> tuple[int, dict[str, Any], Any]:
        """Stream a file as the request body from a handle closed here, whatever happens to the request."""
        import requests
        from github import GithubException

        with path.open("rb") as handle:
            sent = {**headers, "Content-Length": str(path.stat().st_size)}
            try:
                resp_headers, data = self.requester.requestMemoryBlobAndCheck(method, url, params, sent, handle)
            except GithubException as exc:
                return exc.status, {k.lower(): v for k, v in (exc.headers or {}).items()}, exc.data
            except (requests.ConnectionError, requests.Timeout, OSError) as exc:
                raise _Lost(_reason(exc)) from None
        return 201, {k.lower(): v for k, v in resp_headers.items()}, data

    def _repo_url(self, path: str) -> str:
        if path.startswith(("http://", "https://", "/repos/", "/user", "/rate_limit")):
            return path
        return f"/repos/{self.repository}{path}"

    # -- reads: retried -----------------------------------------------------------------------------------------

    def get(self, path: str, params: dict[str, Any] | None = None, *, what: str, missing_ok: bool = False) -> Any:
        """GET with retries; a 404 is None when `missing_ok`. Uses ETags: an unchanged answer (304) is free."""
        return self._get(path, params, what=what, missing_ok=missing_ok)[0]

    def get_all(
        self, path: str, params: dict[str, Any] | None = None, *, what: str, items: str | None = None
    ) -> list[Any]:
        """Every item of a paginated list (see `pages`)."""
        return [item for page in self.pages(path, params, what=what, items=items) for item in page]

    def pages(
        self, path: str, params: dict[str, Any] | None = None, *, what: str, items: str | None = None
    ) -> Iterator[list[Any]]:
        """The pages of a list in order: the first asked for with the largest page (100: the fewest requests), then
        each page GitHub links as `rel="next"` until none is, as PyGithub's PaginatedList does. `items` names the
        list inside an answer that is an object (`{"total_count": 120, "check_runs": [...]}`). Each page is a `get`:
        retried, and free when unchanged (the next page's link is remembered with the ETag)."""
        url: str | None = path
        query: dict[str, Any] | None = {**(params or {}), "per_page": MAX_PER_PAGE}
        read: set[str] = set()
        while url is not None:
            data, link = self._get(url, query, what=what if not read else f"{what} (page {len(read) + 1})")
            found = data.get(items) if items is not None and isinstance(data, Mapping) else data
            yield list(found or [])
            read.add(url)
            url, query = next_page(link), None  # the next page's URL carries the whole query
            if url in read:
                msg = f"{what}: GitHub's `Link` header leads back to a page already read ({url}); run it again"
                raise GitHubError(msg)

    def _get(
        self, path: str, params: dict[str, Any] | None = None, *, what: str, missing_ok: bool = False
    ) -> tuple[Any, str]:
        """`get`, with the answer's `Link` header ("" when there is none)."""
        key = self._repo_url(path) + "?" + urllib.parse.urlencode(sorted((params or {}).items()))
        delay = 0.5
        last = ""
        for attempt in range(1, self.attempts + 1):
            cached = self._etags.get(key)
            headers = {"If-None-Match": cached[0]} if cached else None
            try:
                status, resp_headers, data = self._send("GET", path, params=params, headers=headers)
            except _Lost as lost:
                last = str(lost)
            else:
                if status == 304 and cached:
                    return cached[1]
                if 200 <= status < 300:
                    etag = resp_headers.get("etag")
                    link = str(resp_headers.get("link") or "")
                    if etag:
                        self._etags[key] = (etag, (data, link))
                    return data, link
                if status == 404 and missing_ok:
                    return None, ""
                wait = self._retry_wait(status, resp_headers, data, what)
                if wait is None:
                    raise self.refusal(status, data, what)
                last = f"{status} {_message(data)}"
                delay = max(delay, wait)
                if wait >= 5 and self.notice:
                    self.notice(f"{what}: GitHub asks to wait {wait:.0f} s ({last}); waiting")
            if attempt < self.attempts:
                self.sleep(delay)
                delay = min(delay * 2, self.max_wait)
        raise Unreachable(
            f"{what}: no answer from the GitHub API at {self.url} after {self.attempts} attempts ({last}); "
            "check GITHUB_API_URL and the network, then run the command again",
            last,
        )

    def _retry_wait(self, status: int, headers: Mapping[str, Any], data: Any, what: str) -> float | None:
        """Seconds to wait before retrying a read, or None when retrying cannot help."""
        if status in _TRANSIENT_STATUS:
            return 0.5
        if status in (403, 429) and (headers.get("retry-after") or headers.get("x-ratelimit-remaining") == "0"):
            if headers.get("retry-after"):
                wait = float(headers["retry-after"])
            else:
                wait = max(0.0, float(headers.get("x-ratelimit-reset", "0")) - self.now()) + 1
            if wait > self.max_wait:
                reset = time.strftime("%H:%M:%S", time.localtime(self.now() + wait))
                msg = (
                    f"{what}: GitHub's rate limit is exhausted until {reset} ({wait:.0f} s); "
                    "run the command again then (with --resume if a release was under way)"
                )
                raise RateLimited(msg, wait)
            return wait
        return None

    def refusal(self, status: int, data: Any, what: str) -> GitHubError:
        message = _message(data)
        if status == 401:
            return TokenRejected(
                f"{what}: GitHub rejected the token (401 {message}); it is wrong, expired or revoked. "
                "Set GITHUB_TOKEN (or GH_TOKEN) to a valid token"
            )
        if status == 403:
            return GitHubError(f"{what}: forbidden (403 {message}); the token lacks the permission this needs")
        if status == 404:
            return GitHubError(
                f"{what}: not found (404) on {self.url}; check `project.repository` ({self.repository}) and that "
                "the token can see the repository"
            )
        return GitHubError(f"{what}: GitHub answered {status}: {message}")

    # -- writes: verified, never blindly re-sent ---------------------------------------------------------------

    def write(
        self,
        method: str,
        path: str,
        *,
        what: str,
        body: Any = None,
        params: dict[str, Any] | None = None,
        upload: Path | None = None,
        headers: dict[str, str] | None = None,
        verify: Callable[[], T | None],
        accept: Callable[[Any], T],
    ) -> T:
        """Send a write once. If its outcome is unknown, `verify()` reads what GitHub has: a value means it took
        effect (returned as the result); None means it did not, and only then is the write sent again."""
        last = ""
        for attempt in range(1, self.attempts + 1):
            try:
                status, _, data = self._send(method, path, body=body, params=params, upload=upload, headers=headers)
            except _Lost as lost:
                last = str(lost)
            else:
                if 200 <= status < 300:
                    return accept(data)
                if status not in _TRANSIENT_STATUS:
                    raise self.refusal(status, data, what)
                last = f"{status} {_message(data)}"
            self.sleep(min(0.5 * 2 ** (attempt - 1), self.max_wait))
            done = verify()
            if done is not None:
                return done
        raise Unreachable(
            f"{what}: GitHub did not confirm the write after {self.attempts} attempts ({last}), and it has not "
            "taken effect; run the command again when the API answers",
            last,
        )

    def send_once(self, method: str, path: str, *, body: Any, what: str) -> tuple[int, Any]:
        """A write that must not be repeated without the caller's say (a dispatch): sent once, the answer given back
        as (status, data) for any 2xx or 4xx. A refusal for the rate limit is waited out and sent again (GitHub
        did nothing); no answer or a 5xx raises OutcomeUnknown, and the caller finds out what happened."""
        for _ in range(self.attempts):
            try:
                status, headers, data = self._send(method, path, body=body)
            except _Lost as lost:
                raise OutcomeUnknown(f"{what}: no answer from {self.url} ({lost})") from None
            if status in _TRANSIENT_STATUS:
                raise OutcomeUnknown(f"{what}: GitHub answered {status} {_message(data)}")
            wait = self._retry_wait(status, headers, data, what) if status in (403, 429) else None
            if wait is None:
                return status, data
            if self.notice:
                self.notice(f"{what}: rate limited; sending again in {wait:.0f} s")
            self.sleep(wait)
        raise GitHubError(f"{what}: GitHub kept refusing for the rate limit; run the command again later")

    # -- the calls a release makes ------------------------------------------------------------------------------

    def repo(self) -> RepoInfo:
        data = self.get("", what=f"reading repository {self.repository}")
        perms = data.get("permissions") or {}
        return RepoInfo(
            full_name=data["full_name"],
            default_branch=data.get("default_branch") or "main",
            html_url=data.get("html_url") or "",
            can_push=bool(perms.get("push") or perms.get("admin") or perms.get("maintain")),
            admin=bool(perms.get("admin")),
        )

    def checks(self, sha: str) -> list[Check]:
        """Check runs (Actions and apps) and commit statuses (older integrations) for a commit, every page of both:
        a red check on page 2 must stop a release as surely as one on page 1."""
        runs = self.get_all(
            f"/commits/{sha}/check-runs", {"filter": "latest"}, what=f"reading check runs of {sha}", items="check_runs"
        )
        # The combined status pages its `statuses` the same way (its `state` covers them all, but names none).
        statuses = self.get_all(f"/commits/{sha}/status", what=f"reading the status of {sha}", items="statuses")
        found = [
            Check(
                r["name"],
                r.get("conclusion") or r.get("status") or "pending",
                r.get("html_url") or "",
                simulated=(r.get("output") or {}).get("title") == SIMULATED_CHECK,
            )
            for r in runs
        ]
        found += [
            Check(s.get("context") or "status", s.get("state") or "pending", s.get("target_url") or "")
            for s in statuses
        ]
        return found

    def tag_object(self, tag: str) -> str | None:
        """The SHA the tag ref points at on GitHub (the tag object for an annotated tag), or None."""
        data = self.get(f"/git/ref/tags/{quote_path(tag)}", what=f"reading tag {tag}", missing_ok=True)
        return None if data is None else str(data["object"]["sha"])

    def log_tail(self, path: str, lines: int) -> list[str]:
        """The last lines of a log the API redirects to (a job's), best effort: any failure gives no lines."""
        import urllib.request

        try:
            status, headers, _ = self._send("GET", path)
            location = headers.get("location")
            if status != 302 or not location:
                return []
            # The log lives at a signed URL elsewhere: fetched without the token, which must not leave the API.
            with urllib.request.urlopen(location, timeout=self.timeout) as response:
                text = response.read(4_000_000).decode("utf-8", errors="replace")
        except (_Lost, OSError, ValueError):
            return []
        return [line for line in text.splitlines() if line.strip()][-lines:]

    def release_for_tag(self, tag: str) -> ReleaseInfo | None:
        """The release of a tag, drafts included (GET releases/tags/{tag} does not return drafts)."""
        published = self.get(f"/releases/tags/{quote_path(tag)}", what=f"reading the release of {tag}", missing_ok=True)
        if published is not None:
            return self._release(published)
        for page in self.pages("/releases", what="listing releases"):  # newest first: it is usually on page 1
            for item in page:
                if item.get("tag_name") == tag:
                    return self._release(item)
        return None

    def _release(self, data: Mapping[str, Any]) -> ReleaseInfo:
        """A release with every asset. Its JSON embeds them, but GitHub documents no promise that the embedded list
        is whole: one as long as a full page may have been cut at one, and is then read from the paginated list."""
        release = release_record(data)
        if len(data.get("assets") or ()) >= MAX_PER_PAGE:
            release = dataclasses.replace(release, assets=tuple(self.assets(release.id)))
        return release

    def create_release(self, tag: str, *, name: str, body: str, prerelease: bool) -> ReleaseInfo:
        payload = {"tag_name": tag, "name": name, "body": body, "draft": True, "prerelease": prerelease}
        return self.write(
            "POST",
            "/releases",
            body=payload,
            what=f"creating the draft release of {tag}",
            verify=lambda: self.release_for_tag(tag),
            accept=release_record,
        )

    def update_release(self, release: ReleaseInfo, **fields: Any) -> ReleaseInfo:
        """PATCH a release (publish it, set its notes). Verified by reading it back."""

        def verify() -> ReleaseInfo | None:
            now = self.release_for_tag(release.tag_name)
            if now is None:
                return None
            current = {"draft": now.draft, "body": now.body, "name": now.name, "prerelease": now.prerelease}
            return now if all(current.get(k) == v for k, v in fields.items()) else None

        return self.write(
            "PATCH",
            f"/releases/{release.id}",
            body=fields,
            what=f"updating the release of {release.tag_name}",
            verify=verify,
            accept=self._release,
        )

    def upload_asset(self, release: ReleaseInfo, path: Path, name: str, digest: str) -> AssetInfo:
        """Stream a file to the release (PyGithub sends the open file: memory stays flat whatever its size)."""

        def verify() -> AssetInfo | None:
            for asset in self.assets(release.id):
                if asset.name == name and asset.state == "uploaded" and asset.digest in (None, digest):
                    return asset
            return None

        url = release.upload_url.split("{", 1)[0]
        return self.write(
            "POST",
            url,
            params={"name": name},
            upload=path,
            headers={"Content-Type": "application/octet-stream"},
            what=f"uploading {name}",
            verify=verify,
            accept=asset_record,
        )

    def assets(self, release_id: int) -> list[AssetInfo]:
        data = self.get_all(f"/releases/{release_id}/assets", what="listing the release's assets")
        return [asset_record(a) for a in data]

    def delete_asset(self, asset: AssetInfo) -> None:
        def verify() -> bool | None:
            still = self.get(f"/releases/assets/{asset.id}", what=f"reading asset {asset.name}", missing_ok=True)
            return True if still is None else None

        self.write(
            "DELETE",
            f"/releases/assets/{asset.id}",
            what=f"deleting asset {asset.name}",
            verify=verify,
            accept=lambda _data: True,
        )

    def download(self, path: str, *, what: str, limit: int) -> bytes:
        """The bytes at an API path that answers with a redirect to a file (an artifact's `zip`), at most `limit`
        bytes; retried like a read. The token goes to the API only: `requests` drops it on a redirect to another host,
        as GitHub's pre-signed download URLs require."""
        import requests

        url = self._repo_url(path)
        if not url.startswith(("http://", "https://")):
            url = self.url + url
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/vnd.github+json"}
        last = ""
        for attempt in range(1, self.attempts + 1):
            self.requests["GET"] += 1
            try:
                with requests.get(url, headers=headers, timeout=self.timeout, stream=True) as answer:
                    if answer.status_code == 200:
                        data = answer.raw.read(limit + 1, decode_content=True)
                        if len(data) > limit:
                            msg = f"{what}: the download is over {limit} bytes; refusing to read more"
                            raise GitHubError(msg)
                        return bytes(data)
                    try:
                        body: Any = answer.json()
                    except ValueError:
                        body = {"message": answer.text[:200]}
                    wait = self._retry_wait(answer.status_code, answer.headers, body, what)
                    if wait is None:
                        raise self.refusal(answer.status_code, body, what)
                    last = f"{answer.status_code} {_message(body)}"
            except (requests.ConnectionError, requests.Timeout, OSError) as exc:
                last = _reason(exc)
                wait = 0.5
            if attempt < self.attempts:
                self.sleep(min(wait * 2 ** (attempt - 1), self.max_wait))
        raise Unreachable(f"{what}: no answer from {self.url} after {self.attempts} attempts ({last})", last)


class _Lost(Exception):
    """No answer: the request may or may not have reached GitHub."""


def _reason(exc: BaseException) -> str:
    text = str(exc)
    for hint in ("Connection refused", "timed out", "Connection reset", "Name or service not known"):
        if hint.lower() in text.lower():
            return hint.lower()
    return type(exc).__name__


def _message(data: Any) -> str:
    if isinstance(data, dict):
        message = str(data.get("message") or "")
        errors = data.get("errors") or []
        details = "; ".join(str(e.get("message") or e.get("code")) for e in errors if isinstance(e, dict))
        return f"{message} ({details})" if details else message
    return ""


_LINK = re.compile(r"<([^>]*)>([^<]*)")  # `<url>; rel="next", <url>; rel="last"` (RFC 8288, as GitHub sends it)
_NEXT = re.compile(r"""\brel\s*=\s*"?[^"]*\bnext\b""")


def next_page(link: str) -> str | None:
    """The URL of the page after this one, from a `Link` header; None on the last page (or with no header)."""
    for found in _LINK.finditer(link):
        if _NEXT.search(found.group(2)):
            return found.group(1)
    return None


def quote_path(tag: str) -> str:
    return urllib.parse.quote(tag, safe="/")
