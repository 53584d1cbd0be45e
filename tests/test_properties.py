"""Property tests (hypothesis) of the three parsers a user's text reaches first: the config loader, the version
parser, the workflow renderer. Each test counts the inputs it generated and checks it ran them all; the counts are
the figures the README's Guarantees section quotes (`INPUTS`)."""

from __future__ import annotations

import copy
import datetime
import functools
import itertools
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import semver
import yaml
from guarantees import count
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.version import Version as Pep440Version

from releasekit.config.loader import Located, parse
from releasekit.config.secrets import find_secrets_in_text
from releasekit.errors import ConfigError
from releasekit.lock import parse_lock
from releasekit.pyversion import version_source
from releasekit.render.engine import render
from releasekit.sandbox.app import new_token
from releasekit.version import (
    VersionError,
    Written,
    compare,
    parse_given,
    parse_version,
    parse_written,
    pep440,
    resolve_target,
    tag_for,
    version_from_tag,
    written,
)

FLUXION = Path(__file__).resolve().parent.parent / "examples" / "fluxion"
TEXT = (FLUXION / "releasekit.yaml").read_text(encoding="utf-8")
DATA: dict[str, Any] = yaml.load(TEXT, Loader=yaml.CSafeLoader)

# No example database (nothing written under .hypothesis/), no deadline (2 shared cores), the same inputs each run.
PROPERTY = settings(database=None, deadline=None, derandomize=True)
BATCH = 4  # inputs per hypothesis example: hypothesis costs a few milliseconds per example, little per input

# How many inputs each property is given; test_counts_add_up checks the total quoted in the README.
INPUTS = {
    "loader, fluxion with one value replaced, removed or added": 16 * BATCH,
    "loader, fluxion text with characters spliced in or cut": 30 * BATCH,
    "loader, generated YAML documents": 30 * BATCH,
    "versions, semver round trip, tag round trip, order": 30 * BATCH,
    "versions, PEP 440 and CalVer round trip, order": 30 * BATCH,
    "versions, bumps move up": 40 * BATCH,
    "versions, garbage refused cleanly": 50 * BATCH,
    "versions, pyproject.toml backend tables": 40 * BATCH,
    "renderer, generated valid configs": 6,
}


# --- no file is written while a config is parsed ---------------------------------------------------------------

_WRITES: list[str] = []
_WATCHING: list[bool] = []
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if not _WATCHING:
        return
    if event == "open":
        mode, flags = args[1], args[2]
        if (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & _WRITE_FLAGS
        ):
            _WRITES.append(str(args[0]))
    elif event in ("os.remove", "os.rename", "os.mkdir", "shutil.rmtree", "os.truncate"):
        _WRITES.append(f"{event} {args[0]}")


sys.addaudithook(_audit)  # cannot be removed; it does nothing outside `no_writes()`


@contextmanager
def no_writes() -> Iterator[None]:
    _WRITES.clear()
    _WATCHING.append(True)
    try:
        yield
    finally:
        _WATCHING.pop()
    assert _WRITES == [], f"files written: {_WRITES}"


def _load(text: str) -> Located | None:
    """The loader's whole contract: a Located, or a ConfigError (the CLI prints it and exits 2). Anything else
    raised fails the test; so does any file it writes."""
    with no_writes():
        try:
            return parse(text, "releasekit.yaml", FLUXION)
        except ConfigError as exc:
            assert exc.problems and len(str(exc)) < 40_000
            return None


# --- (a) the config loader -------------------------------------------------------------------------------------

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.sampled_from(["ubuntu", "imac", "v{version}", "main", "3.12", "*", "**", "on", "yes", "~", "${{ x }}", "a:b"]),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=8,
)


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, (*path, i))


PATHS = [p for p in _paths(DATA) if p]


def _mutated(path: tuple[Any, ...], action: str, value: Any, key: str) -> str:
    data = copy.deepcopy(DATA)
    parent = functools.reduce(lambda node, part: node[part], path[:-1], data)
    if action == "replace":
        parent[path[-1]] = value
    elif action == "remove":
        del parent[path[-1]]
    elif isinstance(parent, dict):
        parent[key] = value
    else:
        parent.append(value)
    return str(yaml.dump(data, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True))


_MUTATION = st.tuples(
    st.sampled_from(PATHS), st.sampled_from(["replace", "remove", "add"]), _VALUES, st.text(min_size=1, max_size=12)
)


