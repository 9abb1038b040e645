"""FastAPI booking API on Redis, the dispatch worker and the operator console."""
