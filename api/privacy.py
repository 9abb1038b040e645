"""Keep rider names and phone numbers out of logs.

Code logs rider ids only; this filter is the safety net for what slips through (an exception message
that quotes a request body, a library logging a URL with a query). It masks phone-number-like digit
runs and every name registered in this process.
"""

from __future__ import annotations

import logging
import re
import threading

# Digit groups with phone separators; a candidate is a phone number when its digits are a Japanese number
# (10-11 digits from 0, or +81 and 9-10 more). Dates, times and ids do not qualify.
_PHONE_CANDIDATE = re.compile(r"(?<![\w\-+])\+?\(?\d[\d\s()\-]{7,18}\d(?![\w])")
_ACCESS_LOGGER = "uvicorn.access"
MASK = "[redacted]"


def _is_phone(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    if candidate.lstrip("(").startswith("+81") or (digits.startswith("81") and candidate.startswith("+")):
        return 11 <= len(digits) <= 12
    return digits.startswith("0") and digits[1:2] != "0" and 10 <= len(digits) <= 11  # "00": not a number


def _mask_phone(match: re.Match[str]) -> str:
    text = match.group(0)
    if _is_phone(text):
        return MASK
    # a phone may follow other digits in one candidate ("2 0274 62 1234"): try each start
    for start in range(1, len(text)):
        if text[start].isdigit() and not text[start - 1].isdigit() and _is_phone(text[start:]):
            return text[:start] + MASK
    return text


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
        text = _PHONE_CANDIDATE.sub(_mask_phone, text)
        with self._lock:
            names = sorted(self._names, key=len, reverse=True)
        for name in names:
            if name in text:
                text = text.replace(name, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == _ACCESS_LOGGER and isinstance(record.args, tuple) and len(record.args) == 5:
            # uvicorn's access line: keep its 5-tuple shape, drop the query string (phone and name searches)
            client, method, path, version, status = record.args
            record.args = (client, method, str(path).split("?", 1)[0], version, status)
            return True
        if isinstance(record.msg, str):
            record.msg = self.scrub(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(self.scrub(a) if isinstance(a, str) else a for a in record.args)
        message = record.getMessage()
        scrubbed = self.scrub(message)
        if record.exc_info and record.exc_info[1] is not None:
            # Exception text is formatted later by the handler; render and scrub it now.
            scrubbed += "\n" + self.scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
            record.exc_text = None
        if scrubbed != message:  # PII reached the text through a non-string argument: keep the scrubbed text
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
