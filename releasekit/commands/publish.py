"""Publish a tagged version: build and check the Python distributions, upload them to the configured index, and
publish the GitHub release (a draft first, then the assets and SHA256SUMS, then the notes). When the release is
already published, attach the files it lacks (the installers a later workflow builds) and update its SHA256SUMS.
In a monorepo, a package that publishes no file (no publish.python, no publish.assets) gets its release with its
notes only. Safe to run again."""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from releasekit.errors import ReleasekitError, UsageError
from releasekit.output import Report, say

if TYPE_CHECKING:
    import semver

    from releasekit.backends.git import Git
    from releasekit.backends.github import GitHub
    from releasekit.backends.index import IndexTarget
    from releasekit.config.model import Config
    from releasekit.steps.publish import Outcome


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("tag", help="the release tag, e.g. v1.4.0 (it must exist on GitHub)")
    parser.add_argument(
        "--dist",
        metavar="DIR",
        help="publish the files already built under DIR (as the release workflow does) instead of building",
    )
    parser.add_argument(
        "--replace",
        action="store_true",
        help="replace a release asset whose content differs from the local file (default: refuse)",
    )
    parser.add_argument(
        "--no-build-isolation",
        action="store_true",
        help="build in this environment (its build backend installed) instead of an isolated one",
    )
    index = parser.add_mutually_exclusive_group()
    index.add_argument(
        "--skip-index",
        action="store_true",
        help="do not upload to the package index (the release workflow's python-index job does)",
    )
    index.add_argument(
        "--index-only",
        action="store_true",
        help="only check and upload the Python distributions to the package index, without GitHub (the release "
        "workflow's python-index job; for PyPI and TestPyPI with no token set, by trusted publishing)",
    )


def run(args: argparse.Namespace) -> int:
    from releasekit.backends.git import Git
    from releasekit.backends.github import GitHub
    from releasekit.config.loader import load
    from releasekit.version import version_from_tag

    located = load(Path(args.directory) / args.config)
    config, root = located.config, located.root
    notes_only = False
    if config.packages:  # a monorepo: the tag names the package, whose view is published
        config = _package_view(config, args.tag)
        # A package that publishes nothing (no publish.python, no publish.assets) still gets its GitHub release.
        notes_only = config.publish.python is None and not config.publish.assets
    version = version_from_tag(args.tag, config.project.tag_format, config.versioning.scheme)
    if version is None:
        msg = (
            f"{args.tag!r} is not a release tag: project.tag-format is {config.project.tag_format!r}, "
            f"so tags look like {config.project.tag_format.replace('{version}', '1.4.0')}"
        )
        raise UsageError(msg)
    report = say
    if args.index_only:
        return _index_only(args, config, root, version)
    gh = GitHub.from_env(config.project.repository)
    _check_tag(Git(root), gh, args.tag)
    report("publish", f"{config.project.repository} {args.tag}")

    with tempfile.TemporaryDirectory(prefix="releasekit-publish-") as scratch:
        files = _gather(args, config, root, version, report=report, scratch=Path(scratch))
        from releasekit.steps.publish import local_assets, publish_release

        assets = local_assets(files)
        if notes_only and not assets:
            report("assets", "none: the package declares no publish.python or publish.assets, its notes only")
        elif not assets:
            msg = (
                "nothing to publish: no Python package is configured (publish.python) and no file matches "
                "publish.assets; build the assets first, or pass --dist DIR"
            )
            raise ReleasekitError(msg)
        _upload_to_index(args, config, files, report)
        notes = _notes(config, root, str(version), report)
        outcome = publish_release(
            gh,
            args.tag,
            assets,
            notes=notes,
            prerelease=bool(version.prerelease),
            replace=args.replace,
            report=report,
            scratch=Path(scratch),
        )
    uploaded = sum(a.action != "skip" for a in outcome.actions)
    skipped = sum(a.action == "skip" for a in outcome.actions)
    if outcome.already_published:
        print(_attached_summary(args.tag, outcome))
    elif not outcome.actions:
        print(f"Published {args.tag}: its notes, nothing to attach. {outcome.release.html_url}")
    else:
        print(f"Published {args.tag}: {uploaded} uploaded, {skipped} already there. {outcome.release.html_url}")
    return 0


