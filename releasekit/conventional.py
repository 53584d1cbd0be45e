"""Conventional commits (https://www.conventionalcommits.org/en/v1.0.0/): read a commit message, and decide from the
commits since a release what the next release bumps. Pure: the commits come in as values (`Commit`), git reads them
(`releasekit.backends.git.Git.commits`).

The rules, as semantic-release, release-please and commitizen apply them:

- `feat` bumps minor; `fix` and `perf` bump patch; a `!` before the colon (`feat(api)!: ...`) or a
  `BREAKING CHANGE:` / `BREAKING-CHANGE:` footer bumps major (`breaking_word` turns that into minor before 1.0.0).
  A breaking footer counts under any subject, conventional or not: someone wrote it to be read; so does
  `BREAKING CHANGE` in the subject itself.
- Every other type (docs, chore, ci, test, refactor, style, build, ...) and a subject that is not conventional
  releases nothing; the release commit itself (`chore(release): ...`) is not a change.
- A revert whose reverted commit is in the same range cancels it: neither counts (a feature added and taken back
  before the release was never released). A revert of a commit released earlier changes what users have: patch.
  The reverted commit is found by git's `This reverts commit SHA.` line, else by its subject
  (`Revert "feat: x"`, `revert: feat: x`). Reverts are read newest first, so a revert of a revert restores.
- Merge commits are not read (git reads with `--no-merges`): the commits they merge are in the range themselves,
  and a squash merge is an ordinary commit.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "ORDER",
    "Bump",
    "Commit",
    "Counted",
    "Decision",
    "Message",
    "breaking_word",
    "bump_of",
    "decide",
    "highest",
    "parse",
    "without_reverted",
]

Bump = Literal["major", "minor", "patch"]
ORDER: tuple[Bump, ...] = ("major", "minor", "patch")  # the biggest first
RELEASING: dict[str, Bump] = {"feat": "minor", "fix": "patch", "perf": "patch"}
# The other types of the Angular convention (commitlint's config-conventional): tallied by name; any other word
# before a colon (`cache: ...`, `pathlib: ...` in pytest's history: a module, not a type) is an "other type".
KNOWN = ("build", "chore", "ci", "docs", "refactor", "revert", "style", "test")

_HEADER = re.compile(r"^(?P<type>[A-Za-z][A-Za-z0-9_-]*)(?:\((?P<scope>[^()]*)\))?(?P<bang>!)?:[ \t]*(?P<text>\S.*)$")
_BREAKING_FOOTER = re.compile(r"^BREAKING[ -]CHANGE:[ \t]*(?P<text>.*)$")
# A footer token (`Refs: #12`, `Reviewed-by: A`, `Closes #3`) ends the text of a breaking footer before it.
_FOOTER = re.compile(r"^(?:[A-Za-z][A-Za-z0-9-]*|BREAKING CHANGE)(?::[ \t]| #)")
_GIT_REVERT = re.compile(r'^Revert "(?P<subject>.*)"$')
_REVERTS_SHA = re.compile(r"\bThis reverts commit (?P<sha>[0-9a-fA-F]{7,40})\b")
_RELEASE_COMMIT = re.compile(r"^chore\(release\)!?:")


@dataclass(frozen=True)
class Message:
    """A commit message read as a conventional commit. `type` is None when the subject is not one."""

    subject: str  # the first line, stripped
    type: str | None = None  # lower case
    scope: str | None = None
    description: str = ""  # the subject after `type(scope)!: `
    bang: bool = False  # `!` before the colon
    breaking_notes: tuple[str, ...] = ()  # the text of each BREAKING CHANGE footer
    reverts_sha: str | None = None  # git's `This reverts commit SHA.`
    reverts_subject: str | None = None  # `Revert "SUBJECT"` or `revert: SUBJECT`

    @property
    def breaking_subject(self) -> bool:
        """`fix: BREAKING CHANGE the body is JSON`: not the spec's place for it, but no one writes it by accident."""
        return "BREAKING CHANGE" in self.subject or "BREAKING-CHANGE" in self.subject

    @property
    def breaking(self) -> bool:
        return self.bang or bool(self.breaking_notes) or self.breaking_subject

    @property
    def is_revert(self) -> bool:
        return self.reverts_sha is not None or self.reverts_subject is not None or self.type == "revert"


