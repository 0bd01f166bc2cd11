"""Settings shared by tap-constantcontact and target-constantcontact.

`CLIENT_SETTINGS` is the singer-sdk schema both plugins extend; `ClientSettings.from_config`
turns a plugin config into validated values, raising `ConfigError` with one line naming the
setting before any request is sent.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from singer_sdk import typing as th

from constantcontact_client.errors import ConfigError

DEFAULT_API_URL = "https://api.cc.email/v3"
DEFAULT_TOKEN_URL = "https://authz.constantcontact.com/oauth2/default/v1/token"  # noqa: S105


def _distribution_version() -> str:
    try:
        return version("tap-constantcontact")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


DEFAULT_USER_AGENT = f"constantcontact-singer/{_distribution_version()}"
RATE_LIMIT_BACKEND_SCHEMES = ("memory", "sqlite", "postgresql", "redis")
LOCAL_RATE_LIMIT_BACKEND = "local"
LOCAL_RATE_LIMIT_FILE = "ratelimit.sqlite"

_STORE_PATH_DEFAULT_DOC = (
    "`$XDG_STATE_HOME/constantcontact/<first 16 hex digits of sha256(client_id)>.json` "
    "(`$XDG_STATE_HOME` defaults to `~/.local/state`)"
)

CLIENT_SETTINGS = th.PropertiesList(
    th.Property(
        "client_id",
        th.StringType(nullable=False),
        required=True,
        title="Client ID",
        description="The API key (client id) of your Constant Contact application.",
    ),
    th.Property(
        "client_secret",
        th.StringType,
        secret=True,
        title="Client Secret",
        description=(
            "The application's client secret, sent with HTTP Basic auth to the token endpoint. "
            "Leave empty for a PKCE (public) application."
        ),
    ),
    th.Property(
        "refresh_token",
        th.StringType,
        secret=True,
        title="Refresh Token",
        description=(
            "An OAuth refresh token from `constantcontact-login`. Constant Contact rotates it "
            "on every refresh; the newest one is kept in the token store, which wins over this "
            "value once this one has been used."
        ),
    ),
    th.Property(
        "access_token",
        th.StringType,
        secret=True,
        title="Access Token",
        description=(
            "Optional access token for short jobs and tests. Without a refresh token it cannot "
            "be renewed when it expires."
        ),
    ),
    th.Property(
        "token_store_path",
        th.StringType,
        title="Token Store Path",
        description=(
            "JSON file (mode 0600) holding the latest rotated refresh token and the current "
            "access token, shared by every process of this application on this machine. "
            f"Default: {_STORE_PATH_DEFAULT_DOC}."
        ),
    ),
    th.Property(
        "api_url",
        th.StringType,
        default=DEFAULT_API_URL,
        title="API URL",
        description="Base URL of the Constant Contact v3 API (or of the local emulator).",
    ),
    th.Property(
        "token_url",
        th.StringType,
        default=DEFAULT_TOKEN_URL,
        title="Token URL",
        description="OAuth 2 token endpoint used to refresh access tokens.",
    ),
    th.Property(
        "requests_per_second",
        th.IntegerType(minimum=1),
        default=4,
        title="Requests per Second",
        description=(
            "The application's per-second request limit (4 for standard keys, 10 for raised "
            "partner keys). Calls are paced slightly below it so no 429 is provoked."
        ),
    ),
    th.Property(
        "daily_request_limit",
        th.IntegerType(minimum=1),
        default=10000,
        title="Daily Request Limit",
        description=(
            "The application's daily quota (resets at 00:00 UTC). Calls beyond it are refused "
            "locally before the API would."
        ),
    ),
    th.Property(
        "max_requests_per_run",
        th.IntegerType(minimum=1),
        title="Max Requests per Run",
        description="Optional cap on the API calls one run may spend; the run stops cleanly there.",
    ),
    th.Property(
        "max_retries",
        th.IntegerType(minimum=0),
        default=5,
        title="Max Retries",
        description="Retries of a call after a 429 throttle, a 5xx or a connection error.",
    ),
    th.Property(
        "request_timeout",
        th.NumberType,
        default=120,
        title="Request Timeout",
        description="Seconds to wait for an API response before retrying.",
    ),
    th.Property(
        "user_agent",
        th.StringType,
        title="User Agent",
        description=f"User-Agent header of API calls. Default: `{DEFAULT_USER_AGENT}`.",
    ),
    th.Property(
        "rate_limit_backend",
        th.StringType,
        default=LOCAL_RATE_LIMIT_BACKEND,
        secret=True,  # a postgresql:// or redis:// URL may carry a password
        title="Rate Limit Backend",
        description=(
            "Where the per-second and daily counters live. The limits belong to the "
            "application (client_id), so every process using it should share them: `local` "
            "(the default: a SQLite file `ratelimit.sqlite` next to the token store, shared by "
            "every process on this machine, such as the tap and the target of one pipeline), "
            "`memory` (this process only), `sqlite:///relative/path.db` or "
            "`sqlite:////absolute/path.db`, `postgresql://user@host/db` or `redis://host:6379/0` "
            "(many machines; `pip install 'tap-constantcontact[postgres]'` or `[redis]`)."
        ),
    ),
)


def default_token_store_path(client_id: str) -> Path:
    """`$XDG_STATE_HOME/constantcontact/<sha256(client_id)[:16]>.json`."""
    state_home = os.environ.get("XDG_STATE_HOME") or str(Path("~/.local/state").expanduser())
    digest = hashlib.sha256(client_id.encode()).hexdigest()[:16]
    return Path(state_home) / "constantcontact" / f"{digest}.json"


def local_rate_limit_backend(token_store_path: Path) -> str:
    """What `local` means: a SQLite file next to the token store, shared on this machine."""
    return f"sqlite:///{Path(token_store_path).parent.resolve() / LOCAL_RATE_LIMIT_FILE}"


# Token stores whose credentials `from_config` has checked, by (path, client_id): the file's
# identity then. The plugins build their settings twice (validate, then run); an unchanged file
# is not read and parsed again. An atomic rewrite changes the inode, so it is checked again.
_CHECKED_STORES: dict[tuple[Path, str], tuple[int, int, int]] = {}


@dataclass(frozen=True)
class ClientSettings:
    """Validated client settings; build with `from_config`."""

    client_id: str
    token_store_path: Path
    client_secret: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    access_token: str | None = field(default=None, repr=False)
    api_url: str = DEFAULT_API_URL
    token_url: str = DEFAULT_TOKEN_URL
    requests_per_second: int = 4
    daily_request_limit: int = 10000
    max_requests_per_run: int | None = None
    max_retries: int = 5
    request_timeout: float = 120.0
    user_agent: str = DEFAULT_USER_AGENT
    # A postgresql:// or redis:// URL may carry a password: kept out of repr.
    rate_limit_backend: str = field(default=LOCAL_RATE_LIMIT_BACKEND, repr=False)

    def __post_init__(self) -> None:
        if self.rate_limit_backend == LOCAL_RATE_LIMIT_BACKEND:
            # Resolved here, so direct construction gets the schema's default as from_config does.
            object.__setattr__(
                self, "rate_limit_backend", local_rate_limit_backend(self.token_store_path)
            )

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ClientSettings:
        """Validate a plugin config (other plugin settings are ignored).

        Raises:
            ConfigError: one line naming the first bad setting.
        """
        client_id = _text(config, "client_id")
        if not client_id:
            raise ConfigError(
                "client_id is required: set it to your Constant Contact application's API key.",
                setting="client_id",
            )
        store_text = _text(config, "token_store_path")
        store_path = (
            Path(os.path.expandvars(store_text)).expanduser()
            if store_text
            else default_token_store_path(client_id)
        )
        if store_path.is_dir():
            raise ConfigError(
                f"token_store_path must be a file path, but {store_path} is a directory.",
                setting="token_store_path",
            )
        settings = cls(
            client_id=client_id,
            client_secret=_text(config, "client_secret"),
            refresh_token=_text(config, "refresh_token"),
            access_token=_text(config, "access_token"),
            token_store_path=store_path,
            api_url=_url(config, "api_url", DEFAULT_API_URL),
            token_url=_url(config, "token_url", DEFAULT_TOKEN_URL),
            requests_per_second=_positive_int(config, "requests_per_second", 4),
            daily_request_limit=_positive_int(config, "daily_request_limit", 10000),
            max_requests_per_run=_optional_positive_int(config, "max_requests_per_run"),
            max_retries=_non_negative_int(config, "max_retries", 5),
            request_timeout=_positive_number(config, "request_timeout", 120.0),
            user_agent=_text(config, "user_agent") or DEFAULT_USER_AGENT,
            rate_limit_backend=_backend(config),
        )
        settings._check_credentials()
        return settings

    @property
    def api_origin(self) -> str:
        """`https://api.cc.email`: scheme and host of `api_url`."""
        parts = urlsplit(self.api_url)
        return f"{parts.scheme}://{parts.netloc}"

    def _check_credentials(self) -> None:
        if self.refresh_token or self.access_token:
            return
        # Imported here: the token store module imports these settings' errors.
        from constantcontact_client.tokenstore import TokenStore  # noqa: PLC0415

        key = (self.token_store_path, self.client_id)
        identity = _file_identity(self.token_store_path)
        if identity is not None and _CHECKED_STORES.get(key) == identity:
            return
        try:
            stored = TokenStore(self.token_store_path).read()
        except ConfigError:
            raise
        except Exception as exc:
            raise ConfigError(
                f"token_store_path {self.token_store_path} cannot be read: {exc}",
                setting="token_store_path",
            ) from exc
        if stored is None or not (stored.refresh_token or stored.access_token):
            raise ConfigError(
                "refresh_token is not set and the token store "
                f"({self.token_store_path}) holds no token: run `constantcontact-login` "
                "(or set refresh_token, or access_token for a short job).",
                setting="refresh_token",
            )
        if stored.client_id and stored.client_id != self.client_id:
            raise ConfigError(
                f"token_store_path {self.token_store_path} holds tokens of another client_id; "
                "point token_store_path elsewhere or re-run `constantcontact-login`.",
                setting="token_store_path",
            )
        if identity is not None:
            _CHECKED_STORES[key] = identity


def _file_identity(path: Path) -> tuple[int, int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return (status.st_ino, status.st_size, status.st_mtime_ns)


def _raw(config: Mapping[str, Any], name: str) -> Any:
    value = config.get(name)
    return None if value == "" else value


def _text(config: Mapping[str, Any], name: str) -> str | None:
    value = _raw(config, name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{name} must be a string.", setting=name)
    return value.strip() or None


def _url(config: Mapping[str, Any], name: str, default: str) -> str:
    value = _text(config, name) or default
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigError(
            f"{name} must be an http(s) URL such as {default}; got {value!r}.", setting=name
        )
    if parts.query or parts.fragment:
        raise ConfigError(f"{name} must not have a query string or fragment.", setting=name)
    return value.rstrip("/")


def _number(config: Mapping[str, Any], name: str) -> float | None:
    value = _raw(config, name)
    if value is None:
        return None
    if isinstance(value, bool):
        raise ConfigError(f"{name} must be a number, not {value!r}.", setting=name)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number; got {value!r}.", setting=name) from None
    if not math.isfinite(number):
        raise ConfigError(f"{name} must be a finite number; got {value!r}.", setting=name)
    return number


def _int(config: Mapping[str, Any], name: str) -> int | None:
    number = _number(config, name)
    if number is None:
        return None
    if not number.is_integer():
        raise ConfigError(f"{name} must be a whole number; got {number:g}.", setting=name)
    return int(number)


def _positive_int(config: Mapping[str, Any], name: str, default: int) -> int:
    value = _int(config, name)
    if value is None:
        return default
    if value < 1:
        raise ConfigError(f"{name} must be at least 1; got {value}.", setting=name)
    return value


def _optional_positive_int(config: Mapping[str, Any], name: str) -> int | None:
    value = _int(config, name)
    if value is not None and value < 1:
        raise ConfigError(f"{name} must be at least 1 when set; got {value}.", setting=name)
    return value


def _non_negative_int(config: Mapping[str, Any], name: str, default: int) -> int:
    value = _int(config, name)
    if value is None:
        return default
    if value < 0:
        raise ConfigError(f"{name} must be 0 or more; got {value}.", setting=name)
    return value


def _positive_number(config: Mapping[str, Any], name: str, default: float) -> float:
    value = _number(config, name)
    if value is None:
        return default
    if value <= 0:
        raise ConfigError(f"{name} must be more than 0; got {value:g}.", setting=name)
    return value


def _backend(config: Mapping[str, Any]) -> str:
    value = _text(config, "rate_limit_backend") or LOCAL_RATE_LIMIT_BACKEND
    if value == LOCAL_RATE_LIMIT_BACKEND:
        return value  # resolved by ClientSettings.__post_init__
    scheme = value.split(":", 1)[0].lower()
    scheme = {"postgres": "postgresql", "rediss": "redis"}.get(scheme, scheme)
    shown = safe_backend_name(value)
    if scheme not in RATE_LIMIT_BACKEND_SCHEMES or (scheme == "memory" and value != "memory"):
        raise ConfigError(
            "rate_limit_backend must be `local`, `memory`, `sqlite:///path`, `postgresql://...` or "
            f"`redis://...`; got {shown!r}.",
            setting="rate_limit_backend",
        )
    if scheme == "sqlite" and not value.startswith("sqlite:///"):
        raise ConfigError(
            "rate_limit_backend: a SQLite backend is `sqlite:///relative.db` or "
            f"`sqlite:////absolute/path.db`; got {shown!r}.",
            setting="rate_limit_backend",
        )
    if scheme == "sqlite" and not value.removeprefix("sqlite:///"):
        raise ConfigError(
            "rate_limit_backend: the SQLite backend needs a file path after `sqlite:///`.",
            setting="rate_limit_backend",
        )
    if scheme in {"postgresql", "redis"} and not urlsplit(value).hostname:
        raise ConfigError(
            f"rate_limit_backend: the {scheme} URL needs a host; got {shown!r}.",
            setting="rate_limit_backend",
        )
    return value


def safe_backend_name(value: str) -> str:
    """The backend URL without its password, for messages and logs."""
    parts = urlsplit(value)
    if parts.password is None:
        return value
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()
