"""How big a config may be: one definition for the loader, the lock and the render cache (the config reference,
"Limits").

Loading any file within these bounds takes well under a second and 100 MB (tests/test_config_scale.py). The real
fluxion config is 6 kB and 392 values; these are fifty times beyond any real one. Light on purpose: the
`workflows --check` fast path imports it, and must not pay for PyYAML.
"""

MAX_CONFIG_BYTES = 1_000_000  # the file, and its lock
MAX_VALUES = 20_000  # scalars, lists and mappings, counted once per alias that repeats them
MAX_VALUE_CHARS = 10_000  # one string, key or number
MAX_TOTAL_CHARS = MAX_CONFIG_BYTES  # all strings together once aliases are expanded (an alias bomb is refused)
# Branch, tag and path patterns and version regexes, all together: each is parsed in Python at about a microsecond
# a character, where a real one is under a hundred characters.
MAX_PATTERN_CHARS = 100_000
