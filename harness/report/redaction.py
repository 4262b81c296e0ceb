"""The last line of defence for secrets: scan rendered output before writing it.

Secrets (FIX passwords, RawData, PSK keys, proxy passwords, private keys) are meant
to be redacted long before a report is rendered. This net does not redact: it
checks each rendered document for every secret the caller names, in the encodings
the writers use (raw, HTML/XML-escaped, JSON-escaped), and refuses to write when one
is found. The error names the format and the secret's position in the caller's
list, never the secret itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from html import escape

from harness.errors import HarnessError


class SecretLeakError(HarnessError):
    """A rendered report contains a secret; nothing was written."""


def _forms(secret: str) -> set[str]:
    return {
        secret,
        escape(secret, quote=True),
        escape(secret, quote=False),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        # Markdown: pipes and tags escaped, whitespace runs folded to one space
        " ".join(secret.replace("|", "\\|").replace("<", "\\<").split()),
        " ".join(secret.split()),
    } - {""}


def check_no_secrets(rendered: Mapping[str, str], secrets: Iterable[str]) -> None:
    """Raise :class:`SecretLeakError` if any rendered document contains a secret.

    Args:
        rendered: format name → document text.
        secrets: every secret of the run; empty strings are ignored.
    """
    for index, secret in enumerate(secrets):
        if not secret:
            continue
        forms = _forms(secret)
        for fmt, text in rendered.items():
            if any(form in text for form in forms):
                raise SecretLeakError(
                    f"refusing to write reports: the {fmt} report contains secret #{index + 1} "
                    "of the run (a FIX password, RawData, PSK key or similar); "
                    "it must be redacted before it reaches a result"
                )
