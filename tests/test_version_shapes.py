"""How real projects tag and write versions, in small hand-made repositories: `init` reads the tag format and the
version scheme from the tags, and `release --dry-run` counts from the right version (issue 12's failure shapes:
tags without `v` or with a prefix, a development version in the files, an untagged repository, CalVer and PEP 440
short forms). The corpus (../shared/corpus) has the real ones; these reproduce their shapes."""

from __future__ import annotations

import datetime
from pathlib import Path

from conftest import git, run_releasekit

from releasekit.config.loader import load

# No token: the `github` check fails before anything asks the network, and the dry run still prints its plan.
NO_TOKEN = {"GITHUB_TOKEN": "", "GH_TOKEN": ""}


def make_repo(tmp_path: Path, version: str, tags: list[str]) -> Path:
    """A Python project whose pyproject.toml says `version`, with `tags` on its first commit (oldest first) and a
    commit after them, pushed to a bare origin."""
    root = tmp_path / "demo"
    root.mkdir()
    (root / "pyproject.toml").write_text(f'[project]\nname = "demo"\nversion = "{version}"\n')
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "start")
    for tag in tags:
        git(root, "tag", tag)
    git(root, "commit", "-q", "--allow-empty", "-m", "fix the frobnicator")
    git(tmp_path, "init", "-q", "--bare", "origin.git")
    git(root, "remote", "add", "origin", str(tmp_path / "origin.git"))
    return root


def init(root: Path) -> str:
    result = run_releasekit("init", "--name", "demo", cwd=root)
    assert result.returncode == 0, result.stderr
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "releasekit init")
    git(root, "push", "-q", "origin", "main", "--tags")
    return (root / "releasekit.yaml").read_text()


def dry_run(root: Path, *args: str) -> str:
    result = run_releasekit("release", *args, "--dry-run", cwd=root, env=NO_TOKEN)
    assert "Traceback" not in result.stderr
    assert "Dry run" in result.stdout or "The release would stop" in result.stdout, result.stdout + result.stderr
    return result.stdout


def test_tags_without_v_and_a_development_version_in_the_files(tmp_path: Path) -> None:
    # click: tags 8.4.2, the files already say 8.5.0.dev.
    root = make_repo(tmp_path, "8.5.0.dev", ["8.4.1", "8.4.2"])
    text = init(root)
    assert 'tag-format: "{version}"  # found 2 version tags spelled like 8.4.2\n' in text
    assert "  scheme: semver  #" in text
    assert 'tags: ["[0-9]*"]' in text
    config = load(root / "releasekit.yaml").config
    assert (config.project.tag_format, config.versioning.scheme) == ("{version}", "semver")

    plan = dry_run(root, "patch")
    assert "Plan: release 8.4.3 of your-org/demo (latest release: 8.4.2)\n" in plan
    assert "   counted from 8.4.2; the files held 8.5.0.dev (a development version after 8.4.2)\n" in plan
    assert "pyproject.toml: toml project.version 8.5.0.dev -> 8.4.3" in plan
    assert "Annotated tag 8.4.3 on that commit" in plan
    assert "Plan: release 8.5.0 " in dry_run(root, "minor")
    # Releasing the version the development marker points at is a release like any other.
    assert "pyproject.toml: toml project.version 8.5.0.dev -> 8.5.0" in dry_run(root, "8.5.0")


def test_a_tag_prefix(tmp_path: Path) -> None:
    root = make_repo(tmp_path, "1.3.0", ["release-1.2.0", "release-1.3.0", "nightly"])
    text = init(root)
    assert 'tag-format: "release-{version}"  # found 2 version tags spelled like release-1.3.0\n' in text
    assert 'tags: ["release-*"]' in text
    plan = dry_run(root, "minor")
    assert "Plan: release 1.4.0 of your-org/demo (latest release: release-1.3.0)\n" in plan
    assert "Annotated tag release-1.4.0 on that commit" in plan


