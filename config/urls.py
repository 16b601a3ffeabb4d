from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path


@login_not_required
def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    # Browsers ask for /favicon.ico whatever the page links to. Resolved per
    # request: the manifest storage (production) knows the hashed name only
    # after collectstatic, not when this module is imported.
    return HttpResponsePermanentRedirect(static("favicon.ico"))


urlpatterns = [
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("accounts/", include("tracker.auth_urls")),
    path("", include("tracker.mfa.urls")),  # the second factor (issue 13)
    path("", include("tracker.urls")),
    path("", include("tracker.account_urls")),  # her sessions; the accounts page (issue 13)
    path("", include("tracker.security.urls")),  # the security events page (issue 13)
    path("", include("followup.urls")),
]

# templates/404.html is found by Django's default handler; the 500 page adds
# her care team's number when it can (config/errors.py).
handler500 = "config.errors.server_error"
