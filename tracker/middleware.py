import zoneinfo

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
        if user is not None and user.is_authenticated:
            language = language_of(user)
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
