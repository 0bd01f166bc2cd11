"""The token store: a JSON file with the newest refresh token, shared by processes.

Constant Contact rotates refresh tokens: each refresh returns a new one and invalidates the old.
A rotated token that is not saved is lost, and the next run fails with `invalid_grant`. So the
store is written atomically (temporary file in the same directory, fsync, rename, mode 0600,
directory 0700 when we create it) before the new access token is used, and a failed write is
an error, never a warning.

The store also keeps the access token and its expiry, so a second process (the target of the
same pipeline) reuses it instead of refreshing, and SHA-256 hashes of the refresh tokens it
replaced, so a config `refresh_token` that is one of them is known to be stale.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import stat
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filelock import FileLock, Timeout

from constantcontact_client.errors import ConfigError, CredentialsError
from constantcontact_client.redaction import secret_hash

if TYPE_CHECKING:
    from collections.abc import Iterator

LOGGER = logging.getLogger(__name__)
STORE_VERSION = 1
MAX_REPLACED_HASHES = 50
LOCK_TIMEOUT_SECONDS = 120.0


@dataclass
class StoredToken:
    """What the token store holds. Times are epoch seconds (UTC)."""

    client_id: str | None = None
    refresh_token: str | None = field(default=None, repr=False)
    access_token: str | None = field(default=None, repr=False)
    token_type: str = "Bearer"  # noqa: S105
    scope: str | None = None
    expires_at: float | None = None
    lifetime: float | None = None
    refreshed_at: float | None = None
    replaced_refresh_token_hashes: list[str] = field(default_factory=list)

    def knows_as_replaced(self, refresh_token: str) -> bool:
        """True when `refresh_token` is an ancestor of the stored one (so it is stale)."""
        return secret_hash(refresh_token) in self.replaced_refresh_token_hashes

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["version"] = STORE_VERSION
        if self.refreshed_at is not None:
            data["refreshed_at_utc"] = (
                dt.datetime.fromtimestamp(self.refreshed_at, dt.UTC)
                .isoformat()
                .replace("+00:00", "Z")
            )
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StoredToken:
        hashes = data.get("replaced_refresh_token_hashes") or []
        return cls(
            client_id=_opt_str(data.get("client_id")),
            refresh_token=_opt_str(data.get("refresh_token")),
            access_token=_opt_str(data.get("access_token")),
            token_type=str(data.get("token_type") or "Bearer"),
            scope=_opt_str(data.get("scope")),
            expires_at=_opt_float(data.get("expires_at")),
            lifetime=_opt_float(data.get("lifetime")),
            refreshed_at=_opt_float(data.get("refreshed_at")),
            replaced_refresh_token_hashes=[str(h) for h in hashes if isinstance(h, str)],
        )


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _opt_float(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


class TokenStore:
    """Read, write and lock one token store file."""

    def __init__(self, path: Path | str, *, lock_timeout: float = LOCK_TIMEOUT_SECONDS) -> None:
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self._lock_timeout = lock_timeout
        self._file_lock: FileLock | None = None

    def read(self) -> StoredToken | None:
        """The stored token, or None when the file does not exist.

        Raises:
            ConfigError: the file exists but is not a token store.
        """
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            mode = stat.S_IMODE(self.path.stat().st_mode)
        except OSError:
            mode = 0
        if mode & 0o077:
            LOGGER.warning(
                "Token store %s is readable by other users (mode %o); it will be rewritten "
                "with mode 0600 at the next refresh. Consider `chmod 600 %s`.",
                self.path,
                mode,
                self.path,
            )
        try:
            data = json.loads(text)
        except ValueError:
            raise ConfigError(
                f"token_store_path {self.path} is not valid JSON; delete it and re-run "
                "`constantcontact-login`.",
                setting="token_store_path",
            ) from None
        if not isinstance(data, dict):
            raise ConfigError(
                f"token_store_path {self.path} does not hold a token store object.",
                setting="token_store_path",
            )
        return StoredToken.from_json(data)

    def write(self, token: StoredToken) -> None:
        """Replace the store atomically with `token` (mode 0600).

        Raises:
            CredentialsError: the file could not be written; the message says what to do.
        """
        try:
            self._write_atomically(json.dumps(token.to_json(), indent=2, sort_keys=True) + "\n")
        except OSError as exc:
            raise CredentialsError(
                f"Could not save the OAuth tokens to token_store_path {self.path}: "
                f"{exc.strerror or exc}. The refresh token Constant Contact just issued "
                "replaced the previous one and is now lost; fix the path or its permissions, "
                "then re-run `constantcontact-login`."
            ) from exc

    def _write_atomically(self, text: str) -> None:
        directory = self.path.parent
        if not directory.exists():
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=f".{self.path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                os.fchmod(handle.fileno(), 0o600)
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_name, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
            raise
        _fsync_directory(directory)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the inter-process lock (`<store>.lock`) around a refresh."""
        directory = self.path.parent
        try:
            if not directory.exists():
                directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            if self._file_lock is None:
                self._file_lock = FileLock(
                    str(self.lock_path), timeout=self._lock_timeout, mode=0o600
                )
            self._file_lock.acquire()
        except Timeout:
            raise CredentialsError(
                f"Another process has held the token store lock {self.lock_path} for "
                f"{self._lock_timeout:.0f} s; is a token refresh stuck?"
            ) from None
        except OSError as exc:
            raise CredentialsError(
                f"Cannot lock the token store {self.lock_path}: {exc.strerror or exc}; check "
                "token_store_path and its directory's permissions."
            ) from exc
        try:
            yield
        finally:
            self._file_lock.release()


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def rotated(
    previous: StoredToken | None,
    *,
    client_id: str,
    used_refresh_token: str | None,
    response: dict[str, Any],
    now: float,
    refused_refresh_tokens: list[str] | tuple[str, ...] = (),
) -> StoredToken:
    """The store content after a successful token response.

    Hashes of every refresh token that the new one supersedes (the one just used, and the one
    the store held if different, and any the token endpoint just refused) are remembered so
    they are recognised as stale later.
    """
    new_refresh = _opt_str(response.get("refresh_token")) or used_refresh_token
    hashes = list(previous.replaced_refresh_token_hashes) if previous else []
    superseded = [used_refresh_token, previous.refresh_token if previous else None]
    for old in [*superseded, *refused_refresh_tokens]:
        if old and old != new_refresh:
            digest = secret_hash(old)
            if digest not in hashes:
                hashes.append(digest)
    if new_refresh:
        own = secret_hash(new_refresh)
        hashes = [h for h in hashes if h != own]
    lifetime = _opt_float(response.get("expires_in"))
    return StoredToken(
        client_id=client_id,
        refresh_token=new_refresh,
        access_token=_opt_str(response.get("access_token")),
        token_type=str(response.get("token_type") or "Bearer"),
        scope=_opt_str(response.get("scope")) or (previous.scope if previous else None),
        expires_at=now + lifetime if lifetime else None,
        lifetime=lifetime,
        refreshed_at=now,
        replaced_refresh_token_hashes=hashes[-MAX_REPLACED_HASHES:],
    )
