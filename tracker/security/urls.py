from django.urls import path

from . import views

urlpatterns = [
    path("admin-pages/security/", views.security_events, name="security_events"),
]
