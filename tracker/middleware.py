import zoneinfo

from django.conf import settings
from django.utils import timezone, translation

from .i18n import language_of


class UserTimezoneMiddleware:
    """Show times in the signed-in person's own time zone. Storage stays UTC."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.time_zone:
            timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
        else:
            timezone.deactivate()
        return self.get_response(request)


class UserLanguageMiddleware:
    """A signed-in survivor reads her own language (her setting); staff read
    English for now. Before signing in, LocaleMiddleware has already chosen
    the browser's language (or the one picked on the login page)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        language = language_of(user)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        # Her language outlives her session: when she signs out, or is
        # signed out for being idle, the login page still speaks it.
        if user.is_survivor and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != language:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response
