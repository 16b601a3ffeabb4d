"""The clinic admin's FHIR clients page and its forms (the MRN form is
her clinic's nurses' too)."""

from django.urls import path

from . import admin_views

urlpatterns = [
    path("admin-pages/fhir-clients/", admin_views.fhir_client_list, name="fhir_client_list"),
    path("admin-pages/fhir-clients/new/", admin_views.fhir_client_register, name="fhir_client_register"),
    path(
        "admin-pages/fhir-clients/<int:client_pk>/deactivate/",
        admin_views.fhir_client_deactivate,
        name="fhir_client_deactivate",
    ),
    path("admin-pages/fhir-clients/mrn-system/", admin_views.fhir_mrn_system, name="fhir_mrn_system"),
    path("staff/mrn/", admin_views.survivor_mrn, name="survivor_mrn"),
]
