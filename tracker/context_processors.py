def care_team(request):
    """A survivor sees her care team's phone numbers on every page."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_survivor:
        return {"care_clinic": user.clinic}
    return {}