def test_an_untagged_repository_counts_from_its_files(tmp_path: Path) -> None:
    # sampleproject: no tags, 4.0.0 in pyproject.toml.
    root = make_repo(tmp_path, "4.0.0", [])
    text = init(root)
    found = "no version tags yet: the first release is tagged v<version>; the files hold 4.0.0"
    assert f'tag-format: "v{{version}}"  # {found}\n' in text
    plan = dry_run(root, "patch")
    assert "Plan: release 4.0.1 of your-org/demo (latest release: none)\n" in plan
    assert "   no tag is spelled v{version} yet: counted from 4.0.0, the version the files hold\n" in plan
    # 4.0.0 itself was never released: it may be.
    assert "Plan: release 4.0.0 " in dry_run(root, "4.0.0")


def test_tags_of_another_format_are_pointed_out(tmp_path: Path) -> None:
    root = make_repo(tmp_path, "2.0.0", ["2.0.0"])
    init(root)
    config = root / "releasekit.yaml"
    config.write_text(config.read_text().replace('tag-format: "{version}"', "tag-format: v{version}"))
    git(root, "commit", "-q", "-am", "v tags from now on")
    git(root, "push", "-q", "origin", "main")
    plan = dry_run(root, "patch")
    assert (
        "   no tag is spelled v{version} yet: counted from 2.0.0, the version the files hold; but found 1 version "
        "tag spelled like 2.0.0: set project.tag-format: '{version}' to count from those\n"
    ) in plan


def test_calver_short_form(tmp_path: Path) -> None:
    # pip: YY.N releases (26.1, 26.2), 26.3.dev0 in the files; the tag keeps the written form (26.3, not 26.3.0).
    yy = datetime.datetime.now(datetime.timezone.utc).year % 100
    root = make_repo(tmp_path, f"{yy}.3.dev0", [f"{yy}.1", f"{yy}.1.1", f"{yy}.2"])
    text = init(root)
    assert "  scheme: calver  #" in text
    plan = dry_run(root, "minor")
    assert f"Plan: release {yy}.3 of your-org/demo (latest release: {yy}.2)\n" in plan
    assert f"counted from {yy}.2; the files held {yy}.3.dev0 (a development version after {yy}.2)" in plan
    assert f"pyproject.toml: toml project.version {yy}.3.dev0 -> {yy}.3\n" in plan
    assert f"Annotated tag {yy}.3 on that commit" in plan
    assert f"Plan: release {yy}.2.1 " in dry_run(root, "patch")
    assert f"Plan: release {yy}.3 " in dry_run(root, f"{yy}.3")


def test_a_pep440_prerelease_given_as_written(tmp_path: Path) -> None:
    root = make_repo(tmp_path, "1.3.2", ["v1.3.2"])
    init(root)
    plan = dry_run(root, "1.4.0rc1")
    assert "Plan: release 1.4.0rc1 of your-org/demo (latest release: v1.3.2)\n" in plan
    assert "pyproject.toml: toml project.version 1.3.2 -> 1.4.0rc1\n" in plan
    assert "Annotated tag v1.4.0rc1 on that commit" in plan


def test_development_tags_only(tmp_path: Path) -> None:
    # pytest (setuptools_scm): `9.2.0.dev0` tags where development starts; the version comes from the tag.
    root = make_repo(tmp_path, "0", ["9.2.0.dev0"])
    (root / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools", "setuptools_scm"]\nbuild-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "demo"\ndynamic = ["version"]\n\n[tool.setuptools_scm]\n'
    )
    git(root, "commit", "-q", "-am", "the version comes from the tag")
    text = init(root)
    assert 'tag-format: "{version}"  # found 1 version tag spelled like 9.2.0.dev0\n' in text
    plan = dry_run(root, "patch")
    assert "Plan: release 9.2.0 of your-org/demo (latest release: none)\n" in plan
    assert "   no release is tagged yet: counted from the development tag 9.2.0.dev0\n" in plan
