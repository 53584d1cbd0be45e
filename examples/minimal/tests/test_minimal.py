import re

import minimal_pkg
from minimal_pkg import greet


def test_greet() -> None:
    assert greet("Ada") == "Hello, Ada!"
    assert greet() == "Hello, world!"
    assert greet("   ") == "Hello, world!"


def test_version_is_semver() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", minimal_pkg.__version__)