def parse(message: str) -> Message:
    """The conventional-commit reading of a whole commit message (subject, body, footers)."""
    lines = message.replace("\r\n", "\n").strip("\n").split("\n")
    subject = lines[0].strip() if lines else ""
    notes = _breaking_notes(lines[1:])
    sha = _REVERTS_SHA.search(message)
    reverts_sha = sha["sha"].lower() if sha else None
    git_revert = _GIT_REVERT.match(subject)
    header = _HEADER.match(subject)
    if header is None:
        return Message(
            subject=subject,
            breaking_notes=notes,
            reverts_sha=reverts_sha,
            reverts_subject=git_revert["subject"] if git_revert else None,
        )
    kind = header["type"].lower()
    return Message(
        subject=subject,
        type=kind,
        scope=header["scope"] if header["scope"] else None,
        description=header["text"],
        bang=header["bang"] is not None,
        breaking_notes=notes,
        reverts_sha=reverts_sha,
        reverts_subject=header["text"] if kind == "revert" else (git_revert["subject"] if git_revert else None),
    )


def _breaking_notes(body: Sequence[str]) -> tuple[str, ...]:
    """Each BREAKING CHANGE footer's text: the rest of its line and the lines that follow it, up to a blank line or
    the next footer."""
    notes: list[str] = []
    current: list[str] | None = None
    for raw in body:
        line = raw.rstrip()
        found = _BREAKING_FOOTER.match(line)
        if found:
            if current is not None:
                notes.append(" ".join(current).strip())
            current = [found["text"].strip()]
        elif current is not None and line.strip() and not _FOOTER.match(line):
            current.append(line.strip())
        elif current is not None:
            notes.append(" ".join(current).strip())
            current = None
    if current is not None:
        notes.append(" ".join(current).strip())
    return tuple(n or "(no description)" for n in notes)


def bump_of(message: Message) -> tuple[Bump | None, str]:
    """What one commit bumps on its own, and why in a word or two (`feat`, `breaking: !`, `docs`, `not
    conventional`). Reverts are judged in `decide`, which knows the range."""
    if _RELEASE_COMMIT.match(message.subject):
        return None, "release commit"
    if message.bang:
        return "major", "breaking: !"
    if message.breaking_notes:
        return "major", "breaking: footer"
    if message.breaking_subject:
        return "major", "breaking: subject"
    if message.type is None:
        return None, "not conventional"
    if message.type in RELEASING:
        return RELEASING[message.type], message.type
    return None, message.type if message.type in KNOWN else "other type"


@dataclass(frozen=True)
class Commit:
    """A commit as git gives it. `files` (the paths it touched) is None when not read: then it counts for any path."""

    sha: str
    message: str
    files: tuple[str, ...] | None = None

    @property
    def short(self) -> str:
        return self.sha[:7]


@dataclass(frozen=True)
class Counted:
    """A commit and what it does to the next version."""

    commit: Commit
    message: Message
    bump: Bump | None
    why: str  # `feat`, `fix`, `breaking: !`, `docs`, `reverted by 1a2b3c4`, ...


@dataclass(frozen=True)
class Decision:
    """The bump the commits call for (None: nothing to release), with every commit and why it counted or not."""

    bump: Bump | None
    commits: tuple[Counted, ...] = ()
    outside: int = 0  # commits left out because they touch nothing under the path asked for
    path: str | None = None

    def releasing(self, bump: Bump) -> list[Counted]:
        return [c for c in self.commits if c.bump == bump]

    def ignored(self) -> Counter[str]:
        """How many commits released nothing, by why (`docs`: 2, `not conventional`: 1)."""
        return Counter(_plain(c.why) for c in self.commits if c.bump is None)

    def lines(self) -> list[str]:
        """The commits that decided, grouped by what they bump (short sha and subject), then what was seen besides."""
        out: list[str] = []
        for bump in ORDER:
            found = self.releasing(bump)
            if found:
                whys = ", ".join(dict.fromkeys(_plain(c.why) for c in found))
                out.append(f"{bump} ({whys}):")
                out += [f"  {c.commit.short} {c.message.subject}" for c in found]
        ignored = self.ignored()
        if ignored:
            out.append(f"not releasable: {_tally(ignored)}")
        if self.outside:
            out.append(f"not under {self.path}: {self.outside}")
        return out

    def seen(self) -> str:
        """What was seen, for the note that says there is nothing to release."""
        if not self.commits:
            return "no commits" if not self.outside else f"no commits under {self.path}"
        noun = "commit" if len(self.commits) == 1 else "commits"
        releasing = sum(1 for c in self.commits if c.bump is not None)
        if releasing:
            return f"{len(self.commits)} {noun}, {releasing} releasable"
        return f"{len(self.commits)} {noun}, none releasable: {_tally(self.ignored())}"


