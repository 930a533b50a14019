"""Link tokens: random, looked up by their SHA-256, never stored in the clear."""

from __future__ import annotations

import hashlib
import hmac
import base64
import secrets

from flask import current_app

#: 128 bits of randomness in each nonce, 256 in each token.
NONCE_BYTES = 16


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def new_nonce() -> str:
    return secrets.token_hex(NONCE_BYTES)


def invitation_token(nonce: str) -> str:
    """The invitation's link token, re-derived from its random nonce and the secret key, so a
    reminder can carry the same link without the database holding the token."""
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, b"invitation-token:" + nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def new_slug() -> str:
    """Open-link slug: 96 random bits, URL-safe."""
    return secrets.token_urlsafe(12)
