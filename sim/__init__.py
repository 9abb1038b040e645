"""Simulator: scenarios, demand generation and replay, the event loop, KPIs and reports."""
