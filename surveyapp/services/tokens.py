"""Link tokens: random, looked up by their SHA-256, never stored in the clear.

Comparing secrets in constant time (reviewed for the security work, issue 7):

* An invitation token is never compared as itself. The database holds only ``sha256(token)``
  and the link is found with ``WHERE token_hash = sha256(presented)``. An index lookup or a
  string comparison can take longer the more leading characters match, but what is compared is
  a hash: an attacker who could time how much of ``sha256(guess)`` matches a stored hash learns
  at most part of that hash, and even the whole hash does not give the token (SHA-256 cannot be
  run backwards), so no timing leak reaches the token. The same holds for draft and receipt keys
  (``sha256("draft:" + token)``, ``sha256("submit:open:" + browser key)``).
* Secrets compared in Python use :func:`hmac.compare_digest` (or :func:`secrets.compare_digest`,
  the same function): the staff session nonce (``services.users.load_user``), and, inside the
  libraries, the CSRF token (Flask-WTF), the session cookie's signature (itsdangerous) and
  passwords (argon2-cffi, which also runs for unknown emails so timing does not reveal them).
* An open-link slug is looked up as itself. It is a shareable code printed on posters, not a
  credential: it lets anyone answer anonymously and read a published summary, nothing more, and
  it holds 96 random bits, so it is not worth hashing.

Guessing is hopeless anyway (256-bit tokens); rate limits per client address
(``TOKEN_LINK_RATE_LIMIT``) keep made-up links from loading the app.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
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
