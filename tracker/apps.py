from django.apps import AppConfig


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = "Symptom tracker"

    def ready(self) -> None:
        # Failed logins and lockouts become security events. Imported in
        # ready(): the receivers import models, loaded only once apps are.
        from .security import receivers  # noqa: F401
