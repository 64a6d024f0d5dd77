"""The data code's exceptions and warnings: what went wrong with a data set, in words a student can act on."""

from __future__ import annotations


class DataNotFoundError(FileNotFoundError):
    """A data set is not where the course looked; the message says how to get it."""


class DataLayoutError(DataNotFoundError):
    """A PlantVillage folder exists but is not laid out as ``<class>/<image>`` folders."""


class BadImageWarning(UserWarning):
    """An image file could not be read; the data set used another image instead."""


class CacheSpaceError(OSError):
    """The decoded-image cache does not fit on the disk; the message says how much it needs."""
