"""Sign-in safety (issue 13): failed logins counted and locked out with
django-axes (lockout), password reset and invitation acceptance throttled
in Django's cache (throttle), reset emails sent by the worker
(password_reset), and security events: the `security` log, AuditEvent rows
and the clinic admin's page /admin-pages/security/ (events, views)."""
