"""The "stay signed in" token a browser keeps, so a reload does not log the person out.

The token names a user and an expiry and is signed with HMAC-SHA256; it carries no password and
no diary data. The browser stores it in its local storage (encrypted again by ``gr.BrowserState``).
A token signed with another key (another server start without ``HARU_SESSION_SECRET``) or past its
expiry is simply not accepted, and the person logs in again.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

TOKEN_TTL_S = 12 * 3600      # one day's use; a shared computer forgets the person by the next day
# What a logout writes over the token: Gradio's browser state does not store an empty value, so an empty
# string left the old token in place and the next reload signed the person in again.
SIGNED_OUT = "signed-out"


def new_key(configured: str) -> bytes:
    """The signing key: the configured secret, or a random one for this process."""
    return configured.encode() if configured else secrets.token_bytes(32)


def browser_secret(key: bytes) -> str:
    """The key ``gr.BrowserState`` encrypts with. Gradio sends it to every browser in /config, so it must never
    be the signing key; derived one way from it, it is still the same on every replica sharing the secret."""
    return hmac.new(key, b"haru browser state", hashlib.sha256).hexdigest()


def _mac(key: bytes, body: str) -> str:
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


def issue(key: bytes, user_id: int, *, now: float | None = None, ttl_s: float = TOKEN_TTL_S) -> str:
    body = f"{int(user_id)}:{int((now or time.time()) + ttl_s)}"
    return f"{body}:{_mac(key, body)}"


def verify(key: bytes, token: str | None, *, now: float | None = None) -> int | None:
    """The user id the token was issued for, or None when it is missing, forged or expired."""
    try:
        user, expires, mac = (token or "").split(":")
        user_id, expiry = int(user), int(expires)
    except ValueError:
        return None
    if not hmac.compare_digest(mac, _mac(key, f"{user}:{expires}")):
        return None
    return user_id if expiry > (now or time.time()) else None
