"""The build cache's key, in this process: the same tree gives the same key, any difference another; entries are
used only when whole. Archives are made here with tarfile, and once by git itself."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest
from conftest import git

from releasekit.backends import buildcache

# name -> content (bytes), or ("link", target), or ("dir",); with a mode
Member = tuple[str, bytes | tuple[str, ...], int]


def archive(members: list[Member], *, mtime: int = 1_700_000_000, owner: str = "root") -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, content, mode in members:
            info = tarfile.TarInfo(name)
            info.mode, info.mtime, info.uname, info.gname = mode, mtime, owner, owner
            if isinstance(content, bytes):
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
            elif content[0] == "link":
                info.type, info.linkname = tarfile.SYMTYPE, content[1]
                tar.addfile(info)
            else:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
    return out.getvalue()


TREE: list[Member] = [
    ("pkg/", ("dir",), 0o775),
    ("pkg/pyproject.toml", b'[project]\nname = "p"\nversion = "1.3.2"\n', 0o664),
    ("pkg/run.sh", b"#!/bin/sh\n", 0o775),
    ("README.md", b"# p\n", 0o664),
]
EDITS = {"pkg/pyproject.toml": '[project]\nname = "p"\nversion = "1.4.0"\n'}


def digest(
    members: list[Member] = TREE, edits: dict[str, str] = EDITS, *, mtime: int = 1_700_000_000, owner: str = "root"
) -> str:
    return buildcache.tree_digest(archive(members, mtime=mtime, owner=owner), edits)


def replaced(name: str, member: Member) -> list[Member]:
    return [member if m[0] == name else m for m in TREE]


def test_the_same_tree_gives_the_same_key() -> None:
    assert digest() == digest()
    # Not in the key: file times (git's export stamps the commit's date), owners, the order of the members.
    assert digest() == digest(mtime=1_800_000_000, owner="someone") == digest(list(reversed(TREE)))


def test_any_difference_gives_another_key() -> None:
    variants = {
        "as given": digest(),
        "one byte of a file": digest(replaced("README.md", ("README.md", b"# P\n", 0o664))),
        "a file renamed": digest([*TREE[:3], ("README.rst", b"# p\n", 0o664)]),
        "a file more": digest([*TREE, ("LICENSE", b"", 0o664)]),
        "a directory more": digest([*TREE, ("docs/", ("dir",), 0o775)]),
        "the executable bit": digest(replaced("pkg/run.sh", ("pkg/run.sh", b"#!/bin/sh\n", 0o664))),
        "a link instead of the file": digest(replaced("README.md", ("README.md", ("link", "# p\n"), 0o777))),
        "another link target": digest([*TREE, ("l", ("link", "a"), 0o777)]),
        "the same, with its link elsewhere": digest([*TREE, ("l", ("link", "b"), 0o777)]),
        "another edit": digest(edits={"pkg/pyproject.toml": EDITS["pkg/pyproject.toml"].replace("1.4.0", "1.5.0")}),
        "an edit of another file": digest(edits={"README.md": EDITS["pkg/pyproject.toml"]}),
        "no edit": digest(edits={}),
        "an edit more": digest(edits={**EDITS, "CHANGELOG.md": "## [1.4.0]\n"}),
    }
    assert len(set(variants.values())) == len(variants), variants


def test_fields_never_run_together() -> None:
    assert digest([("ab", b"c", 0o664)], {}) != digest([("a", b"bc", 0o664)], {})
    assert digest([], {"ab": "c"}) != digest([], {"a": "bc"})
    # A member's content and an edit's are told apart, whatever their bytes.
    assert digest([("a", b"", 0o664)], {"b": ""}) != digest([("a", b"", 0o664), ("b", b"", 0o664)], {})


def test_an_edit_through_a_link_is_not_an_edit_of_a_file() -> None:
    # Writing the edit through the link changes its target: the two trees built differ, so must their keys.
    through_link = digest([("t", b"x", 0o664), ("v", ("link", "t"), 0o777)], {"v": "y"})
    plain_file = digest([("t", b"x", 0o664), ("v", b"x", 0o664)], {"v": "y"})
    assert through_link != plain_file


def test_git_exports_of_the_same_tree_share_a_key(tmp_path: Path) -> None:
    import subprocess

    def export() -> bytes:
        return subprocess.run(["git", "-C", str(tmp_path), "archive", "HEAD"], capture_output=True, check=True).stdout

    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "a.txt").write_text("a\n")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "one", "--date=2020-01-01T00:00:00")
    first = export()
    git(tmp_path, "commit", "-q", "--allow-empty", "-m", "two", "--date=2021-01-01T00:00:00")
    second = export()
    assert first != second  # the archives differ (the commit id and date are in them) ...
    assert buildcache.tree_digest(first, EDITS) == buildcache.tree_digest(second, EDITS)  # ... the trees do not
    (tmp_path / "a.txt").write_text("b\n")
    git(tmp_path, "commit", "-q", "-am", "three")
    assert buildcache.tree_digest(export(), EDITS) != buildcache.tree_digest(first, EDITS)


def test_the_key_covers_the_directory_the_options_and_the_tools() -> None:
    def key(tree: str = digest(), package: str = "pkg", isolation: bool = True, tools: str = "3.11\nbuild==1.2") -> str:
        return buildcache.build_key(tree, package=package, isolation=isolation, tools=tools)

    assert key() == key()
    others = [key(digest(edits={})), key(package="."), key(isolation=False), key(tools="3.11\nbuild==1.3")]
    assert len({key(), *others}) == 5


def test_the_tools_in_the_key() -> None:
    isolated = buildcache.toolchain(isolation=True, requires=["hatchling"])
    assert "build==" in isolated and "twine==" in isolated and "hatchling" not in isolated
    local = buildcache.toolchain(isolation=False, requires=["hatchling", "surely-not-installed-here"])
    assert "\nhatchling==" in local and "surely-not-installed-here: not installed" in local


def test_build_requires() -> None:
    pyproject = b'[build-system]\nrequires = ["hatchling>=1.27", "setuptools-scm[toml] ; python_version>\'3\'"]\n'
    assert buildcache.build_requires(pyproject) == ["hatchling", "setuptools-scm"]
    assert buildcache.build_requires(b"not toml [") == []
    assert buildcache.build_requires(None) == []


# -- entries -------------------------------------------------------------------------------------------------------


@pytest.fixture
def built(tmp_path: Path) -> list[Path]:
    dist = tmp_path / "dist"
    dist.mkdir()
    files = [dist / "p-1.4.0-py3-none-any.whl", dist / "p-1.4.0.tar.gz"]
    for path in files:
        path.write_bytes(path.name.encode())
    return files


def test_an_entry_is_used_only_whole(built: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELEASEKIT_CACHE_DIR", str(tmp_path / "cache"))
    assert buildcache.lookup("k1", isolation=False) is None
    buildcache.store("k1", built, now=1000.0)
    hit = buildcache.lookup("k1", isolation=False, now=1000.0)
    assert hit is not None and hit.built_at == 1000.0
    assert [p.read_bytes() for p in hit.files] == [p.read_bytes() for p in built]
    assert buildcache.lookup("k2", isolation=False) is None
    hit.files[0].write_bytes(b"changed")  # a damaged or edited entry is built again, never trusted
    assert buildcache.lookup("k1", isolation=False) is None


def test_an_isolated_build_is_reused_for_a_day(
    built: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELEASEKIT_CACHE_DIR", str(tmp_path / "cache"))
    buildcache.store("k", built, now=0.0)
    day = buildcache.ISOLATED_MAX_AGE
    assert buildcache.lookup("k", isolation=True, now=day) is not None
    assert buildcache.lookup("k", isolation=True, now=day + 1) is None
    assert buildcache.lookup("k", isolation=False, now=day * 30) is not None  # the backend here is in the key


def test_no_cache(built: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELEASEKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("RELEASEKIT_NO_CACHE", "1")
    buildcache.store("k", built)
    assert not (tmp_path / "cache").exists()
    assert buildcache.lookup("k", isolation=False) is None


def test_the_newest_entries_are_kept(built: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    monkeypatch.setenv("RELEASEKIT_CACHE_DIR", str(tmp_path / "cache"))
    for i in range(buildcache.KEEP + 2):
        buildcache.store(f"k{i}", built)
        os.utime(tmp_path / "cache/builds" / f"k{i}", (i, i))  # stored one after the other
    kept = sorted(p.name for p in (tmp_path / "cache/builds").iterdir())
    assert len(kept) == buildcache.KEEP and "k0" not in kept and f"k{buildcache.KEEP + 1}" in kept


def test_when_it_was_built() -> None:
    entry = buildcache.Cached([], built_at=1000.0)
    assert [entry.when(1000.0 + s) for s in (0, 1.5, 40, 600, 3 * 3600)] == [
        "just now",
        "just now",
        "40 s ago",
        "10 min ago",
        "3 h ago",
    ]