def _package_view(config: Config, tag: str) -> Config:
    """The view (`Config.for_package`) of the one package whose tag format spells `tag`; a usage error listing the
    packages' tag formats when none does, or when several do."""
    from releasekit.version import version_from_tag

    names = []
    for name in config.package_names():
        view = config.for_package(name)
        if version_from_tag(tag, view.project.tag_format, view.versioning.scheme) is not None:
            names.append(name)
    if len(names) == 1:
        say("package", f"{names[0]} (its tags are {config.packages[names[0]].tag_format_for(names[0])})")
        return config.for_package(names[0])
    formats = [f"{name}: {config.packages[name].tag_format_for(name)}" for name in config.package_names()]
    shown = "; ".join(formats[:12]) + (f"; and {len(formats) - 12} more" if len(formats) > 12 else "")
    if names:
        msg = f"{tag!r} is spelled by the tag formats of several packages ({', '.join(names)}); give each its own"
    else:
        msg = f"{tag!r} is no package's release tag; the packages' tag formats are {shown}"
    raise UsageError(msg)


def _index_only(args: argparse.Namespace, config: Config, root: Path, version: semver.Version) -> int:
    """`--index-only`: the files under --dist (or built from this checkout), checked and uploaded to the index;
    GitHub is not contacted (the workflow's GitHub release job publishes the release)."""
    if config.publish.python is None:
        raise UsageError("--index-only: there is no Python package to upload (publish.python is not set)")
    say("publish", f"{config.project.name} {args.tag} to the package index only")
    plan = _index_plan(args, config, say)  # a missing credential is said before anything is built
    if plan is None:
        return 0
    with tempfile.TemporaryDirectory(prefix="releasekit-publish-") as scratch:
        files = _gather(args, config, root, version, report=say, scratch=Path(scratch), assets=False)
        dists = _python_dists(files)
        if not dists:
            where = f"under {args.dist}" if args.dist else "built"
            raise ReleasekitError(f"--index-only: no wheel or sdist {where}; nothing to upload")
        uploaded = _upload_to_index(args, config, dists, say, plan)
    print(f"Uploaded {args.tag}: {uploaded} file(s) sent, {len(dists) - uploaded} already on the index.")
    return 0


def _attached_summary(tag: str, outcome: Outcome) -> str:
    attached = sum(a.action == "upload" for a in outcome.actions)
    replaced = sum(a.action == "replace" for a in outcome.actions)
    done = []
    if attached:
        done.append(f"attached {attached} asset{'' if attached == 1 else 's'}")
    if replaced:
        done.append(f"replaced {replaced}")
    if outcome.sums_written:
        done.append("SHA256SUMS updated")
    if not done:
        return f"{tag} was already published; nothing changed."
    return f"{tag} was already published; {', '.join(done)}. {outcome.release.html_url}"


def _check_tag(git: Git, gh: GitHub, tag: str) -> None:
    """The tag must exist on GitHub (publishing a draft whose tag is missing would create the tag on the default
    branch), and, when it exists here too, be the same tag."""
    remote = gh.tag_object(tag)
    if remote is None:
        msg = (
            f"tag {tag} is not on GitHub ({gh.repository}); push it first (`git push origin {tag}`), "
            "or cut the release with `releasekit release`"
        )
        raise ReleasekitError(msg)
    if git.toplevel() is not None:
        local = git.run("rev-parse", "--verify", "--quiet", f"refs/tags/{tag}", check=False).stdout.strip()
        if local and local != remote:
            msg = (
                f"tag {tag} here ({local[:12]}) is not the tag on GitHub ({remote[:12]}); "
                f"fetch it (`git fetch --force origin tag {tag}`) and build from it"
            )
            raise ReleasekitError(msg)


def _gather(
    args: argparse.Namespace,
    config: Config,
    root: Path,
    version: semver.Version,
    *,
    report: Report,
    scratch: Path,
    assets: bool = True,
) -> list[Path]:
    """The files to publish: those under --dist, or the built distributions plus publish.assets (unless not
    `assets`: the index takes only the distributions)."""
    if args.dist:
        dist = (Path(args.directory) / args.dist).resolve()
        if not dist.is_dir():
            raise UsageError(f"--dist {args.dist}: no such directory")
        given = sorted(p for p in dist.rglob("*") if p.is_file())
        _check_python_files(config, given, report)
        report("files", f"{len(given)} under {args.dist}")
        return given
    files: list[Path] = []
    if config.publish.python is not None:
        from releasekit.backends.index import (
            build,
            declared_version,
            pretend_version_env,
            twine_check,
            version_mismatches,
        )
        from releasekit.version import format_version

        where = config.publish.python.path
        package = root / where
        declared = declared_version(package)
        if declared is not None:  # a static version is compared before building; a dynamic one in the result
            _same_version(where, declared, version)
        wanted = format_version(version, "pep440")
        # The tag is the version: the backend is told it, so a shallow checkout without tags builds it too.
        env = pretend_version_env(wanted) if config.versioning.source == "tag" else None
        built = build(package, scratch / "python-dist", isolation=not args.no_build_isolation, env=env)
        wrong = version_mismatches(built, wanted)
        if wrong:
            msg = (
                f"built {'; '.join(wrong)}, but the tag is for {wanted}: the build backend's version source is "
                "not what releasekit.yaml's versioning says (`releasekit release` runs this check before tagging)"
            )
            raise ReleasekitError(msg)
        twine_check(built)
        report("build", f"{', '.join(p.name for p in built)} (twine check passed)")
        files += built
    for pattern in config.publish.assets if assets else ():
        matched = sorted(p for p in root.glob(pattern) if p.is_file())
        if not matched:
            report("assets", f"{pattern}: no file matches, skipped")
        files += matched
    return files


