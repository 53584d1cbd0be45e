"""minimal-pkg: one function, one version."""

__version__ = "0.3.0"

__all__ = ["__version__", "greet"]


def greet(name: str = "world") -> str:
    """Return a greeting for ``name``; blank names greet the world."""
    return f"Hello, {name.strip() or 'world'}!"
