"""Shared Constant Contact v3 API client: OAuth tokens, rate limits, errors and paging.

Used by tap-constantcontact and target-constantcontact; see docs/CONTRACTS.md.
"""

from constantcontact_client.auth import TokenManager
from constantcontact_client.client import ConstantContactClient
from constantcontact_client.errors import (
    ConfigError,
    ConflictError,
    ConstantContactError,
    CredentialsError,
    NotFoundError,
    PayloadError,
    QueueFullError,
    QuotaExceededError,
    RetriableError,
    RunBudgetExceededError,
    ScopeError,
    ThrottledError,
)
from constantcontact_client.ratelimit import RateLimiter
from constantcontact_client.redaction import redact
from constantcontact_client.settings import CLIENT_SETTINGS, ClientSettings
from constantcontact_client.tokenstore import StoredToken, TokenStore
from constantcontact_client.usage import Usage

__all__ = [
    "CLIENT_SETTINGS",
    "ClientSettings",
    "ConfigError",
    "ConflictError",
    "ConstantContactClient",
    "ConstantContactError",
    "CredentialsError",
    "NotFoundError",
    "PayloadError",
    "QueueFullError",
    "QuotaExceededError",
    "RateLimiter",
    "RetriableError",
    "RunBudgetExceededError",
    "ScopeError",
    "StoredToken",
    "ThrottledError",
    "TokenManager",
    "TokenStore",
    "Usage",
    "redact",
]
