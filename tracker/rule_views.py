"""Clinic admins' rules pages: list, history, edit with preview, on/off,
import/export and the scenario bench. Everyone else gets 404."""

import difflib
import json
import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from . import preview_views, selectors, services
from .access import clinic_admin_required
from .forms import RuleForm, RulesImportForm, RuleSwitchForm, ScenarioBenchForm, SentenceTestForm
from .rules import engine, scenarios
from .rules.text import concept_labels, read_note_fields
from .service_errors import form_add_service_errors


@clinic_admin_required
def rule_list(request: HttpRequest) -> HttpResponse:
    context = {
        "rules": selectors.rule_list_with_counts(user=request.user),
        # Switched on but skipped: the stored definition no longer validates.
        "skipped": selectors.rule_slugs_skipped(),
    }
    return render(request, "rules/list.html", context)


@clinic_admin_required
def rule_detail(request: HttpRequest, slug: str) -> HttpResponse:
    rule = selectors.rule_get_for_admin(user=request.user, slug=slug)
    versions = selectors.rule_versions(rule=rule)
    history = []
    for newer, older in zip(versions, versions[1:] + [None], strict=True):
        history.append({"version": newer, "diff": _diff(older, newer) if older else []})
    context = {
        "rule": rule,
        "history": history,
        "condition": condition_text(rule.current.condition) if rule.current else "",
        "previews": preview_views.recent(request.user, rule),
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
def rule_edit(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    """Edit (or create) a rule. "Preview" queues a job that runs the draft
    over stored check-ins and saves nothing (the page follows its progress,
    the form keeps the draft); "Save" makes a new version."""
    rule = selectors.rule_get_for_admin(user=request.user, slug=slug) if slug else None
    job = None
    if request.method == "POST":
        form = RuleForm(request.POST, new_rule=rule is None)
        if form.is_valid():
            if "preview" in request.POST:
                job = preview_views.start_from_form(request, form, rule)
            else:
                try:
                    version = services.rule_save(
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
                nurse_note=v.nurse_note,
                source=v.source,
                condition=condition_text(v.condition),
            )
        initial.update(preview_views.draft_initial(request, rule))
        form = RuleForm(initial=initial, new_rule=rule is None)
    vocab = services.rule_vocabulary()
    context = {
        "form": form,
        "rule": rule,
        "job": job,
        "previews": preview_views.recent(request.user, rule),
        "concepts": sorted(concept_labels().items()),
        "symptom_codes": sorted(vocab.symptoms),
        "body_site_codes": sorted(vocab.body_sites),
    }
    return render(request, "rules/edit.html", context)


@clinic_admin_required
@require_http_methods(["GET", "POST"])
def rule_toggle(request: HttpRequest, slug: str) -> HttpResponse:
    """Switch a rule on or off. GET asks to confirm (and, to switch off, why);
    the list's "Switch on" posts straight here."""
    rule = selectors.rule_get_for_admin(user=request.user, slug=slug)
    name = rule.current.name if rule.current else rule.slug
    if request.method == "POST":
        active = request.POST.get("active") == "on"
        form = RuleSwitchForm(request.POST, active=active)
        if form.is_valid():
            try:
                switch = services.rule_set_active(
                    rule=rule, active=active, by=request.user, reason=form.cleaned_data["reason"]
                )
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
    numbers = sorted({clinic.emergency_number for clinic in selectors.staff_clinics(user=request.user)})
    context = {
        "rule": rule,
        "form": form,
        "switching_on": active,
        "emergency_number": numbers[0] if len(numbers) == 1 else "",
        "next": _safe_next(request),
    }
    return render(request, "rules/switch.html", context)


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False)
    return target if target.startswith("/") and allowed else ""


@clinic_admin_required
def rules_export(request: HttpRequest) -> HttpResponse:
    body = json.dumps(selectors.rules_export(), indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="followup-rules-{stamp}.json"'
    return response


@clinic_admin_required
@require_http_methods(["GET", "POST"])
def rules_import(request: HttpRequest) -> HttpResponse:
    form = RulesImportForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            counts = services.rules_import(payload=form.cleaned_data["payload"], by=request.user)
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
def rules_bench(request: HttpRequest) -> HttpResponse:
    form = ScenarioBenchForm(request.POST or None)
    bench = None
    if request.method == "POST" and form.is_valid():
        bench = scenarios.bench(
            form.cleaned_data["scenarios"].splitlines(),
            rules=selectors.rule_defs_active(),
            vocab=services.rule_vocabulary(),
            read_note=read_note_fields,
            now=timezone.now(),
        )
    return render(request, "rules/bench.html", {"form": form, "bench": bench, "tiers": engine.TIERS})


@clinic_admin_required
@require_http_methods(["GET", "POST"])
def rules_sentence(request: HttpRequest) -> HttpResponse:
    """Type a sentence, see how the note reader reads it and which active
    rules would fire on it as a "Something else" entry. Nothing is saved."""
    form = SentenceTestForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        result = selectors.sentence_test(
            sentence=form.cleaned_data["sentence"], lang=form.cleaned_data["language"] or None
        )
    return render(request, "rules/sentence.html", {"form": form, "result": result})
