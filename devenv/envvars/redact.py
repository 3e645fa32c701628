"""The one redaction helper: every line devenv prints passes through it once secrets are known.

Structured output (a JSON document, a table of variables) masks a value by its own flag: a
secret variable's value is `***` whatever its text, a public one is shown even when it equals a
secret (`Shown`). Free text (log lines, messages, sources) is searched for the secrets' text,
and how depends on the text (docs/env.md, "Secrets in free text"):

- a value of 8 characters or more that is not a common word is masked wherever it occurs, even
  inside a longer word — as before, nothing it could be part of is spared;
- a shorter one (`x7Kq2`) is masked where it stands as a token: not inside a longer word, path
  or name (`abc` stays in `abcdef`, `s3/` in a path);
- a common word (`secret`, `postgres`, `password`, `admin`, ...: COMMON_WORDS) is masked only
  where it stands as a value — `KEY=word`, `key: word` after a secret-looking key, `user:word@`
  in a URL, a quoted `"word"`, or the whole text. Masking it everywhere mangles unrelated text
  (`***s file`, `***-entrypoint`) and, worse, tells the reader the secret by where the masks fall.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

MASK = "***"
# Shorter values would mask digits and words all over the output (line numbers, "on", "1");
# such values are still masked wherever devenv prints a value field, just not in free text.
MIN_LENGTH = 3
# From this length on, a value that is not a common word is masked even inside longer words.
SUBSTRING_LENGTH = 8
# Words (lower case) that default passwords, users and placeholders are made of: as a secret's
# value they are masked only where they stand as a value.
COMMON_WORDS = frozenset({
    "admin", "administrator", "api", "app", "auth", "changeme", "changethis", "database", "db",
    "default", "demo", "dev", "develop", "development", "devenv", "docker", "example", "false",
    "guest", "key", "letmein", "local", "localhost", "main", "mariadb", "master", "mysql", "no",
    "none", "null", "off", "on", "pass", "passwd", "password", "postgres", "postgresql", "prod",
    "production", "qwerty", "redis", "root", "sample", "secret", "secrets", "staging", "test",
    "testing", "token", "true", "user", "value", "welcome", "yes",
})  # fmt: skip

# A token ends where no name, path or word goes on (`abc.` ends a sentence; `abc.txt`, `abc:5432`
# and `abc/` go on); it starts where none came before.
_STARTS = r"(?<![\w/+.-])"
_ENDS = r"(?![\w/+-]|[.:][\w/])"
# Where a common word stands as a value: after `=` (and a quote), after a secret-looking key and
# `:`/`=`, between `://user:` and `@`, or alone in quotes.
_VALUE_BEFORE = (
    r"(?:=[\"']?"
    r"|(?i:pass(?:word|wd)?|pwd|secret|token|key|auth|credentials?)[\"']?[ \t]*[:=][ \t]*[\"']?"
    r"|://[^\s/@:]*:"
    r"|(?<![\w])[\"'])"
)


def tier(value: str) -> str:
    """How free text is searched for `value`: "anywhere", "token" or "value" (see the module)."""
    if value.lower() in COMMON_WORDS:
        return "value"
    return "anywhere" if len(value) >= SUBSTRING_LENGTH else "token"


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
    """Replaces the secret values in a text with `***` (longest first, so overlaps mask fully),
    each where its `tier` says."""

    def __init__(self, secret_values: Iterable[str]):
        forms: set[str] = set()
        self._raw: set[str] = set()
        for value in secret_values:
            if value:
                self._raw.add(value)
            if value and len(value) >= MIN_LENGTH:
                forms |= _variants(value)
        ordered = sorted(forms, key=len, reverse=True)
        self._words = {f for f in ordered if tier(f) == "value"}
        loose = [
            re.escape(f) if tier(f) == "anywhere" else _STARTS + re.escape(f) + _ENDS
            for f in ordered
            if f not in self._words
        ]
        self._pattern = re.compile("|".join(loose)) if loose else None
        words = "|".join(re.escape(f) for f in ordered if f in self._words)
        self._word_pattern = re.compile(f"({_VALUE_BEFORE})(?:{words}){_ENDS}") if words else None

    @property
    def secrets(self) -> frozenset[str]:
        """The raw values it masks (to build a redactor that knows a few more)."""
        return frozenset(self._raw)

    def redact(self, text: str) -> str:
        if not text:
            return text
        if text.strip() in self._words:
            return text.replace(text.strip(), MASK)
        if self._pattern is not None:
            text = self._pattern.sub(MASK, text)
        if self._word_pattern is not None:
            text = self._word_pattern.sub(lambda m: m.group(1) + MASK, text)
        return text

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
