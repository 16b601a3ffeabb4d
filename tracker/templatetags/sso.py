"""The single sign-on button on the login page, shown only when single
sign-on is configured (tracker/sso.py). Read at render time, not import time,
so the environment (and a test's settings) decide."""

from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.urls import reverse

from tracker.sso import sso_enabled

register = template.Library()


@register.inclusion_tag("registration/_sso_button.html", takes_context=True)
def sso_button(context: template.Context) -> dict[str, str]:
    if not sso_enabled():
        return {}
    url = reverse("oidc_authentication_init")
    if context.get("next"):
        url += "?" + urlencode({"next": context["next"]})  # the library checks it is on this site
    return {"sso_url": url, "sso_label": settings.SSO_BUTTON_LABEL}
