"""Clinic admins' rules pages: list, history, edit with preview, on/off,
import/export and the scenario bench. Everyone else gets 404.

Rule preview jobs on these pages (the second half): start one from the edit
page, follow it (a page, and a JSON status that static/js/preview-job.js
polls), cancel it, come back to it. Only the admin who asked sees a job; the
rest get 404, and anonymous visitors the login page. The job itself runs in
tracker/evaluation/."""

import difflib
import json
import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import scope
from ..access import AuthenticatedHttpRequest, clinic_admin_required
from ..evaluation import preview_jobs
from ..evaluation.inputs import rule_defs_active, rule_slugs_skipped
from ..forms.rules import RuleForm, RulesImportForm, RuleSwitchForm, ScenarioBenchForm, SentenceTestForm
from ..models import PreviewJob, Rule, User
from ..rules import scenarios
from ..rules.text import concept_labels, read_note_fields
from ..rules.tiers import TIERS
from ..selectors import rules as rule_selectors
from ..selectors.rules import (
    preview_job_get_for_user,
    preview_jobs_recent,
    rule_get_for_admin,
    rule_list_with_counts,
    rule_versions,
    rules_missing_spanish,
    sentence_test,
)
from ..service_errors import form_add_service_errors
from ..services import rules as rule_services
from ..services.rules import rule_save, rule_set_active, rule_vocabulary


@clinic_admin_required
def rule_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    rules = rule_list_with_counts(user=request.user)
    context = {
        "rules": rules,
        "missing_spanish": rules_missing_spanish(rules),
        # Switched on but skipped: the stored definition no longer validates.
        "skipped": rule_slugs_skipped(),
    }
    return render(request, "rules/list.html", context)


@clinic_admin_required
def rule_detail(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    rule = rule_get_for_admin(user=request.user, slug=slug)
    versions = rule_versions(rule=rule)
    history = []
    for newer, older in zip(versions, versions[1:] + [None], strict=True):
        history.append({"version": newer, "diff": _diff(older, newer) if older else []})
    context = {
        "rule": rule,
        "history": history,
        "condition": condition_text(rule.current.condition) if rule.current else "",
        "previews": recent(request.user, rule),
        # Switched on and off, newest first: who, when and why.
        "switches": list(rule.switches.select_related("by")[:20]),
    }
    return render(request, "rules/detail.html", context)


_SCALAR_LIST = re.compile(
    r"\[\s*((?:\"[^\"]*\"|-?\d+(?:\.\d+)?|true|false)(?:,\s*(?:\"[^\"]*\"|-?\d+(?:\.\d+)?|true|false))*)\s*\]"
)


_ONE_LINE_OBJECT = re.compile(r"\{\s*(\"[^\"\n]+\": [^\n{}]+?)\s*\}")


def condition_text(condition) -> str:
    """Indented JSON with short lists kept on one line: easier to read and edit."""
    text = json.dumps(condition, indent=2, ensure_ascii=False)
    text = _SCALAR_LIST.sub(lambda m: "[" + ", ".join(p.strip() for p in m.group(1).split(",")) + "]", text)
    return _ONE_LINE_OBJECT.sub(lambda m: "{" + m.group(1) + "}", text)


def _as_lines(version) -> list[str]:
    lines = [
        f"name: {version.name}",
        f"tier: {version.tier}",
        f"advice: {version.advice}",
        f"advice (Spanish): {version.advice_es}",
        f"nurse note: {version.nurse_note}",
        f"source: {version.source}",
        "condition:",
    ]
    return lines + ["  " + line for line in condition_text(version.condition).splitlines()]


def _diff(older, newer) -> list[tuple[str, str]]:
    """A readable diff: ("-"|"+"|" ", line) for changed lines with a little context."""
    out = []
    for line in difflib.unified_diff(_as_lines(older), _as_lines(newer), lineterm="", n=1):
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            out.append(("…", ""))
        else:
            out.append((line[0], line[1:]))
    return out


@clinic_admin_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: AuthenticatedHttpRequest, slug: str | None = None) -> HttpResponse:
    """Edit (or create) a rule. "Preview" queues a job that runs the draft
    over stored check-ins and saves nothing (the page follows its progress,
    the form keeps the draft); "Save" makes a new version."""
    rule = rule_get_for_admin(user=request.user, slug=slug) if slug else None
    job = None
    if request.method == "POST":
        form = RuleForm(request.POST, new_rule=rule is None, current=rule.current if rule else None)
        if form.is_valid():
            if "preview" in request.POST:
                job = start_from_form(request, form, rule)
            else:
                try:
                    version = rule_save(
                        by=request.user,
                        slug=rule.slug if rule else form.cleaned_data["slug"],
                        rule=rule,
                        data=form.content(),
                        change_note=form.cleaned_data["change_note"],
                    )
                except ValidationError as error:
                    form_add_service_errors(form, error)
                else:
                    messages.success(request, f"Saved version {version.number} of \u201c{version.name}\u201d.")
                    return redirect("rule_detail", slug=version.rule.slug)
    else:
        initial = {"preview_days": 30, "tier": "urgent", "condition": '{"all": [{"symptom": ["pain"]}]}'}
        if rule is not None and rule.current is not None:
            v = rule.current
            initial.update(
                name=v.name,
                tier=v.tier,
                advice=v.advice,
                advice_es=v.advice_es,
                nurse_note=v.nurse_note,
                source=v.source,
                condition=condition_text(v.condition),
            )
        initial.update(draft_initial(request, rule))
        form = RuleForm(initial=initial, new_rule=rule is None)
    vocab = rule_vocabulary()
    context = {
        "form": form,
        "rule": rule,
        "job": job,
        "previews": recent(request.user, rule),
        "concepts": sorted(concept_labels().items()),
        "symptom_codes": sorted(vocab.symptoms),
        "body_site_codes": sorted(vocab.body_sites),
    }
    return render(request, "rules/edit.html", context)


