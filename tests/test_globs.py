"""Tests for releasekit.config.globs: filter patterns, their matching, and release-asset globs."""

from __future__ import annotations

import pytest

from releasekit.config.globs import filter_pattern_error, filter_pattern_to_regex, glob_error

# --- filter_pattern_error ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern",
    [
        "main",
        "releases/mona-the-octocat",
        "feature/*",
        "feature/**",
        "*",
        "**",
        "*feature",
        "v2*",
        "v*",
        "v[12].[0-9]+.[0-9]+",
        "release/v[0-9].[0-9]",
        "!release/**-alpha",
        "[-a]x",
        "a\\+b",
        "a\\!b",
        "a!b",
        "v1.*",
        "**/+x",
    ],
)
def test_valid_ref_patterns(pattern: str) -> None:
    assert filter_pattern_error(pattern) is None
    assert filter_pattern_error(pattern, kind="ref") is None


@pytest.mark.parametrize(
    "pattern",
    [
        "**",
        "*.js",
        "**.js",
        "*.jsx?",
        "docs/*",
        "docs/**/*.md",
        "**/docs/**",
        "**/README.md",
        "**/*src/**",
        "**/migrate-*.sql",
        "!README.md",
        "my file.txt",
        "notes~1.md",
        "a:b.txt",
        ".github/workflows/*.yml",
        "docs/../x",
        "a\\*b",
    ],
)
def test_valid_path_patterns(pattern: str) -> None:
    assert filter_pattern_error(pattern, kind="path") is None


@pytest.mark.parametrize(
    ("pattern", "words"),
    [
        ("", ["empty"]),
        (" main", ["whitespace"]),
        ("main ", ["whitespace"]),
        ("main\n", ["whitespace"]),
        ("ma\nin", ["line break"]),
        ("!", ["'!'", "negates nothing"]),
        ("[0-9", ["'['", "without a matching ']'"]),
        ("v[0-9", ["'['", "column 2", "without a matching ']'"]),
        ("a]b", ["']'", "without a matching '['"]),
        ("[]", ["empty '[]'"]),
        ("v[]1", ["empty '[]'", "column 2"]),
        ("[9-0]", ["'9-0'", "reversed", "'0-9'"]),
        ("[z-a]", ["'z-a'", "reversed"]),
        ("[a-Z]", ["'a-Z'", "a-z, A-Z or 0-9"]),
        ("[0-z]", ["'0-z'", "a-z, A-Z or 0-9"]),
        ("[a-]", ["'a-'", "no end"]),
        ("[x]", ["'[x]'", "single character"]),
        ("a\\", ["lone '\\'"]),
        ("?abc", ["'?'", "column 1", "none to repeat"]),
        ("+abc", ["'+'", "none to repeat"]),
        ("!+abc", ["'+'", "none to repeat"]),
        ("a*+", ["'+'", "column 3", "none to repeat"]),
        ("a**?", ["'?'", "none to repeat"]),
        ("a++", ["'+'", "column 3", "none to repeat"]),
    ],
)
def test_syntax_errors_apply_to_both_kinds(pattern: str, words: list[str]) -> None:
    for kind in ("ref", "path"):
        message = filter_pattern_error(pattern, kind=kind)
        assert message is not None, kind
        for word in words:
            assert word in message, (kind, message)


@pytest.mark.parametrize(
    ("pattern", "words"),
    [
        ("feat~1", ["'~'", "column 5", "git"]),
        ("a^b", ["'^'", "git"]),
        ("a:b", ["':'", "git"]),
        ("a b", ["space", "git"]),
        ("a\tb", ["control character", "git"]),
        ("a\x7fb", ["control character"]),
        ("a..b", ["'..'", "git"]),
        ("v*..*", ["'..'"]),
        ("a@{b", ["'@{'", "git"]),
        ("a//b", ["'//'"]),
        ("/main", ["starts with '/'"]),
        ("!/main", ["starts with '/'"]),
        ("main/", ["ends with '/'"]),
        ("v1.", ["ends with '.'"]),
        (".hidden", ["'.hidden'", "starting with '.'"]),
        ("a/.*", ["starting with '.'"]),
        ("x.lock", ["'x.lock'", "'.lock'"]),
        ("@", ["'@'"]),
        ("a\\*b", ["literal '*'"]),
        ("a\\?b", ["literal '?'"]),
        ("a\\[b", ["literal '['"]),
        ("a\\\\b", ["backslash"]),
    ],
)
def test_git_ref_rules_apply_only_to_refs(pattern: str, words: list[str]) -> None:
    message = filter_pattern_error(pattern, kind="ref")
    assert message is not None
    for word in words:
        assert word in message, message
    if not pattern.lstrip("!").startswith("/"):
        assert filter_pattern_error(pattern, kind="path") is None


