"""Keep rider names and phone numbers out of logs.

Code logs rider ids only; this filter is the safety net for what slips through (an exception message
that quotes a request body, a library logging a URL with a query). It masks phone-number-like digit
runs and every name registered in this process.
"""

from __future__ import annotations

import logging
import re
import threading

_PHONE = re.compile(r"(?<!\d)(?:\+?81[-\s]?|0)\d{1,4}[-\s]?\d{1,4}[-\s]?\d{3,4}(?!\d)")
MASK = "[redacted]"


class PiiFilter(logging.Filter):
    """Mask phone numbers and known rider names in every record passing through."""

    def __init__(self) -> None:
        super().__init__("pii")
        self._names: set[str] = set()
        self._lock = threading.Lock()

    def remember(self, *texts: str) -> None:
        """Register PII strings (a rider's name) to be masked from now on."""
        with self._lock:
            self._names.update(t for t in texts if t and len(t) >= 2)

    def scrub(self, text: str) -> str:
        text = _PHONE.sub(MASK, text)
        with self._lock:
            names = sorted(self._names, key=len, reverse=True)
        for name in names:
            if name in text:
                text = text.replace(name, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = self.scrub(message)
        if record.exc_info and record.exc_info[1] is not None:
            # Exception text is formatted later by the handler; render and scrub it now.
            scrubbed += "\n" + self.scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
            record.exc_text = None
        if scrubbed != message or record.args:
            record.msg, record.args = scrubbed, None
        return True


PII_FILTER = PiiFilter()
_installed = False


def install_pii_filter() -> None:
    """Scrub every log record of this process when it is created (whatever logger or handler it meets).

    A logger-level filter would miss records of child loggers, and handlers come and go (uvicorn,
    pytest's caplog), so the record factory is wrapped instead. Idempotent.
    """
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        PII_FILTER.filter(record)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
