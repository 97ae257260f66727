"""One error tree, so the CLI and the API can turn any of our failures into a clear message.

Anything raised from here is the user's problem to fix (bad input, bad settings); anything else
escaping is our bug.
"""

from __future__ import annotations


class VidgovError(Exception):
    """Base of every error we raise on purpose; its message is shown to the user as is."""

    exit_code = 1


class InvalidInput(VidgovError):
    """The user's input cannot be used; nothing was changed."""

    exit_code = 2


class InvalidDeviceId(InvalidInput, ValueError):
    """Not a GB/T 28181 device ID."""


class UnreadableCatalog(InvalidInput):
    """A file that cannot be read as a camera catalog (format, encoding, header, empty)."""


class ConfigurationError(VidgovError):
    """Settings that cannot work (a bad database URL, a missing optional dependency)."""

    exit_code = 2
