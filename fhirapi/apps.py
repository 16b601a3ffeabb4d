from django.apps import AppConfig


class FhirApiConfig(AppConfig):
    """The FHIR R4 interface an EHR or a data warehouse reads from: SMART
    Backend Services clients registered per clinic, resources built with
    fhir.resources, endpoints with django-ninja. Reads tracker and followup;
    neither imports it."""

    name = "fhirapi"
    verbose_name = "FHIR interface"
    default_auto_field = "django.db.models.BigAutoField"
