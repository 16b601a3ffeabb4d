"""The app's URLs plus the benchmark's baseline: a bare Django view listing
50 rows of the flags table (no template, no joins, no permission checks)."""

from django.http import HttpResponse
from django.urls import include, path

from tracker.models import Flag


def bare_flags(request):
    rows = Flag.objects.order_by("-id").values_list("id", "tier", "status")[:50]
    return HttpResponse("\n".join(f"{pk} {tier} {status}" for pk, tier, status in rows), content_type="text/plain")


urlpatterns = [path("bench/bare/", bare_flags), path("", include("config.urls"))]
