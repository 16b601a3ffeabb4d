def notices(request):
    """A survivor's unread in-app notices, for the home page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_survivor or request.path != "/":
        return {}
    from .selectors import notices_for

    return {"notices": notices_for(survivor=user)}
