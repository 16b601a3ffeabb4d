"""The app's URLs plus the benchmark's baseline: a bare Django view listing
50 rows of the flags table (no template, no joins, no permission checks)."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, JsonResponse
from django.urls import include, path

from tracker.models import Flag


def bare_flags(request):
    rows = Flag.objects.order_by("-id").values_list("id", "tier", "status")[:50]
    return HttpResponse("\n".join(f"{pk} {tier} {status}" for pk, tier, status in rows), content_type="text/plain")


@login_not_required
def bare_flags_json(request):
    """The FHIR bench's baseline: a clinic's flags updated since a time, as
    plain JSON values, 200 a page by id (no FHIR, no token, no audit)."""
    from django.db.models import Q

    rows = (
        Flag.objects.filter(survivor__clinic_id=int(request.GET["clinic"]), id__gt=int(request.GET.get("after", 0)))
        .filter(Q(updated_at__gte=request.GET["since"]) | Q(closed_at__gte=request.GET["since"]))
        .order_by("id")
        .values("id", "survivor_id", "rule_id", "tier", "status", "created_at", "updated_at", "closed_at")[:200]
    )
    return JsonResponse({"flags": list(rows)})


urlpatterns = [
    path("bench/bare/", bare_flags),
    path("bench/bare/flags.json", bare_flags_json),
    path("", include("config.urls")),
]