@pytest.mark.parametrize("pattern", ["/docs/**", "./docs/**", "!/docs/*.md"])
def test_path_patterns_are_relative_to_the_root(pattern: str) -> None:
    message = filter_pattern_error(pattern, kind="path")
    assert message is not None
    assert "repository root" in message


def test_default_kind_is_ref() -> None:
    assert filter_pattern_error("a b") is not None
    assert filter_pattern_error("a b", kind="path") is None


# --- filter_pattern_to_regex ---------------------------------------------------------------------

# The examples of the "Filter pattern cheat sheet" in GitHub's workflow syntax documentation.
CHEAT_SHEET = [
    ("feature/*", "feature/my-branch", True),
    ("feature/*", "feature/your-branch", True),
    ("feature/*", "feature/beta-a/my-branch", False),
    ("feature/**", "feature/beta-a/my-branch", True),
    ("feature/**", "feature/mona/the/octocat", True),
    ("main", "main", True),
    ("main", "main2", False),
    ("main", "Main", False),
    ("*", "main", True),
    ("*", "releases", True),
    ("*", "releases/v1", False),
    ("**", "all/the/branches", True),
    ("*feature", "mona-feature", True),
    ("*feature", "feature", True),
    ("*feature", "ver-10-feature", True),
    ("*feature", "feature-x", False),
    ("v2*", "v2", True),
    ("v2*", "v2.0", True),
    ("v2*", "v1.0", False),
    ("v[12].[0-9]+.[0-9]+", "v1.10.1", True),
    ("v[12].[0-9]+.[0-9]+", "v2.0.0", True),
    ("v[12].[0-9]+.[0-9]+", "v3.0.0", False),
    ("v[12].[0-9]+.[0-9]+", "v1.x.0", False),
    ("v[12].[0-9]+.[0-9]+", "v1a0.0", False),  # '.' is literal, not "any character"
    ("*.jsx?", "page.js", True),
    ("*.jsx?", "page.jsx", True),
    ("*.jsx?", "page.jsxx", False),
    ("*.js", "app.js", True),
    ("*.js", "src/app.js", False),
    ("**.js", "index.js", True),
    ("**.js", "src/js/app.js", True),
    ("docs/*", "docs/README.md", True),
    ("docs/*", "docs/mona/octocat.txt", False),
    ("docs/**", "docs/mona/octocat.txt", True),
    ("docs/**/*.md", "docs/README.md", True),
    ("docs/**/*.md", "docs/mona/hello-world.md", True),
    ("docs/**/*.md", "docs/a/markdown/file.md", True),
    ("docs/**/*.md", "docs/a/file.txt", False),
    ("**/docs/**", "docs/hello.md", True),
    ("**/docs/**", "dir/docs/my-file.txt", True),
    ("**/docs/**", "space/docs/plan/space.doc", True),
    ("**/docs/**", "mydocs/x.md", False),
    ("**/README.md", "README.md", True),
    ("**/README.md", "js/README.md", True),
    ("**/README.md", "js/NOTREADME.md", False),
    ("**/*src/**", "a/src/app.js", True),
    ("**/*src/**", "my-src/code/js/app.js", True),
    ("**/*-post.md", "my-post.md", True),
    ("**/*-post.md", "path/their-post.md", True),
    ("**/migrate-*.sql", "migrate-10909.sql", True),
    ("**/migrate-*.sql", "db/migrate-v1.0.sql", True),
    ("**/migrate-*.sql", "db/sept/migrate-v1.sql", True),
    ("[CB]at", "Cat", True),
    ("[CB]at", "Bat", True),
    ("[CB]at", "Rat", False),
    ("[1-2]00", "100", True),
    ("[1-2]00", "200", True),
    ("[1-2]00", "300", False),
    ("[0-9a-z]x", "7x", True),
    ("[0-9a-z]x", "Qx", False),
]


