"""Exceptions the dispatcher raises for input it cannot act on; the API maps each to an HTTP 4xx.

``BookingNotFound``/``VehicleNotFound`` -> 404, ``InvalidBooking``/``InvalidEvent`` -> 422,
``BookingStateError`` -> 409. A booking that is valid but cannot be served is not an exception but a
:class:`dispatch.model.Rejection` (or :class:`dispatch.model.BookingRejected` where a value cannot be returned).
"""

from __future__ import annotations


class DispatchError(Exception):
    """Base of every error the dispatcher raises on purpose; ``str()`` is a message for people."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else self.__class__.__name__


class BookingNotFound(DispatchError, KeyError):
    """No booking with this id is known to the dispatcher."""


class VehicleNotFound(DispatchError, KeyError):
    """No vehicle with this id is known to the dispatcher."""


class InvalidBooking(DispatchError, ValueError):
    """The booking itself is malformed: negative party, same pickup and drop-off, duplicate id..."""


class BookingStateError(DispatchError, ValueError):
    """The booking exists but the action does not fit its status (confirm a cancelled booking...)."""


class InvalidEvent(DispatchError, ValueError):
    """An execution event that cannot have happened (boarding a booking not planned on that vehicle...)."""
