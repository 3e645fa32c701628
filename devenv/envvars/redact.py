"""The one redaction helper: every line devenv prints passes through it once secrets are known."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

MASK = "***"
# Shorter values would mask digits and words all over the output (line numbers, "on", "1");
# such values are still masked wherever devenv prints a value field, just not in free text.
MIN_LENGTH = 3


# `scheme://user:password@`: the password runs to the last `@` before the path (an unescaped
# `@` in a password is common enough)
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@'\"]*):[^/\s'\"]*@")


def mask_url_credentials(text: str) -> str:
    """`https://u:pw@host/team` -> `https://u:***@host/team`: a password written into a URL
    (a registry address) is not shown, whoever prints it."""
    return _URL_PASSWORD.sub(rf"\1:{MASK}@", text) if "://" in text else text


def _variants(value: str) -> set[str]:
    """The forms a value takes in output: raw, JSON-escaped, and each line of a multi-line value."""
    forms = {value, json.dumps(value)[1:-1], repr(value)[1:-1]}
    forms.update(line for line in value.splitlines() if len(line.strip()) >= MIN_LENGTH)
    return {f for f in forms if len(f) >= MIN_LENGTH}


class Shown(str):
    """A name, or the value of a variable that is not secret, in a JSON document: its own flag
    decided it is shown. Equal to a secret, it stays as it is (`***` there would tell which
    secret holds that public value); a secret inside a longer one is still masked."""

    __slots__ = ()


class Redactor:
    """Replaces every raw secret value in a text with `***` (longest first, so overlaps mask fully)."""

    def __init__(self, secret_values: Iterable[str]):
        forms: set[str] = set()
        self._raw: set[str] = set()
        for value in secret_values:
            if value:
                self._raw.add(value)
            if value and len(value) >= MIN_LENGTH:
                forms |= _variants(value)
        ordered = sorted(forms, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(f) for f in ordered)) if ordered else None

    @property
    def secrets(self) -> frozenset[str]:
        """The raw values it masks (to build a redactor that knows a few more)."""
        return frozenset(self._raw)

    def redact(self, text: str) -> str:
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(MASK, text)

    def redact_doc(self, doc: Any) -> Any:
        """A JSON document with every string value redacted, before it is serialized: keys,
        booleans, numbers and null stay as they are, so the JSON is valid and its field names
        intact whatever a secret's text (`true`, `"`, `value`). Other objects become text first."""
        if isinstance(doc, Shown):
            return str(doc) if doc in self._raw else self.redact(doc)
        if isinstance(doc, str):
            return self.redact(doc)
        if isinstance(doc, dict):
            return {key: self.redact_doc(value) for key, value in doc.items()}
        if isinstance(doc, (list, tuple)):
            return [self.redact_doc(value) for value in doc]
        if doc is None or isinstance(doc, (bool, int, float)):
            return doc
        return self.redact(str(doc))
