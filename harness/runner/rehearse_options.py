"""Values of ``rehearse``'s options, kept free of imports: the CLI builds every
command's parser on start-up, and this module is all ``rehearse`` needs for it."""

from __future__ import annotations

#: ``--expect-auth``: what a rehearsal expects of the handshake (``auto``: from the
#: two configs; ``none``: no expectation) or one of the scenario's auth outcomes.
AUTH_CHOICES: tuple[str, ...] = (
    "auto",
    "none",
    "mutual-certificate",
    "psk",
    "server-certificate+fix-credentials",
)
