"""`releasekit release auto`: conventional commits read (releasekit/conventional.py) and the bump they call for, in
this process in milliseconds; then the command on a tiny real repository (tmp_path, real git, a bare origin)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import git, run_releasekit
from guarantees import count
from hypothesis import given, settings
from hypothesis import strategies as st
from small_release import state

from releasekit.backends.git import Git
from releasekit.changelog import commit_groups
from releasekit.conventional import Commit, breaking_word, bump_of, decide, parse, without_reverted

# -- reading one message -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "kind", "scope", "description", "bang"),
    [
        ("feat: add --json", "feat", None, "add --json", False),
        ("feat(cli): add --json", "feat", "cli", "add --json", False),
        ("feat(cli)!: drop --xml", "feat", "cli", "drop --xml", True),
        ("refactor!: one client", "refactor", None, "one client", True),
        ("FIX(Parser): keep case", "fix", "Parser", "keep case", False),  # types are read without case
        ("fix(): empty scope", "fix", None, "empty scope", False),
        ("build(deps-dev): bump ruff", "build", "deps-dev", "bump ruff", False),
        ("chore(release): 1.4.0", "chore", "release", "1.4.0", False),
    ],
)
def test_the_header(message: str, kind: str, scope: str | None, description: str, bang: bool) -> None:
    read = parse(message)
    assert (read.type, read.scope, read.description, read.bang) == (kind, scope, description, bang)


@pytest.mark.parametrize(
    "subject",
    [
        "Tidy the README",
        "feat add --json",  # no colon
        "feat:",  # nothing after it
        "(cli): add --json",  # no type
        "feat(cli: add --json",  # the scope is not closed
        "Merge pull request #41 from acme/json",
        "",
    ],
)
def test_a_subject_that_is_not_conventional(subject: str) -> None:
    read = parse(subject)
    assert read.type is None
    assert bump_of(read) == (None, "not conventional")


def test_breaking_footers_in_a_multi_paragraph_body() -> None:
    message = (
        "refactor(api): one client for both endpoints\n\n"
        "The v1 endpoint went away upstream.\nIt had no users left.\n\n"
        "BREAKING CHANGE: Client.v1() is removed;\n  use Client.get().\n"
        "Refs: #12\n"
        "BREAKING-CHANGE: the timeout is in seconds\n"
    )
    read = parse(message)
    assert read.breaking_notes == ("Client.v1() is removed; use Client.get().", "the timeout is in seconds")
    assert read.breaking and not read.bang
    assert bump_of(read) == ("major", "breaking: footer")


@pytest.mark.parametrize(
    "message",
    [
        "feat: x\n\nSee the BREAKING CHANGE: section of the spec.",  # not at a line start: prose
        "feat: x\n\nbreaking change: lower case is not the footer",  # the spec's token is upper case
        "feat: x\n\nBREAKING CHANGES: not the token either",
    ],
)
def test_what_is_not_a_breaking_footer(message: str) -> None:
    assert not parse(message).breaking
    assert bump_of(parse(message)) == ("minor", "feat")


def test_a_breaking_footer_counts_under_any_subject() -> None:
    assert bump_of(parse("Rework the config loader\n\nBREAKING CHANGE: `paths` is a list")) == (
        "major",
        "breaking: footer",
    )
    assert bump_of(parse("docs!: the API page moved")) == ("major", "breaking: !")
    assert bump_of(parse("fix: BREAKING CHANGE the /health body is JSON")) == ("major", "breaking: subject")
    assert parse("BREAKING CHANGE: with nothing after\n\nBREAKING CHANGE:").breaking_notes == ("(no description)",)


@pytest.mark.parametrize(
    ("subject", "bump"),
    [
        ("feat: a", "minor"),
        ("fix: a", "patch"),
        ("perf: a", "patch"),
        *[(f"{kind}: a", None) for kind in ("docs", "chore", "ci", "test", "refactor", "style", "build")],
        ("chore(release)!: 2.0.0", None),  # the release commit is not a change, even with a `!`
    ],
)
def test_what_each_type_bumps(subject: str, bump: str | None) -> None:
    assert bump_of(parse(subject))[0] == bump


def test_a_word_that_is_no_type_is_tallied_as_one() -> None:
    decision = decide(_commits("cache: fix a race", "pathlib: tidy", "ci: b", "Tidy"))
    assert decision.seen() == "4 commits, none releasable: 2 other type, 1 ci, 1 not conventional"


def test_crlf_and_blank_lines_around_the_message() -> None:
    read = parse("\n\nfix(io): close the file\r\n\r\nBREAKING CHANGE: it is closed\r\n\n")
    assert (read.type, read.subject, read.breaking_notes) == ("fix", "fix(io): close the file", ("it is closed",))


# -- deciding from the commits since the latest release ------------------------------------------------------------


def _commits(*messages: str, files: dict[int, tuple[str, ...]] | None = None) -> list[Commit]:
    return [Commit(f"{i:02d}" + "a" * 38, message, (files or {}).get(i)) for i, message in enumerate(messages, start=1)]


def test_the_highest_bump_wins_and_the_lines_group_the_commits() -> None:
    decision = decide(_commits("docs: a", "fix: b", "feat(cli): c", "perf: d", "Tidy", "feat!: e"))
    assert decision.bump == "major"
    assert decision.lines() == [
        "major (breaking: !):",
        "  06aaaaa feat!: e",
        "minor (feat):",
        "  03aaaaa feat(cli): c",
        "patch (fix, perf):",
        "  02aaaaa fix: b",
        "  04aaaaa perf: d",
        "not releasable: 1 docs, 1 not conventional",
    ]
    assert decide(_commits("fix: a", "docs: b")).bump == "patch"
    assert decide(_commits("fix: a", "feat: b")).bump == "minor"


def test_nothing_releasable_says_what_was_seen() -> None:
    decision = decide(_commits("docs: a", "ci: b", "ci: c", "Tidy", "chore(release): 1.4.0"))
    assert decision.bump is None
    assert decision.seen() == "5 commits, none releasable: 2 ci, 1 docs, 1 not conventional, 1 release commit"
    assert decide([]).seen() == "no commits"
    assert decide([]).bump is None


def test_a_revert_in_the_same_range_cancels_the_commit_it_reverts() -> None:
    feat = Commit("1" * 40, "feat: colour output")
    by_sha = Commit("2" * 40, f'Revert "feat: colour output"\n\nThis reverts commit {"1" * 40}.')
    assert decide([feat, by_sha]).bump is None
    assert decide([feat, by_sha]).seen() == "2 commits, none releasable: 2 reverted in range"
    # By subject when there is no sha line (a squash merge of a revert, `revert: ...` by hand).
    assert decide([feat, Commit("3" * 40, "revert: feat: colour output")]).bump is None
    assert decide([feat, Commit("3" * 40, 'Revert "feat: colour output"')]).bump is None
    # A revert of a revert restores the commit: read newest first.
    again = Commit("4" * 40, f'Revert "Revert "feat: colour output""\n\nThis reverts commit {"2" * 40}.')
    decision = decide([feat, by_sha, again])
    assert decision.bump == "minor"
    assert [c.why for c in decision.commits] == ["feat", "reverted by 4444444", "reverts 2222222"]
    assert [c.sha[0] for c in without_reverted([feat, by_sha, again])] == ["1"]


def test_a_revert_of_an_earlier_release_is_a_patch() -> None:
    decision = decide(_commits('Revert "feat: colour output"\n\nThis reverts commit 0123456789abcdef.', "docs: a"))
    assert decision.bump == "patch"
    assert decision.lines()[0] == "patch (revert):"


def test_the_path_filter_takes_the_files_each_commit_touched() -> None:
    commits = _commits(
        "feat: dialog can pick folders",
        "fix: fs reads symlinks",
        "docs: both",
        "fix: unknown files",
        files={1: ("plugins/dialog/src/lib.rs",), 2: ("plugins/fs/src/lib.rs",), 3: ("plugins/dialog/README.md", "x")},
    )
    dialog = decide(commits, path="plugins/dialog")
    assert dialog.bump == "minor"
    assert [c.commit.message for c in dialog.commits] == [
        "feat: dialog can pick folders",
        "docs: both",
        "fix: unknown files",
    ]
    assert dialog.outside == 1 and dialog.lines()[-1] == "not under plugins/dialog: 1"
    assert decide(commits, path="plugins/dial").bump == "patch"  # a prefix is a folder, not a start of a name
    assert decide(commits[:3], path="plugins/none").seen() == "no commits under plugins/none"
    assert decide(commits, path=".").bump == "minor"


_TYPES = ("feat", "fix", "perf", "docs", "chore", "ci", "test", "refactor", "style", "build", "Feat", "FIX")
_MESSAGES = st.one_of(
    st.builds(
        lambda kind, scope, bang, body, footer: f"{kind}{scope}{'!' if bang else ''}: change{body}{footer}",
        st.sampled_from(_TYPES),
        st.sampled_from(("", "(cli)", "(api-v2)", "()")),
        st.booleans(),
        st.sampled_from(("", "\n\nA body.\n\nTwo paragraphs.", "\n\nRefs: #12")),
        st.sampled_from(("", "\n\nBREAKING CHANGE: gone", "\n\nBREAKING-CHANGE: gone\nReviewed-by: A")),
    ),
    st.text(st.characters(codec="utf-8", exclude_characters='"'), max_size=60),  # anything, never `Revert "...`
)


def test_the_decision_is_the_highest_bump_of_its_commits() -> None:
    seen: list[int] = []

    @settings(database=None, deadline=None, max_examples=150)
    @given(st.lists(_MESSAGES, max_size=12))
    def check(messages: list[str]) -> None:
        seen.append(1)
        commits = [Commit(f"{i:040x}", m) for i, m in enumerate(messages)]
        decision = decide(commits)
        bumps = {bump_of(parse(m))[0] for m in messages} - {None}
        assert decision.bump == next((b for b in ("major", "minor", "patch") if b in bumps), None)
        shown = "\n".join(decision.lines())
        assert all(c.commit.short in shown for c in decision.commits if c.bump is not None)
        assert ("none releasable" in decision.seen()) == (decision.bump is None and bool(messages))

    check()
    assert len(seen) >= 150  # hypothesis may run an example again; never fewer than asked
    count("inputs generated", len(seen))


@pytest.mark.parametrize(
    ("bump", "major", "before_1", "calver", "word"),
    [
        ("major", 0, "minor", False, "minor"),
        ("major", 0, "major", False, "major"),
        ("major", 1, "minor", False, "major"),
        ("minor", 0, "minor", False, "minor"),
        ("patch", 0, "major", False, "patch"),
        ("major", 26, "major", True, "minor"),  # calver has no major
        ("patch", 26, "minor", True, "patch"),
    ],
)
def test_a_breaking_change_before_1_0_0(bump: str, major: int, before_1: str, calver: bool, word: str) -> None:
    # The table's strings are the literals breaking_word takes.
    assert breaking_word(bump, major, before_1=before_1, calver=calver) == word  # type: ignore[arg-type]


def test_the_changelog_reads_the_same_breaking_changes() -> None:
    groups = dict(
        commit_groups(
            [
                "refactor(api): one client\n\nBREAKING CHANGE: Client.v1() is removed",
                "Rework the loader\n\nBREAKING-CHANGE: `paths` is a list",
                "feat: x\n\nSee the BREAKING CHANGE: section.",
            ]
        )
    )
    assert groups == {
        "Breaking changes": ["**api:** one client: Client.v1() is removed", "Rework the loader: `paths` is a list"],
        "Added": ["x"],
    }


# -- the command on a tiny repository ------------------------------------------------------------------------------

CONFIG = """project:
  name: demo
  repository: acme/demo
