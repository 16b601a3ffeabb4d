"""Response headers that keep survivors' data out of every cache and switch
off the browser features the app never uses. Two middlewares, placed apart
on purpose (config/settings/base.py):

- SecurityHeadersMiddleware sits before WhiteNoise, so that static files
  carry Permissions-Policy and Cross-Origin-Resource-Policy too.
- NoStoreMiddleware sits after WhiteNoise. WhiteNoise answers a static file
  itself and the request goes no further, so static files stay cacheable
  (their names are hashed in production); every response the app itself
  builds is marked "no-store".

Why a middleware rather than @never_cache on the views that show survivor
data: a view added later is covered without anyone remembering to; so are
the responses other middleware makes on its own (the login redirect, a CSRF
failure, the second-factor gate), the error pages (the 404 and 500 pages
name her care team), htmx fragments, JSON and CSV. A browser's disk cache
kept a flag page's note after logout; no page of this app is worth caching.
"""

from django.conf import settings
from django.utils.cache import add_never_cache_headers


def permissions_policy(policy: dict[str, list[str]]) -> str:
    """{"camera": [], "publickey-credentials-get": ["self"]} ->
    'camera=(), publickey-credentials-get=(self)' (an empty list: no one)."""
    return ", ".join(f"{feature}=({' '.join(allow)})" for feature, allow in policy.items())


class SecurityHeadersMiddleware:
    """Permissions-Policy and Cross-Origin-Resource-Policy on every response.
    (Cross-Origin-Opener-Policy comes from Django's SecurityMiddleware:
    SECURE_CROSS_ORIGIN_OPENER_POLICY.)"""

    def __init__(self, get_response):
        self.get_response = get_response
        self.permissions_policy = permissions_policy(settings.PERMISSIONS_POLICY)
        self.resource_policy = settings.CROSS_ORIGIN_RESOURCE_POLICY

    def __call__(self, request):
        response = self.get_response(request)
        if self.permissions_policy:
            response.headers.setdefault("Permissions-Policy", self.permissions_policy)
        if self.resource_policy:
            response.headers.setdefault("Cross-Origin-Resource-Policy", self.resource_policy)
        return response


class NoStoreMiddleware:
    """Cache-Control: no-store (with no-cache, must-revalidate, private,
    max-age=0), Expires now and Pragma: no-cache (for HTTP/1.0 proxies) on
    every response that is not a static file."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        add_never_cache_headers(response)
        response.headers["Pragma"] = "no-cache"
        return response
