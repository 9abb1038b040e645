"""Errors raised by the routing package.

Both derive from :class:`ValueError` so that callers validating user input can catch
bad coordinates or unknown places without importing this module.
"""

from __future__ import annotations


class RoutingError(ValueError):
    """A routing request or a network file cannot be served (bad input, missing data)."""


class OutOfServiceArea(RoutingError):
    """A coordinate is not a finite WGS84 point inside the service box or zone layout."""
