"""Run reports: figures (one function each) and the self-contained HTML page."""