versioning:
  files:
    - path: pyproject.toml
      toml: project.version
  changelog: CHANGELOG.md
"""


def _repo(tmp_path: Path, version: str, messages: list[str], *, config: str = CONFIG, **more: str) -> Path:
    """A project at `version` (and the files `more` names, `_` for `.`), tagged, then one commit per message; pushed
    to a bare origin."""
    repo = tmp_path / "demo"
    repo.mkdir(parents=True)
    (repo / "pyproject.toml").write_text(f'[project]\nname = "demo"\nversion = "{version}"\n')
    (repo / "releasekit.yaml").write_text(config)
    (repo / "releasekit.lock").write_text('{"lock-version": 1, "actions": {}}\n')
    for name, text in more.items():
        (repo / name.replace("_", ".")).write_text(text)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"Demo {version}")
    git(repo, "tag", "-a", f"v{version}", "-m", f"Release {version}")
    for i, message in enumerate(messages):
        (repo / "app.py").write_text(f"step = {i}\n")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", message)
    git(tmp_path, "init", "-q", "--bare", "origin.git")
    git(repo, "remote", "add", "origin", str(tmp_path / "origin.git"))
    git(repo, "push", "-q", "origin", "main", "--tags")
    return repo


def test_git_reads_whole_messages_since_the_tag(tmp_path: Path) -> None:
    body = "feat: x\n\nfirst paragraph\nsecond line\n\nBREAKING CHANGE: y\nRefs: #1"
    repo = _repo(tmp_path, "1.0.0", ["docs: a", body, "fix: b\n\n"])
    found = Git(repo).commits("v1.0.0")
    assert [message for _, message in found] == ["docs: a", body, "fix: b"]
    assert all(len(sha) == 40 for sha, _ in found)
    assert Git(repo).commits("v1.0.0", "nothing-here") == []


def test_release_auto_dry_run_shows_the_decision_and_its_commits(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "1.3.2", ["docs: say how to install", "fix: keep the exit code", "feat(cli): add --json"])
    before = state(repo)
    proc = run_releasekit("release", "auto", "--dry-run", "--skip-ci-check", cwd=repo)
    out = proc.stdout
    assert (
        "releasekit release 1.4.0 (acme/demo; latest release v1.3.2)\n  auto: minor, from 3 commits since v1.3.2\n"
        in out
    )
    sha = {m: git(repo, "log", "-1", "--format=%h", f"--grep=^{m}") for m in ("fix", "feat")}
    assert (
        "   auto: minor, from 3 commits since v1.3.2\n"
        "     minor (feat):\n"
        f"       {sha['feat'][:7]} feat(cli): add --json\n"
        "     patch (fix):\n"
        f"       {sha['fix'][:7]} fix: keep the exit code\n"
        "     not releasable: 1 docs\n"
    ) in out
    # The section written from the same commits, grouped by type, with the compare link.
    assert "+### Added\n+\n+- **cli:** add --json\n+\n+### Fixed\n+\n+- keep the exit code\n" in out
    assert "+[1.4.0]: https://github.com/acme/demo/compare/v1.3.2...v1.4.0" in out
    assert state(repo) == before
    # This repository has no GitHub to ask: the token check fails, the plan is still shown.
    assert proc.returncode == 1 and "FAIL github" in out, out + proc.stderr


def test_release_auto_with_nothing_releasable_changes_nothing(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "1.3.2", ["docs: a", "ci: b", "Tidy the README", "chore(release): 1.3.2"])
    before = state(repo)
    proc = run_releasekit("release", "auto", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (
        "releasekit release auto: nothing to release since v1.3.2: 4 commits, none releasable: 1 ci, 1 docs, "
        "1 not conventional, 1 release commit (a feat, fix or perf commit, or a breaking change, makes a release); "
        "nothing was changed\n"
    )
    assert state(repo) == before  # HEAD, refs, index, every file; no journal


def test_a_breaking_change_before_1_0_0_bumps_minor_unless_configured(tmp_path: Path) -> None:
    messages = ["fix: a", "refactor(api): one client\n\nBREAKING CHANGE: Client.v1() is removed"]
    major = CONFIG + "release:\n  breaking-before-1: major\n"
    repo = _repo(tmp_path, "0.3.2", messages, major_yaml=major)
    out = run_releasekit("release", "auto", "--dry-run", "--skip-ci-check", cwd=repo).stdout
    assert "  auto: minor (a breaking change before 1.0.0: release.breaking-before-1 is minor), from 2 commits" in out
    assert "pyproject.toml: toml project.version 0.3.2 -> 0.4.0" in out
    assert "     major (breaking: footer):\n" in out
    out = run_releasekit("--config", "major.yaml", "release", "auto", "--dry-run", "--skip-ci-check", cwd=repo).stdout
    assert "  auto: major, from 2 commits since v0.3.2\n" in out
    assert "pyproject.toml: toml project.version 0.3.2 -> 1.0.0" in out


def test_release_auto_needs_a_release_tag(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "0.3.2", ["feat: a"])
    git(repo, "tag", "-d", "v0.3.2")
    git(repo, "push", "-q", "origin", ":refs/tags/v0.3.2")
    proc = run_releasekit("release", "auto", "--dry-run", cwd=repo)
    assert proc.returncode == 2
    assert "`release auto` bumps from the latest release tag, and no tag is spelled v{version} yet" in proc.stderr