def _python_dists(files: Sequence[Path]) -> list[Path]:
    return [p for p in files if p.name.endswith((".whl", ".tar.gz"))]


def _check_python_files(config: Config, files: Sequence[Path], report: Report) -> None:
    dists = _python_dists(files)
    if config.publish.python is None or not dists:
        return
    from releasekit.backends.index import twine_check

    twine_check(dists)
    report("check", f"{len(dists)} Python distributions pass twine check")


def _same_version(where: str, declared: str, version: semver.Version) -> None:
    from releasekit.version import format_version

    expected = format_version(version, "pep440")
    if declared != expected:
        msg = (
            f"{where}/pyproject.toml says version {declared}, but the tag is for {version} ({expected} in PEP 440); "
            "publish the tag of the version the files carry (`releasekit release` bumps them before tagging)"
        )
        raise ReleasekitError(msg)


def _upload_to_index(
    args: argparse.Namespace,
    config: Config,
    files: Sequence[Path],
    report: Report,
    plan: tuple[IndexTarget, str | None] | None = None,
) -> int:
    """Upload the distributions among `files`; the number sent (those the index had already are not)."""
    dists = _python_dists(files)
    if config.publish.python is None or not dists:
        return 0
    plan = plan or _index_plan(args, config, report)
    if plan is None:
        return 0
    from releasekit.backends.index import upload

    target, password = plan
    username = os.environ.get("TWINE_USERNAME", "__token__")
    results = upload(dists, target, username=username, password=password)
    for result in results:
        text = "uploaded" if result.outcome == "uploaded" else "already there (same SHA-256)"
        report("index", f"{result.path.name}: {text}")
    return sum(r.outcome == "uploaded" for r in results)


def _index_plan(args: argparse.Namespace, config: Config, report: Report) -> tuple[IndexTarget, str | None] | None:
    """Where the distributions go and the token to send (None: trusted publishing); None when the upload is
    skipped (said why). Raises, before anything is built or sent, when there is no way to authenticate."""
    python = config.publish.python
    if python is None:
        return None
    override = os.environ.get("RELEASEKIT_INDEX_URL") or None
    if args.skip_index:
        report("index", "skipped: --skip-index (the release workflow's python-index job uploads)")
        return None
    secret = python.token_secret or "TWINE_PASSWORD"
    password = os.environ.get(secret) or os.environ.get("TWINE_PASSWORD") or None
    # Trusted publishing: GitHub Actions gives a job with `id-token: write` these two variables to ask for an OIDC
    # token, which twine (6.1 or later, given no password) trades at PyPI for a short-lived upload token.
    trusted = (
        override is None
        and python.trusted_publishing
        and password is None
        and bool(os.environ.get("ACTIONS_ID_TOKEN_REQUEST_URL"))
        and bool(os.environ.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN"))
    )
    if override is None and python.trusted_publishing and not trusted and not args.index_only:
        report("index", f"skipped: {python.index} takes uploads by trusted publishing from the release workflow")
        return None
    from releasekit.backends.index import index_target

    target = index_target(python.index, override)
    if password is None and not trusted:
        if python.trusted_publishing and override is None:
            msg = (
                f"no way to upload to {target.name}: trusted publishing works in a GitHub Actions job with "
                "`id-token: write` (the release workflow's python-index job); elsewhere set TWINE_PASSWORD to a token"
            )
        else:
            also = "" if secret == "TWINE_PASSWORD" else " (or TWINE_PASSWORD)"
            msg = f"no upload token for {target.upload_url}: set {secret}{also} in the environment"
        raise ReleasekitError(msg)
    if trusted:
        report("index", f"{target.name}: trusted publishing (this job's OIDC identity, no stored token)")
    return target, password


def _notes(config: Config, root: Path, version: str, report: Report) -> str:
    from releasekit.changelog import section

    name = config.versioning.changelog
    if name and (root / name).is_file():
        body = section((root / name).read_text(encoding="utf-8"), version, path=name)
        if body:
            report("notes", f"from {name}, section [{version}]")
            return body
        report("notes", f"{name} has no section [{version}]: the release says only what version it is")
    return f"Release {version}."
