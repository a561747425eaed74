"""One error family for the whole package; api.py and cli.py map it to HTTP codes and exit codes."""

from __future__ import annotations

__all__ = ["FangkongError", "NotFound", "Conflict", "InvalidInput", "Forbidden", "TooManyRequests"]


class FangkongError(Exception):
    status_code = 400

    def __init__(self, message: str, *, details: list | None = None, key: str | None = None,
                 params: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []
        #: the message's key in fangkong/kit/i18n.py (with its `params`): what a page shows the user in their
        #: language; `message` (English) stays the API's detail and the page's technical details
        self.key = key
        self.params = params or {}


class NotFound(FangkongError):
    status_code = 404


class Conflict(FangkongError):
    status_code = 409


class InvalidInput(FangkongError):
    status_code = 422


class Forbidden(FangkongError):
    status_code = 403


class TooManyRequests(FangkongError):
    """A client over its rate limit; `retry_after` is the Retry-After header (whole seconds)."""

    status_code = 429

    def __init__(self, message: str, *, retry_after: str) -> None:
        super().__init__(message)
        self.retry_after = retry_after
