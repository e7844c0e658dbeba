"""The progress line long commands draw on a terminal, and the error that stops a
command."""

from __future__ import annotations

import shutil
import sys
import time
from typing import TextIO


class CliError(Exception):
    """A problem with the inputs that stops a command; its message names the file."""


class Progress:
    """A one-line progress display on stderr. It draws only when the stream is a terminal
    (never into a pipe or a log), at most ten times a second, and erases itself when done."""

    def __init__(self, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self._stream = stream if stream is not None else sys.stderr
        if enabled is None:
            isatty = getattr(self._stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self.enabled = enabled
        self._drawn = 0
        self._last = 0.0

    def show(self, text: str) -> None:
        """Replaces the line with ``text`` unless the last drawing is under 0.1 s old."""
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.1:
            return
        self._last = now
        text = text[: max(10, shutil.get_terminal_size().columns - 1)]
        self._stream.write("\r" + text + " " * max(0, self._drawn - len(text)))
        self._stream.flush()
        self._drawn = len(text)

    def clear(self) -> None:
        """Erases the line, so that what is printed next starts clean."""
        if self._drawn:
            self._stream.write("\r" + " " * self._drawn + "\r")
            self._stream.flush()
            self._drawn = 0
        self._last = 0.0


def bar(done: int, total: int, width: int = 24) -> str:
    fraction = min(1.0, done / total) if total else 0.0
    filled = int(fraction * width)
    return f"[{'#' * filled}{'.' * (width - filled)}] {fraction * 100:3.0f}%"


def human(n: int) -> str:
    if n < 1024:
        return f"{n:,} bytes"
    value = float(n)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        value /= 1024
        if value < 1024 or unit == "TiB":
            break
    return f"{value:.1f} {unit} ({n:,} bytes)"
