"""API token authentication with an expiry (``settings.API_TOKEN_DAYS`` after the token was issued)."""

from __future__ import annotations

import datetime as dt

from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from accounts.services import is_token_expired, token_expires_at


class ExpiringTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if is_token_expired(token):
            expired = token_expires_at(token).astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
            raise exceptions.AuthenticationFailed(
                {
                    "code": "token_expired",
                    "detail": f"This API token expired on {expired}; get a new one from POST /api/v1/auth/token/.",
                }
            )
        return user, token
