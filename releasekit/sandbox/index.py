"""A real package index beside the sandbox: pypiserver in a child process, uploads guarded by a generated token."""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import socketserver
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from releasekit.sandbox.http import free_port

USERNAME = "__token__"  # what twine sends for API tokens, as PyPI expects
_PASSWORD_ENV = "RELEASEKIT_SANDBOX_INDEX_TOKEN"


class IndexStartError(RuntimeError):
    """The package index could not start."""


class PackageIndex:
    """`with PackageIndex(dir) as index:` serves dir at index.url; twine uploads with index.twine_env()."""

    def __init__(self, directory: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.directory = directory
        self.host = host
        self.port = port or free_port(host)
        self.url = f"http://{host}:{self.port}/"
        self.token = f"pypi-sandbox-{secrets.token_hex(16)}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20.0) -> PackageIndex:
        import importlib.util

        # Only whether it is installed: importing it here would import its bundled bottle (and its warnings).
        if importlib.util.find_spec("pypiserver") is None:
            msg = "the sandbox's package index needs pypiserver: pip install 'releasekit[sandbox]'"
            raise IndexStartError(msg) from None
        self.directory.mkdir(parents=True, exist_ok=True)
        log_file = self.directory.parent / "index.log"
        env = {**os.environ, _PASSWORD_ENV: self.token}
        args = [sys.executable, "-m", "releasekit.sandbox.index", str(self.directory), self.host, str(self.port)]
        # The child's stdin is a pipe we never write to: it reads end-of-file when we close it in stop(), or when
        # this process dies in any way (SIGKILL included), and then stops. So the index never outlives us.
        with log_file.open("ab") as log:
            self.proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                code = self.proc.returncode
                self.stop()
                msg = f"the package index exited at start (code {code}); see {log_file}"
                raise IndexStartError(msg)
            try:
                with urllib.request.urlopen(f"{self.url}health", timeout=1):
                    return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.05)
        self.stop()
        msg = f"the package index did not answer on {self.url} within {timeout:g}s"
        raise IndexStartError(msg)

    def stop(self, timeout: float = 5.0) -> None:
        """Close the child's stdin (it shuts down at end-of-file); terminate it only if it does not."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.stdin is not None:
            with contextlib.suppress(OSError):  # the child is already gone
                proc.stdin.close()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def __enter__(self) -> PackageIndex:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def twine_env(self) -> dict[str, str]:
        return {"TWINE_REPOSITORY_URL": self.url, "TWINE_USERNAME": USERNAME, "TWINE_PASSWORD": self.token}

    def files(self) -> list[str]:
        return sorted(p.name for p in self.directory.iterdir() if p.is_file())


def _serve(root: str, host: str, port: int) -> None:
    """The child process: pypiserver's WSGI app on a threading wsgiref server."""
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    import pypiserver

    # Ctrl-C in a terminal reaches the whole process group: the parent decides when the index stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    token = os.environ.pop(_PASSWORD_ENV)

    def auther(user: str, password: str) -> bool:
        return user == USERNAME and secrets.compare_digest(password, token)

    app = pypiserver.app(roots=[root], authenticate=["update"], password_file=None, auther=auther, overwrite=False)

    class Server(socketserver.ThreadingMixIn, WSGIServer):
        daemon_threads = True

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    with make_server(host, port, app, server_class=Server, handler_class=Quiet) as server:
        threading.Thread(target=_stop_at_eof, args=(server,), daemon=True, name="parent-watch").start()
        # shutdown() takes effect at the next poll: a short interval lets the index stop in milliseconds.
        server.serve_forever(poll_interval=0.02)


def _stop_at_eof(server: socketserver.BaseServer) -> None:
    """Stop serving when stdin reaches end-of-file: the parent closed it, or died."""
    while sys.stdin.buffer.read(65536):
        pass
    server.shutdown()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("root")
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    ns = parser.parse_args()
    _serve(ns.root, ns.host, ns.port)
