"""Side effects behind small interfaces: git (the CLI), GitHub (PyGithub), package indexes (build, twine)."""
