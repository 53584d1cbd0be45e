"""releasekit: declare a project's CI and release machinery once, generate and drive it."""

__version__ = "0.1.0"

__all__ = ["__version__"]
