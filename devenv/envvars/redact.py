"""The one redaction helper: every line devenv prints passes through it once secrets are known."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

MASK = "***"
# Shorter values would mask digits and words all over the output (line numbers, "on", "1");
# such values are still masked wherever devenv prints a value field, just not in free text.
MIN_LENGTH = 3


def _variants(value: str) -> set[str]:
    """The forms a value takes in output: raw, JSON-escaped, and each line of a multi-line value."""
    forms = {value, json.dumps(value)[1:-1], repr(value)[1:-1]}
    forms.update(line for line in value.splitlines() if len(line.strip()) >= MIN_LENGTH)
    return {f for f in forms if len(f) >= MIN_LENGTH}


class Redactor:
    """Replaces every raw secret value in a text with `***` (longest first, so overlaps mask fully)."""

    def __init__(self, secret_values: Iterable[str]):
        forms: set[str] = set()
        for value in secret_values:
            if value and len(value) >= MIN_LENGTH:
                forms |= _variants(value)
        ordered = sorted(forms, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(f) for f in ordered)) if ordered else None

    def redact(self, text: str) -> str:
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(MASK, text)
