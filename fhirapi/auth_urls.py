"""SMART Backend Services' public endpoints; config/urls.py includes them
under fhir/R4/, before the API's own routes (fhirapi/urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("auth/token", views.token, name="fhir_token"),
    path(".well-known/smart-configuration", views.smart_configuration, name="fhir_smart_configuration"),
]
