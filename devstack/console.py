"""What `make run` prints, and what goes to `<data-dir>/requests.log` instead.

The console keeps the banner, the stack's own start and stop lines, and every warning and
error. What each request or invocation writes goes to requests.log: the API's access log, the
app's own JSON output (Powertools log lines and EMF metric lines, what Lambda would send to
CloudWatch), queue batches, scheduled and fired functions, periodic snapshots. With `--verbose`
all of it is printed too.
"""

from __future__ import annotations

import io
import json
import logging
import logging.handlers
import sys
import threading
from pathlib import Path
from typing import TextIO

REQUESTS_LOG = "requests.log"
# Routine lines of each request or invocation: devstack modules log them here, not on "devstack".
ACTIVITY_LOGGER = "devstack.activity"
APP_OUTPUT_LOGGER = "devstack.app_output"
CONSOLE_LEVELS = {"WARNING", "ERROR", "CRITICAL"}
MAX_LOG_BYTES = 5 * 1024 * 1024


class _FileFormatter(logging.Formatter):
    """The app's JSON lines as they are (one JSON object a line, jq-friendly); our own lines timestamped."""

    def format(self, record: logging.LogRecord) -> str:
        if record.name == APP_OUTPUT_LOGGER:
            return record.getMessage()
        return super().format(record)


def wants_console(line: str) -> bool:
    """The app's JSON lines reach the console only at WARNING and above; anything else always does."""
    text = line.strip()
    if not text.startswith("{"):
        return True
    try:
        parsed = json.loads(text)
    except ValueError:
        return True
    return isinstance(parsed, dict) and str(parsed.get("level", "")).upper() in CONSOLE_LEVELS


class AppOutput(io.TextIOBase):
    """sys.stdout while the stack runs: each complete line goes to requests.log, and to the console
    unless it is routine JSON output of the app (see `wants_console`)."""

    def __init__(self, console: TextIO, verbose: bool):
        super().__init__()
        self.console = console
        self.verbose = verbose
        self._partial = threading.local()  # print() writes a line in pieces; threads must not mix theirs
        self._file = logging.getLogger(APP_OUTPUT_LOGGER)

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.console, "encoding", "utf-8")

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self.console.isatty()

    def fileno(self) -> int:
        return self.console.fileno()

    def write(self, text: str) -> int:
        pending = getattr(self._partial, "text", "") + text
        *lines, self._partial.text = pending.split("\n")
        for line in lines:
            self._route(line)
        return len(text)

    def flush(self) -> None:
        self.console.flush()

    def _route(self, line: str) -> None:
        if line.strip():
            self._file.info(line)
        if self.verbose or wants_console(line):
            self.console.write(line + "\n")
            self.console.flush()


def configure(data_dir: Path, verbose: bool) -> Path:
    """Send the activity loggers to `<data_dir>/requests.log` (returned); the app's output goes there
    once sys.stdout is an `AppOutput`."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / REQUESTS_LOG
    to_file = logging.handlers.RotatingFileHandler(path, maxBytes=MAX_LOG_BYTES, backupCount=1, encoding="utf-8")
    to_file.setFormatter(_FileFormatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
    for name in (ACTIVITY_LOGGER, APP_OUTPUT_LOGGER):
        logger = logging.getLogger(name)
        for old in list(logger.handlers):
            logger.removeHandler(old)
            old.close()
        logger.addHandler(to_file)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    if verbose:
        to_console = logging.StreamHandler(sys.stderr)
        to_console.setFormatter(logging.Formatter("%(asctime)s devstack %(message)s", "%H:%M:%S"))
        logging.getLogger(ACTIVITY_LOGGER).addHandler(to_console)
    return path
