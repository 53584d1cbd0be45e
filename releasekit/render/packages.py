"""The release workflow of a monorepo, as data: the tag families that start it, the packages it publishes, and the
permissions, environment and upload secrets its one publishing job needs. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from releasekit.config import model

# Characters a tag may hold that GitHub's filter patterns read as operators (git refuses `*`, `?`, `[` and `\` in
# tags): `+` repeats, `]` closes a class, a leading `!` negates; `\` makes each literal.
_FILTER_OPERATORS = "+]!"


def _literal(text: str) -> str:
    return "".join("\\" + c if c in _FILTER_OPERATORS else c for c in text)


def tag_glob(tag_format: str) -> str:
    """The `push.tags` filter pattern matching the tags `tag_format` makes: `v*`, `dialog-v*`, `[0-9]*` for bare
    versions (so a tag such as `nightly` does not match); what follows `{version}` is kept (`v*-lts`)."""
    prefix, suffix = tag_format.split("{version}", maxsplit=1)
    return (_literal(prefix) or "[0-9]") + "*" + _literal(suffix)


@dataclass(frozen=True)
class PackagesRelease:
    """What the release template of a config with `packages:` writes."""

    publishing: tuple[str, ...]  # the packages that publish files: a distribution or assets
    silent: tuple[str, ...]  # the packages that publish no file (no publish.python, no publish.assets): notes only
    tags: tuple[str, ...]  # every package's tag family as a push filter, deduplicated, in the packages' order
    trusted: bool  # some package uploads to PyPI or TestPyPI by trusted publishing: the job needs `id-token: write`
    environments: tuple[str, ...]  # the deployment environments asked for (the workflow's, the Python packages')
    token_secrets: tuple[str, ...]  # the upload token secrets of the packages that upload to a URL index


def packages_release(config: model.Config, workflow_environment: str | None) -> PackagesRelease:
    """The release of `config`'s packages: every package's tags start the workflow, since each gets its GitHub
    release (`releasekit publish` gives a package with no publish.python and no publish.assets one with its notes
    only); the permissions and secrets are those the packages that publish files need."""
    publishing, silent, tags = [], [], []
    trusted = False
    environments = {workflow_environment} if workflow_environment else set()
    secrets = set()
    for name in config.package_names():
        package = config.packages[name]
        publish = package.publish
        glob = tag_glob(package.tag_format_for(name))
        if glob not in tags:
            tags.append(glob)
        if publish.python is None and not publish.assets:
            silent.append(name)
            continue
        publishing.append(name)
        if publish.python is not None:
            environments.add(publish.python.environment)
            if publish.python.trusted_publishing:
                trusted = True
            else:
                secrets.add(publish.python.token_secret or "TWINE_PASSWORD")
    return PackagesRelease(
        publishing=tuple(publishing),
        silent=tuple(silent),
        tags=tuple(tags),
        trusted=trusted,
        environments=tuple(sorted(environments)),
        token_secrets=tuple(sorted(secrets)),
    )
