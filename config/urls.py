from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("tracker.auth_urls")),
    path("", include("tracker.urls")),
    path("", include("followup.urls")),
]
