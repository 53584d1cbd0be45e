"""Fluxion voice pipeline: the Python service behind the desktop app's voice agent."""

__version__ = "1.3.2"

__all__ = ["__version__"]
