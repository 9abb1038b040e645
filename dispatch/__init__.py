"""Bookings, vehicles, plans, trip planning, the OR-Tools solver and insertion.

Knows nothing of HTTP, Redis or the simulator's event loop: ``api`` and ``sim`` are thin drivers of
the same :class:`dispatch.dispatcher.Dispatcher`.
"""