def test_loader_on_mutated_fluxion_configs() -> None:
    seen: list[str] = []

    @settings(PROPERTY, max_examples=INPUTS["loader, fluxion with one value replaced, removed or added"] // BATCH)
    @given(st.lists(_MUTATION, min_size=BATCH, max_size=BATCH))
    def check(mutations: list[tuple[tuple[Any, ...], str, Any, str]]) -> None:
        for mutation in mutations:
            seen.append("x")
            _load(_mutated(*mutation))

    check()
    assert len(seen) == INPUTS["loader, fluxion with one value replaced, removed or added"]
    count("inputs generated", len(seen))


_YAML_CHARS = st.sampled_from(list(":{}[],&*!|>'\"%@`#?-\n\t \\\x00\x85\ufeff"))
_SPLICE = st.tuples(
    st.integers(min_value=0, max_value=len(TEXT)),
    st.integers(min_value=0, max_value=40),
    st.text(alphabet=_YAML_CHARS | st.characters(), max_size=12),
)


def test_loader_on_spliced_fluxion_text() -> None:
    seen: list[str] = []

    @settings(PROPERTY, max_examples=INPUTS["loader, fluxion text with characters spliced in or cut"] // BATCH)
    @given(st.lists(_SPLICE, min_size=BATCH, max_size=BATCH))
    def check(splices: list[tuple[int, int, str]]) -> None:
        for at, cut, inserted in splices:
            seen.append("x")
            _load(TEXT[:at] + inserted + TEXT[at + cut :])

    check()
    assert len(seen) == INPUTS["loader, fluxion text with characters spliced in or cut"]
    count("inputs generated", len(seen))


def test_loader_on_generated_documents() -> None:
    seen: list[str] = []
    documents = st.one_of(
        _VALUES.map(lambda v: str(yaml.dump(v, Dumper=yaml.CSafeDumper))),
        st.dictionaries(st.sampled_from(list(DATA)), _VALUES, max_size=6).map(
            lambda v: str(yaml.dump(v, Dumper=yaml.CSafeDumper))
        ),
        st.text(alphabet=_YAML_CHARS | st.characters(), max_size=60),
    )

    @settings(PROPERTY, max_examples=INPUTS["loader, generated YAML documents"] // BATCH)
    @given(st.lists(documents, min_size=BATCH, max_size=BATCH))
    def check(texts: list[str]) -> None:
        for text in texts:
            seen.append("x")
            _load(text)

    check()
    assert len(seen) == INPUTS["loader, generated YAML documents"]
    count("inputs generated", len(seen))


# --- (b) the version parser ------------------------------------------------------------------------------------

_NUMBER = st.integers(min_value=0, max_value=10**7)
_IDENT = st.one_of(_NUMBER.map(str), st.from_regex(r"[0-9A-Za-z-]{0,5}[A-Za-z-][0-9A-Za-z-]{0,5}", fullmatch=True))
_SEMVER = st.builds(
    semver.Version,
    major=_NUMBER,
    minor=_NUMBER,
    patch=_NUMBER,
    prerelease=st.none() | st.lists(_IDENT, min_size=1, max_size=3).map(".".join),
    build=st.none()
    | st.lists(st.from_regex(r"[0-9A-Za-z-]{1,6}", fullmatch=True), min_size=1, max_size=2).map(".".join),
)
_TAG_FORMAT = st.tuples(
    st.sampled_from(["", "v", "V", "release-", "pkg/v", "fluxion@"]), st.sampled_from(["", "-final", "/x"])
)


def _order(versions: list[semver.Version]) -> None:
    """compare() is a total order: reflexive, antisymmetric, and consistent with the order it sorts into."""
    ordered = sorted(versions, key=functools.cmp_to_key(compare))
    for i, a in enumerate(ordered):
        assert compare(a, a) == 0
        for b in ordered[i + 1 :]:
            assert compare(a, b) <= 0 and compare(b, a) >= 0
            assert compare(a, b) == -compare(b, a)


def test_semver_round_trips_and_orders() -> None:
    seen: list[str] = []

    @settings(PROPERTY, max_examples=INPUTS["versions, semver round trip, tag round trip, order"] // BATCH)
    @given(st.lists(_SEMVER, min_size=BATCH, max_size=BATCH), _TAG_FORMAT)
    def check(versions: list[semver.Version], fmt: tuple[str, str]) -> None:
        tag_format = f"{fmt[0]}{{version}}{fmt[1]}"
        for v in versions:
            seen.append("x")
            assert parse_version(str(v)) == v and str(parse_version(str(v))) == str(v)
            assert parse_version(f"v{v}") == v
            assert parse_given(str(v)) == v
            assert version_from_tag(tag_for(v, tag_format), tag_format) == v
            assert parse_written(str(v), "semver") == v
        for a, b in itertools.pairwise(versions):
            assert compare(a, b) == a.compare(b)  # plain semver keeps semver's precedence
        _order(versions)

    check()
    assert len(seen) == INPUTS["versions, semver round trip, tag round trip, order"]
    count("inputs generated", len(seen))


_PEP440_TEXT = st.builds(
    lambda release, pre, post, dev: ".".join(map(str, release)) + pre + post + dev,
    st.lists(st.integers(min_value=0, max_value=3000), min_size=1, max_size=3),
    st.sampled_from(["", "a", "b", "rc", "alpha", "c", "-RC", ".pre"]).flatmap(
        lambda label: st.just("") if not label else _NUMBER.map(lambda n: f"{label}{n}")
    ),
    st.sampled_from(["", ".post", "-", "post"]).flatmap(
        lambda label: st.just("") if not label else _NUMBER.map(lambda n: f"{label}{n}")
    ),
    st.sampled_from(["", ".dev", "dev"]).flatmap(
        lambda label: st.just("") if not label else _NUMBER.map(lambda n: f"{label}{n}")
    ),
)


def test_pep440_and_calver_round_trip_and_order() -> None:
    seen: list[str] = []

    @settings(PROPERTY, max_examples=INPUTS["versions, PEP 440 and CalVer round trip, order"] // BATCH)
    @given(st.lists(_PEP440_TEXT, min_size=BATCH, max_size=BATCH), _TAG_FORMAT)
    def check(texts: list[str], fmt: tuple[str, str]) -> None:
        tag_format = f"{fmt[0]}{{version}}{fmt[1]}"
        versions: list[semver.Version] = []
        for text in texts:
            seen.append("x")
            w = written(text)
            assert w is not None, text
            normal = str(Pep440Version(text))
            assert str(w) == normal  # kept in PEP 440's normal form
            again = written(str(w))
            assert again is not None and str(again) == str(w) and compare(again, w) == 0
            for scheme in ("pep440", "calver"):
                assert str(parse_given(text, scheme)) == normal
            # A tag names a version of two or three numbers (26.2, 1.4.0rc1); `v1` is not a release tag.
            back = version_from_tag(tag_for(w, tag_format), tag_format, "pep440")
            assert (str(back) if back is not None else None) == (
                normal if len(Pep440Version(normal).release) >= 2 else None
            )
            versions.append(w)
        for a, b in itertools.pairwise(texts):
            left, right = Pep440Version(a), Pep440Version(b)
            assert compare(written(a), written(b)) == (left > right) - (left < right)  # type: ignore[arg-type]
        _order(versions)

    check()
    assert len(seen) == INPUTS["versions, PEP 440 and CalVer round trip, order"]
    count("inputs generated", len(seen))


_PRE_LABEL = st.none() | st.sampled_from(["rc", "alpha", "beta", "dev", "a", "b"])


def test_bumps_move_up() -> None:
    seen: list[str] = []
    latest = st.one_of(
        _SEMVER.map(lambda v: v.replace(build=None)),
        _PEP440_TEXT.map(written),
        st.tuples(st.integers(20, 30), st.integers(0, 12)).map(lambda t: written(f"{t[0]}.{t[1]}")),
        st.tuples(st.integers(2020, 2030), st.integers(1, 12), st.integers(0, 9)).map(
            lambda t: written(f"{t[0]}.{t[1]}.{t[2]}")
        ),
    )
    days = st.dates(min_value=datetime.date(2020, 1, 1), max_value=datetime.date(2031, 12, 31))

    @settings(PROPERTY, max_examples=INPUTS["versions, bumps move up"] // BATCH)
    @given(
        st.lists(
            st.tuples(latest, st.sampled_from(["major", "minor", "patch", "prerelease"]), _PRE_LABEL),
            min_size=BATCH,
            max_size=BATCH,
        ),
        days,
    )
    def check(cases: list[tuple[semver.Version, str, str | None]], today: datetime.date) -> None:
        for v, word, pre in cases:
            seen.append("x")
            schemes = ("pep440", "calver") if isinstance(v, Written) else ("semver",)
            for scheme in schemes:
                try:
                    target = resolve_target(word, v, pre, scheme=scheme, today=today)  # type: ignore[arg-type]
                except VersionError:
                    continue  # e.g. calver has no major, a label PEP 440 does not know, an older calver year
                assert compare(target, v) > 0, (v, word, pre, scheme, target)
                if scheme == "semver" and not isinstance(target, Written):
                    assert parse_version(str(target)) == target

    check()
    assert len(seen) == INPUTS["versions, bumps move up"]
    count("inputs generated", len(seen))


def test_garbage_versions_are_refused_cleanly() -> None:
    seen: list[str] = []
    garbage = st.one_of(
        st.text(max_size=30),
        st.from_regex(r"[vV]?[0-9]{1,6}(\.[0-9]{0,6}){0,4}[-+._a-zA-Z0-9]{0,10}", fullmatch=True),
        st.integers(min_value=4000, max_value=6000).map(lambda n: "1" * n),  # Python reads at most 4,300 digits
        st.integers(min_value=4000, max_value=6000).map(lambda n: "1.0.0-" + "9" * n),
    )

    @settings(PROPERTY, max_examples=INPUTS["versions, garbage refused cleanly"] // BATCH)
    @given(st.lists(garbage, min_size=BATCH, max_size=BATCH), _TAG_FORMAT)
    def check(texts: list[str], fmt: tuple[str, str]) -> None:
        tag_format = f"{fmt[0]}{{version}}{fmt[1]}"
        for text in texts:
            seen.append("x")
            for scheme in ("semver", "pep440", "calver"):
                try:
                    parse_given(text, scheme)
                except VersionError as exc:
                    assert len(str(exc)) < 400  # a short excerpt of the text, never all of it
                version_from_tag(f"{fmt[0]}{text}{fmt[1]}", tag_format, scheme)
            for kind in ("semver", "pep440"):
                parse_written(text, kind)
            written(text)
            with suppress(VersionError):
                resolve_target(text, semver.Version(1, 4, 0))
            with suppress(VersionError):
                pep440(parse_version(text))

    check()
    assert len(seen) == INPUTS["versions, garbage refused cleanly"]
    count("inputs generated", len(seen))


_BACKENDS = st.sampled_from(
    ["hatchling.build", "pdm.backend", "flit_core.buildapi", "maturin", "setuptools.build_meta", "poetry.core", "x"]
)
_TOML_VALUE = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["pkg/__init__.py", "src/pkg/_version.py", "(", "a{99999999999}", "(?P<version>.+)", "vcs", "scm"]),
    st.integers(),
    st.booleans(),
    st.lists(st.text(max_size=8), max_size=2),
)
_TABLES = st.fixed_dictionaries(
    {},
    optional={
        "build-system": st.fixed_dictionaries(
            {}, optional={"build-backend": _BACKENDS, "requires": st.lists(st.text(max_size=20), max_size=3)}
        ),
        "project": st.fixed_dictionaries({}, optional={"name": st.text(max_size=12)}),
        "tool": st.dictionaries(
            st.sampled_from(["hatch", "pdm", "flit", "maturin", "setuptools", "setuptools_scm", "versioningit"]),
            st.recursive(
                st.dictionaries(
                    st.sampled_from(["version", "path", "pattern", "source", "attr", "file", "dynamic", "module"]),
                    _TOML_VALUE,
                    max_size=3,
                ),
                lambda inner: st.dictionaries(st.sampled_from(["version", "dynamic", "module", "package-dir"]), inner),
                max_leaves=4,
            ),
            max_size=2,
        ),
    },
)


def _same(text: str | None, _path: str) -> str | None:
    return text  # every file the backend table names reads as `text` (None: absent)


def test_pyproject_version_sources_never_raise() -> None:
    seen: list[str] = []
    files = st.one_of(st.none(), st.text(max_size=40), st.just('__version__ = "1.4.0"\n'), st.just("[package]\n"))

    @settings(PROPERTY, max_examples=INPUTS["versions, pyproject.toml backend tables"] // BATCH)
    @given(st.lists(st.tuples(_TABLES, files), min_size=BATCH, max_size=BATCH))
    def check(cases: list[tuple[dict[str, Any], str | None]]) -> None:
        for data, text in cases:
            seen.append("x")
            source = version_source(data, "pyproject.toml", functools.partial(_same, text))
            assert source.kind in ("tag", "file", "unknown")
            for found in source.files:  # a version file it names is one releasekit can read back
                assert found.version and (found.kind == "toml" or re.compile(found.locator, re.MULTILINE))

    check()
    assert len(seen) == INPUTS["versions, pyproject.toml backend tables"]
    count("inputs generated", len(seen))


# --- (c) the renderer ------------------------------------------------------------------------------------------

_ENV_NAME = st.from_regex(r"[A-Z][A-Z0-9_]{0,15}", fullmatch=True).filter(lambda n: not n.startswith("GITHUB_"))
# Text a valid config may hold: any character but controls and line separators (the loader refuses those).
_PRINTABLE = st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp"))
_SECRET_NAME = st.sampled_from(["DEPLOY_TOKEN", "SIGNING_KEY", "PASSWORD", "API_SECRET", "NPM_PASS"])


@st.composite
def _valid_config(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A config the loader accepts (mostly), and the fake secret values planted in it."""
    data = copy.deepcopy(DATA)
    planted: list[str] = []
    taken = set(data["env"]["secrets"]) | set(data["env"].get("vars", []))
    values = draw(
        st.dictionaries(_ENV_NAME.filter(lambda n: n not in taken), st.text(_PRINTABLE, max_size=30), max_size=5)
    )
    data["env"]["values"].update(values)
    plant = draw(
        st.sampled_from([None, None, None, None, "env", "step"])
    )  # a secret value under a secret's name, or none
    if plant == "env":
        token = new_token()
        planted.append(token)
        data["env"]["values"][draw(_SECRET_NAME)] = token
    data["project"]["name"] = draw(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,20}", fullmatch=True))
    data["project"]["tag-format"] = draw(
        st.sampled_from(["v{version}", "{version}", "release-{version}", "app/v{version}"])
    )
    commands = st.text(_PRINTABLE, min_size=1, max_size=40).filter(lambda c: c.strip() and "${{" not in c)
    data["workflows"]["test-suite"]["steps"]["test"].extend(draw(st.lists(commands, max_size=2)))
    data["workflows"]["test-suite"]["name"] = draw(st.text(_PRINTABLE, min_size=1, max_size=30))
    if plant == "step":
        token = new_token()
        planted.append(token)
        step = {"name": "deploy", "run": "./deploy", "env": {draw(_SECRET_NAME): token}}
        data["workflows"]["test-suite"]["steps"]["test"].append(step)
    return str(yaml.dump(data, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True)), planted


LOCK = parse_lock((FLUXION / "releasekit.lock").read_text(encoding="utf-8"), "releasekit.lock")


def test_renderer_is_deterministic_writes_yaml_and_no_secret() -> None:
    seen: list[str] = []
    rendered: list[str] = []

    @settings(PROPERTY, max_examples=INPUTS["renderer, generated valid configs"])
    @given(_valid_config())
    def check(config: tuple[str, list[str]]) -> None:
        text, planted = config
        seen.append("x")
        located = _load(text)
        if planted:
            assert located is None, "a secret value under a secret's name was accepted"
            return  # refused: nothing is rendered, so nothing can leak
        if located is None:
            return  # e.g. a generated value that looks like a secret, or a step that repeats another's name
        first = {o.path: o.text for o in render(located, LOCK)}
        again = _load(text)
        assert again is not None
        assert {o.path: o.text for o in render(again, LOCK)} == first  # deterministic, loading included
        rendered.append("x")
        for path, body in first.items():
            if path.endswith((".yml", ".yaml")):
                yaml.load(body, Loader=yaml.CSafeLoader)
            assert find_secrets_in_text(body) == [], path
            for token in planted:
                assert token not in body, path

    check()
    assert len(seen) == INPUTS["renderer, generated valid configs"]
    count("inputs generated", len(seen))
    assert len(rendered) >= len(seen) // 4  # the generator makes configs the loader accepts, not only refusals
    count("inputs generated", len(seen))


def test_counts_add_up() -> None:
    assert sum(INPUTS.values()) == 1_070
