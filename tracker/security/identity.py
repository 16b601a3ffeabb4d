"""Who and where a request comes from, as the security code keys and logs it.

One place for the client's address (django-axes and our throttles use the
same one) and for the forms an email may take outside the users table: a
keyed hash to count by, a masked form to log. An email someone typed may
belong to no account; it is never stored or logged in full."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest
from django.utils.crypto import salted_hmac


def client_address(request: HttpRequest) -> str | None:
    """The address the request came from. X-Forwarded-For is read only when
    the deployment says how many proxies it trusts (TRUSTED_PROXY_COUNT):
    each one appends the address of the peer it saw, so the client is the
    Nth entry from the right; what a client writes there itself is further
    left and never read. With 0, or a header with fewer entries or one that
    is not an address, the connection's own address (REMOTE_ADDR)."""
    hops = settings.TRUSTED_PROXY_COUNT
    if hops > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= hops:
            address = _address(forwarded[-hops])
            if address is not None:
                return address
    return _address(request.META.get("REMOTE_ADDR", ""))


def _address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def email_normal(email: str) -> str:
    return email.strip().lower()


def email_key(email: str) -> str:
    """A keyed hash of the email as typed (trimmed, lower case): the same
    account always gives the same key, and the key alone does not give the
    email back (the secret key is needed to test a guess)."""
    return salted_hmac("tracker.security.email", email_normal(email), algorithm="sha256").hexdigest()


def email_masked(email: str) -> str:
    """For the log: 's***@example.org' and a short hash to tell two apart."""
    email = email_normal(email)
    local, at, domain = email.rpartition("@")
    if not at:
        local, domain = email, ""
    shown = (local[:1] + "***") if local else "***"
    return f"{shown}@{domain[:100]}#{email_key(email)[:10]}" if domain else f"{shown}#{email_key(email)[:10]}"