@clinic_admin_required
@require_http_methods(["GET", "POST"])
def rule_toggle(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """Switch a rule on or off. GET asks to confirm (and, to switch off, why);
    the list's "Switch on" posts straight here."""
    rule = rule_get_for_admin(user=request.user, slug=slug)
    name = rule.current.name if rule.current else rule.slug
    if request.method == "POST":
        active = request.POST.get("active") == "on"
        form = RuleSwitchForm(request.POST, active=active)
        if form.is_valid():
            try:
                switch = rule_set_active(rule=rule, active=active, by=request.user, reason=form.cleaned_data["reason"])
            except ValidationError as error:
                form.add_error("reason", error.message_dict.get("reason", error.messages))
            else:
                state = "on" if active else "off"
                if switch is None:
                    messages.info(request, f"\u201c{name}\u201d was already {state}.")
                else:
                    messages.success(request, f"\u201c{name}\u201d is now {state}.")
                return redirect(_safe_next(request) or "rule_list")
    else:
        active = not rule.is_active
        form = RuleSwitchForm(active=active)
    numbers = sorted({clinic.emergency_number for clinic in scope.clinics_of(request.user)})
    context = {
        "rule": rule,
        "form": form,
        "switching_on": active,
        "emergency_number": numbers[0] if len(numbers) == 1 else "",
        "next": _safe_next(request),
    }
    return render(request, "rules/switch.html", context)


def _safe_next(request: AuthenticatedHttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False)
    return target if target.startswith("/") and allowed else ""


@clinic_admin_required
def rules_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    body = json.dumps(rule_selectors.rules_export(), indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="followup-rules-{stamp}.json"'
    return response


@clinic_admin_required
@require_http_methods(["GET", "POST"])
def rules_import(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = RulesImportForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            counts = rule_services.rules_import(payload=form.cleaned_data["payload"], by=request.user)
        except ValidationError as error:
            problems = error.messages
        else:
            messages.success(
                request,
                f"Imported: {counts['created']} new rules, {counts['new_versions']} new versions, "
                f"{counts['unchanged']} unchanged.",
            )
            return redirect("rule_list")
    return render(request, "rules/import.html", {"form": form, "problems": problems})


@clinic_admin_required
@require_http_methods(["GET", "POST"])
def rules_bench(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ScenarioBenchForm(request.POST or None)
    bench = None
    if request.method == "POST" and form.is_valid():
        bench = scenarios.bench(
            form.cleaned_data["scenarios"].splitlines(),
            rules=rule_defs_active(),
            vocab=rule_vocabulary(),
            read_note=read_note_fields,
            now=timezone.now(),
        )
    return render(request, "rules/bench.html", {"form": form, "bench": bench, "tiers": TIERS})


@clinic_admin_required
@require_http_methods(["GET", "POST"])
def rules_sentence(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Type a sentence, see how the note reader reads it and which active
    rules would fire on it as a "Something else" entry. Nothing is saved."""
    form = SentenceTestForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        result = sentence_test(sentence=form.cleaned_data["sentence"], lang=form.cleaned_data["language"] or None)
    return render(request, "rules/sentence.html", {"form": form, "result": result})


# Rule preview jobs: started from rule_edit, listed on rule_detail and rule_edit.


def start_from_form(request: AuthenticatedHttpRequest, form: RuleForm, rule: Rule | None) -> PreviewJob | None:
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


def draft_initial(request: AuthenticatedHttpRequest, rule: Rule | None) -> dict:
    """?preview=<id> on the edit page: the form starts from that preview's draft."""
    job_id = request.GET.get("preview", "")
    if not job_id.isdigit():
        return {}
    job = preview_job_get_for_user(user=request.user, job_id=int(job_id))
    if job.rule_id != (rule.pk if rule else None):
        return {}
    return {"condition": condition_text(job.condition), "tier": job.tier, "preview_days": job.days}


def recent(user: User, rule: Rule | None) -> list[PreviewJob]:
    preview_jobs.preview_jobs_fail_stale()
    return preview_jobs_recent(user=user, rule=rule)


def _job_for(request: AuthenticatedHttpRequest, job_id: int) -> PreviewJob:
    job = preview_job_get_for_user(user=request.user, job_id=job_id)
    if job.is_active and preview_jobs.preview_jobs_fail_stale(job_id=job.pk):
        job.refresh_from_db()
    return job


@clinic_admin_required
@require_GET
def preview_job_detail(request: AuthenticatedHttpRequest, job_id: int) -> HttpResponse:
    job = _job_for(request, job_id)
    context = {"job": job, "condition": condition_text(job.condition)}
    return render(request, "rules/preview_job.html", context)


def _status(request: AuthenticatedHttpRequest, job: PreviewJob) -> JsonResponse:
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
def preview_job_status(request: AuthenticatedHttpRequest, job_id: int) -> JsonResponse:
    return _status(request, _job_for(request, job_id))


@clinic_admin_required
@require_POST
def preview_job_cancel(request: AuthenticatedHttpRequest, job_id: int) -> HttpResponse:
    job = preview_job_get_for_user(user=request.user, job_id=job_id)
    preview_jobs.preview_job_cancel(job=job)
    if request.headers.get("Accept") == "application/json":  # the page's script
        return _status(request, job)
    return redirect("preview_job_detail", job_id=job.pk)