def _plain(why: str) -> str:
    # A revert and the commit it takes back (`reverts 1a2b3c4`, `reverted by 9f8e7d6`) tally as one kind.
    return "reverted in range" if why.startswith(("reverted by ", "reverts ")) else why


def _tally(counts: Counter[str]) -> str:
    return ", ".join(f"{n} {why}" for why, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _touches(commit: Commit, path: str | None) -> bool:
    if path is None or commit.files is None:
        return True
    prefix = path.strip("/")
    if prefix in ("", "."):
        return True
    return any(f == prefix or f.startswith(prefix + "/") for f in commit.files)


def _pairs(parsed: Sequence[tuple[Commit, Message]]) -> dict[int, int]:
    """Reverts whose reverted commit is in the range: revert index -> reverted index (both cancelled). Read newest
    first, so a revert that is itself reverted cancels nothing and the commit it reverted stands."""
    cancelled: dict[int, int] = {}
    gone: set[int] = set()
    for i in range(len(parsed) - 1, -1, -1):
        message = parsed[i][1]
        if i in gone or not message.is_revert:
            continue
        target = None
        for j in range(i - 1, -1, -1):
            if j in gone:
                continue
            other = parsed[j]
            if message.reverts_sha is not None and other[0].sha.lower().startswith(message.reverts_sha):
                target = j
                break
            if message.reverts_sha is None and message.reverts_subject == other[1].subject:
                target = j
                break
        if target is not None:
            cancelled[i] = target
            gone.update((i, target))
    return cancelled


def decide(commits: Sequence[Commit], *, path: str | None = None) -> Decision:
    """The bump the commits call for, oldest first as given. With `path`, only the commits that touch a file under
    it count (a package of a monorepo); the others are counted aside (`outside`)."""
    inside = [c for c in commits if _touches(c, path)]
    parsed = [(c, parse(c.message)) for c in inside]
    pairs = _pairs(parsed)
    reverted = {target: revert for revert, target in pairs.items()}
    counted: list[Counted] = []
    for i, (commit, message) in enumerate(parsed):
        if i in pairs:
            counted.append(Counted(commit, message, None, f"reverts {parsed[pairs[i]][0].short}"))
        elif i in reverted:
            counted.append(Counted(commit, message, None, f"reverted by {parsed[reverted[i]][0].short}"))
        elif message.is_revert and not message.breaking:
            counted.append(Counted(commit, message, "patch", "revert"))
        else:
            bump, why = bump_of(message)
            counted.append(Counted(commit, message, bump, why))
    bump = highest(c.bump for c in counted)
    return Decision(bump=bump, commits=tuple(counted), outside=len(commits) - len(inside), path=path)


def highest(bumps: Iterable[Bump | None]) -> Bump | None:
    """The biggest of the bumps (None when there is none)."""
    found = set(bumps)
    return next((b for b in ORDER if b in found), None)


def without_reverted(commits: Sequence[Commit]) -> list[Commit]:
    """The commits less the reverts that cancel a commit of the same range and the commits they cancel: what a
    changelog section lists."""
    parsed = [(c, parse(c.message)) for c in commits]
    pairs = _pairs(parsed)
    gone = {*pairs, *pairs.values()}
    return [c for i, c in enumerate(commits) if i not in gone]


def breaking_word(
    bump: Bump, current_major: int, *, before_1: Literal["minor", "major"] = "minor", calver: bool = False
) -> Bump:
    """The bump word a decision becomes for a version whose major is `current_major`: before 1.0.0 a breaking change
    bumps minor unless `before_1` (`release.breaking-before-1`) says major, as 0.x versions promise no stability. A
    calver version has no major: its next release (`minor`, by the date) is the one a breaking change makes."""
    if bump == "major" and (calver or (current_major == 0 and before_1 == "minor")):
        return "minor"
    return bump
