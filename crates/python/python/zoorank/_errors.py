"""zoorank's exceptions. The native module raises these by name."""

from __future__ import annotations

__all__ = ["ZooError", "ZooValueError", "ZooFileNotFoundError"]


class ZooError(Exception):
    """Base class of every error zoorank raises (the store, a computation, or bad input)."""


class ZooValueError(ZooError, ValueError):
    """The input is wrong: an unknown target or method, a malformed file, NaN in an array,
    mismatched lengths, ... The message names what and where, as the CLI does."""


class ZooFileNotFoundError(ZooError, FileNotFoundError):
    """A file or directory zoorank was asked to read does not exist."""