@pytest.mark.parametrize(("pattern", "name", "matches"), CHEAT_SHEET)
def test_regex_follows_the_cheat_sheet(pattern: str, name: str, matches: bool) -> None:
    regex = filter_pattern_to_regex(pattern)
    assert (regex.fullmatch(name) is not None) is matches
    assert (regex.match(name) is not None) is matches  # anchored at both ends
    assert (regex.search(name) is not None) is matches


@pytest.mark.parametrize(
    ("pattern", "name", "matches"),
    [
        ("!README.md", "README.md", True),  # the '!' is the caller's business
        ("a\\*b", "a*b", True),
        ("a\\*b", "axb", False),
        ("a\\?", "a?", True),
        ("a\\?", "a", False),
        ("c\\+\\+", "c++", True),
        ("x+", "xxx", True),
        ("x+", "", False),
        ("ab?c", "ac", True),
        ("ab?c", "abbc", False),
        ("[ab]+", "abba", True),
        ("a.b", "axb", False),
        ("(x)", "(x)", True),
        ("a|b", "a", False),
        ("$x^", "$x^", True),
        ("**/+x", "a//x", True),  # '+' after '**/' repeats the slash
        ("a/**/b", "a/b", True),
        ("a/**/b", "a/x/y/b", True),
        ("a/**", "a/", True),
        ("a/**", "b/a/c", False),
    ],
)
def test_regex_details(pattern: str, name: str, matches: bool) -> None:
    assert (filter_pattern_to_regex(pattern).match(name) is not None) is matches


@pytest.mark.parametrize("pattern", ["", "[0-9", "[9-0]", "?x", "a\\", "!"])
def test_regex_rejects_invalid_patterns(pattern: str) -> None:
    expected = filter_pattern_error(pattern, kind="path")
    assert expected is not None
    with pytest.raises(ValueError) as info:
        filter_pattern_to_regex(pattern)
    assert str(info.value) == expected


# --- glob_error ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern",
    [
        "dist/*.whl",
        "dist/*.tar.gz",
        "src-tauri/target/release/bundle/**/*.dmg",
        "build/app-[0-9]*.zip",
        "build/app-[!x]*.zip",
        "./dist/*.whl",
        "CHANGELOG.md",
        "dist/..foo",
        "C/x.zip",
    ],
)
def test_valid_asset_globs(pattern: str) -> None:
    assert glob_error(pattern) is None


@pytest.mark.parametrize(
    ("pattern", "words"),
    [
        ("", ["empty"]),
        (" dist/*.whl", ["whitespace"]),
        ("dist/*.whl ", ["whitespace"]),
        ("/dist/*.whl", ["absolute", "relative"]),
        ("C:\\dist\\*.whl", ["absolute"]),
        ("c:/dist/*.whl", ["absolute"]),
        ("\\\\server\\share\\x", ["absolute"]),
        ("../dist/*.whl", ["'..'"]),
        ("dist/../../x", ["'..'"]),
        ("dist/..", ["'..'"]),
        ("dist\\*.whl", ["'\\'", "use '/'"]),
        ("dist/app-[0-9.zip", ["'['", "without a matching ']'"]),
        ("dist/app-0-9].zip", ["']'", "without a matching '['"]),
        ("dist/[]x", ["empty '[]'"]),
        ("dist/[a[b]]", ["inside another"]),
    ],
)
def test_invalid_asset_globs(pattern: str, words: list[str]) -> None:
    message = glob_error(pattern)
    assert message is not None
    for word in words:
        assert word in message, message
