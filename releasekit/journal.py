"""The release journal and lock: what a release set out to do, kept in .git/releasekit/ until it is finished.

The journal records the plan (version, tag, the exact file contents to write, the commit to build on) and what the
remote run turned out to be. It is not trusted as proof that a step happened: `--resume` checks the repository, the
remote and GitHub for each step. The lock is an OS file lock, so a crashed or killed release never leaves it held.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from releasekit.errors import ReleasekitError

FORMAT = 1


class JournalError(ReleasekitError):
    """A release is already under way, or its journal cannot be used."""


@dataclass
class Journal:
    version: str
    tag: str
    branch: str
    base: str  # the commit the release commit is made on
    message: str
    files: dict[str, str]  # path -> the full text the release writes
    started: str
    run_id: int | None = None
    removed: list[str] = field(default_factory=list)  # paths the release commit deletes (news fragments)
    # release.next-dev: the development commit made on the release commit after the tag (none: no such commit).
    # Journals from before it lack these keys and load with the defaults: a release without one.
    next_dev: str | None = None  # the development version
    dev_message: str = ""
    dev_files: dict[str, str] = field(default_factory=dict)  # path -> the full text the development commit writes
    # The commits as made (recorded just after each is made; a kill in between leaves None, and the steps then know
    # them by their parent and message). They let --abort and the undo after a lost race tell this release's commits
    # from another clone's release of the same version, which has the same parent and message.
    commit: str | None = None
    dev_commit: str | None = None
    # The package of a monorepo this release is of (`releasekit release NAME VERSION`), or None: the repository.
    # Journals from before packages lack it and load as the repository's release.
    package: str | None = None
    # Several packages released at once (`releasekit release auto` with `packages:`): every tag with its message, in
    # order (`tag` is the first), and each package's version. Empty: one tag, `tag`, with the commit's message.
    tags: dict[str, str] = field(default_factory=dict)
    packages: dict[str, str] = field(default_factory=dict)
    format: int = FORMAT

    def all_tags(self) -> dict[str, str]:
        """Every tag this release makes, with its message: `tags`, or the one `tag` with the commit's message."""
        return dict(self.tags) if self.tags else {self.tag: self.message}

    def named(self) -> str:
        """The tags, as messages name them: `tag`, or `alpha-v1.1.0, beta-v1.0.1`."""
        return ", ".join(self.all_tags())

    @staticmethod
    def path(git_dir: Path) -> Path:
        return git_dir / "releasekit" / "release.json"

    def save(self, git_dir: Path) -> None:
        target = self.path(git_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_suffix(".tmp")
        temp.write_text(json.dumps(asdict(self), indent=1, sort_keys=True), encoding="utf-8")
        temp.replace(target)  # atomic: a crash leaves the old journal or the new one, never half of one

    @classmethod
    def load(cls, git_dir: Path) -> Journal | None:
        target = cls.path(git_dir)
        try:
            data: dict[str, Any] = json.loads(target.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            msg = f"{target}: unreadable release journal ({exc}); delete it if no release is under way"
            raise JournalError(msg) from None
        if data.get("format") != FORMAT:
            msg = f"{target}: written by another releasekit version; finish that release with it, or delete the file"
            raise JournalError(msg)
        try:
            return cls(**data)
        except TypeError:
            msg = f"{target}: not a release journal releasekit can read; delete it if no release is under way"
            raise JournalError(msg) from None

    @classmethod
    def remove(cls, git_dir: Path) -> None:
        cls.path(git_dir).unlink(missing_ok=True)


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


@contextmanager
def release_lock(git_dir: Path) -> Iterator[None]:
    """Hold .git/releasekit/release.lock for the release; a second release in this repository refuses."""
    path = git_dir / "releasekit" / "release.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+", encoding="utf-8")
    try:
        if not _try_lock(handle):
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            msg = (
                f"another release is running in this repository ({holder}); wait for it to finish, "
                "then run `releasekit release --resume` if it did not"
            )
            raise JournalError(msg)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {now()}\n")
        handle.flush()
        yield
    finally:
        handle.close()  # closing releases the lock; the file itself is harmless and stays


def _try_lock(handle: IO[str]) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]  # Windows-only names
        except OSError:
            return False
        return True
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True
