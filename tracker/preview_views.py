"""Rule preview jobs on the rules pages: start one from the edit page, follow
it (a page, and a JSON status that static/js/preview-job.js polls), cancel
it, come back to it. Only the admin who asked sees a job; the rest get 404,
and anonymous visitors the login page."""

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_POST

from . import selectors
from .access import clinic_admin_required
from .evaluation import preview_jobs
from .forms import RuleForm
from .models import PreviewJob, Rule, User
from .service_errors import form_add_service_errors


def start_from_form(request: HttpRequest, form: RuleForm, rule: Rule | None) -> PreviewJob | None:
    """Queue a preview of the valid form's draft; a refusal is shown by the
    field (or above the form) and the form keeps what was typed."""
    try:
        return preview_jobs.preview_job_create(
            by=request.user,
            rule=rule,
            condition=form.cleaned_data["condition"],
            tier=form.cleaned_data["tier"],
            days=form.cleaned_data["preview_days"],
        )
    except ValidationError as error:
        form_add_service_errors(form, error, rename={"days": "preview_days"})
        return None


def draft_initial(request: HttpRequest, rule: Rule | None) -> dict:
    """?preview=<id> on the edit page: the form starts from that preview's draft."""
    job_id = request.GET.get("preview", "")
    if not job_id.isdigit():
        return {}
    job = selectors.preview_job_get_for_user(user=request.user, job_id=int(job_id))
    if job.rule_id != (rule.pk if rule else None):
        return {}
    from .rule_views import condition_text

    return {"condition": condition_text(job.condition), "tier": job.tier, "preview_days": job.days}


def recent(user: User, rule: Rule | None) -> list[PreviewJob]:
    preview_jobs.preview_jobs_fail_stale()
    return selectors.preview_jobs_recent(user=user, rule=rule)


def _job_for(request: HttpRequest, job_id: int) -> PreviewJob:
    job = selectors.preview_job_get_for_user(user=request.user, job_id=job_id)
    if job.is_active and preview_jobs.preview_jobs_fail_stale(job_id=job.pk):
        job.refresh_from_db()
    return job


@clinic_admin_required
@require_GET
def preview_job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    from .rule_views import condition_text

    job = _job_for(request, job_id)
    context = {"job": job, "condition": condition_text(job.condition)}
    return render(request, "rules/preview_job.html", context)


def _status(request: HttpRequest, job: PreviewJob) -> JsonResponse:
    data = {
        "state": job.state,
        "active": job.is_active,
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "label": job.progress_label,
    }
    if not job.is_active:
        data["html"] = render_to_string("rules/_preview_job.html", {"job": job}, request=request)
    response = JsonResponse(data)
    response["Cache-Control"] = "no-store"
    return response


@clinic_admin_required
@require_GET
def preview_job_status(request: HttpRequest, job_id: int) -> JsonResponse:
    return _status(request, _job_for(request, job_id))


@clinic_admin_required
@require_POST
def preview_job_cancel(request: HttpRequest, job_id: int) -> HttpResponse:
    job = selectors.preview_job_get_for_user(user=request.user, job_id=job_id)
    preview_jobs.preview_job_cancel(job=job)
    if request.headers.get("Accept") == "application/json":  # the page's script
        return _status(request, job)
    return redirect("preview_job_detail", job_id=job.pk)
