"""The lab's error classes, named by how they are handled.

Every command maps them to exit codes at its entry point: an `InputError` (bad input or
configuration: the user must change something) exits with code 2 and a one-line reason; a
`ServiceError` (an outside service failed; trying again later may work) and anything unexpected
exit with code 1.
"""

from __future__ import annotations

__all__ = ["ConfigurationError", "InputError", "LabError", "ServiceError"]


class LabError(Exception):
    """Base class of the lab's own errors."""


class InputError(LabError):
    """Bad input: a file, a genome, a command-line value. The user must fix it; exit code 2."""


class ConfigurationError(InputError):
    """The configuration is invalid (unknown key, wrong type, inconsistent values)."""


class ServiceError(LabError):
    """An outside service (a data provider, a broker) failed or did not answer in time."""
