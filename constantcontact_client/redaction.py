"""Keep contact emails and secrets out of messages and logs.

Error bodies from the API can quote the email address a request was about, and URLs can carry
`email=` filters. Everything the client raises or logs passes through `redact` first.
"""

from __future__ import annotations

import hashlib
import logging
import re

# Plain and URL-encoded (`%40`) addresses, as they appear in API messages and query strings.
_EMAIL = re.compile(
    r"(?P<local>[A-Za-z0-9._%+'-]+)(?P<at>@|%40)(?P<domain>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)",
    re.IGNORECASE,
)
# Bearer tokens and token-like form fields, should a message ever echo one: long values with a
# digit, so prose such as "refresh_token: missing" is left alone.
_SECRET_FIELD = re.compile(
    r"(?P<name>(?:access|refresh|id)_token|client_secret|code_verifier|\bcode|Bearer)"
    r"(?P<sep>[\"']?\s*[:=]\s*[\"']?|\s+)(?P<value>(?=[^\s\"'&,;]*\d)[A-Za-z0-9._~+/=-]{16,})",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """Mask every email address and token-like value in `text`."""

    text = _EMAIL.sub(
        lambda m: f"{m.group('local')[:1]}***{m.group('at')}{m.group('domain')}", text
    )
    return _SECRET_FIELD.sub(
        lambda m: f"{m.group('name')}{m.group('sep')}<redacted>",
        text,
    )


def fingerprint(secret: str | None) -> str:
    """A short, non-reversible name for a secret, safe for DEBUG logs: `sha256:1a2b3c4d`."""
    if not secret:
        return "<none>"
    return "sha256:" + hashlib.sha256(secret.encode()).hexdigest()[:8]


def secret_hash(secret: str) -> str:
    """The full SHA-256 hex digest the token store keeps for replaced refresh tokens."""
    return hashlib.sha256(secret.encode()).hexdigest()


class RedactingFilter(logging.Filter):
    """Masks emails and tokens in the records of a third-party logger."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the emitter's problem, not ours
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


_FILTER = RedactingFilter()


def install_log_redaction(logger_names: tuple[str, ...] = ("urllib3.connectionpool",)) -> None:
    """urllib3 logs request lines (with `?email=` filters) at DEBUG; mask them. Idempotent."""
    for name in logger_names:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
