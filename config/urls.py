from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.i18n import set_language


@login_not_required
def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    # Browsers ask for /favicon.ico whatever the page links to. Resolved per
    # request: the manifest storage (production) knows the hashed name only
    # after collectstatic, not when this module is imported.
    return HttpResponsePermanentRedirect(static("favicon.ico"))


urlpatterns = [
    path("favicon.ico", favicon, name="favicon"),
    # The language switcher of the login and welcome pages (base.html): the
    # path and name django.conf.urls.i18n gives, let through the sign-in
    # requirement (LoginRequiredMiddleware), as it is for people not signed in.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
    path("accounts/", include("tracker.auth_urls")),
    path("", include("tracker.mfa.urls")),  # the second factor (issue 13)
    path("", include("tracker.urls")),
    path("", include("tracker.account_urls")),  # her sessions; the accounts page (issue 13)
    path("", include("tracker.security.urls")),  # the security events page (issue 13)
    path("", include("followup.urls")),
    # The FHIR interface (issue 17): SMART Backend Services' token endpoint and
    # discovery; the clinic admin's FHIR clients page.
    path("fhir/R4/", include("fhirapi.urls")),
    path("", include("fhirapi.admin_urls")),
]

# templates/404.html is found by Django's default handler; the 500 page adds
# her care team's number when it can (config/errors.py).
handler500 = "config.errors.server_error"
handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
