from functools import lru_cache

from django.urls import get_script_prefix, get_urlconf, reverse

_NAV = (
    "home",
    "checkin_create",
    "weight_create",
    "my_followup",
    "preferences",
    "flag_queue",
    "plan_overdue",
    "staff_home",
    "survivor_list",
    "dashboard",
    "rule_list",
    "plan_template_list",
    "message_list",
    "cadence_edit",
    "audit_trail",
    "account_list",
    "session_list",
    "security_events",
    "mfa_factors",
    "logout",
)


def nav(request):
    """The navigation's links. Every page prints up to ten; reverse() costs
    about 10 µs a link, so they are made once per URLconf and prefix."""
    return {"nav": _nav_urls(get_urlconf(), get_script_prefix())}


@lru_cache(maxsize=8)
def _nav_urls(urlconf, prefix: str) -> dict[str, str]:
    return {name: reverse(name, urlconf=urlconf) for name in _NAV}


def care_team(request):
    """A survivor sees her care team's phone numbers on every page."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_survivor:
        return {"care_clinic": user.clinic}
    return {}
