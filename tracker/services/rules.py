"""The rules' writes, as a clinic admin makes them: the checks a rule's slug
and content must pass (rule_vocabulary, rule_slug_errors, rule_content_errors:
the edit form, the import and the shipped defaults share them), a new version
(rule_save), switching a rule on or off (rule_set_active), the shipped
defaults (rules_load_defaults) and an import (rules_import). The engine that
runs the rules is tracker/rules/ (pure); the cached active rules and the
counts on the rules pages are read in the selectors."""

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..evaluation.inputs import rule_defs_forget
from ..models import BodySite, Rule, RuleSwitch, RuleVersion, Symptom, User
from ..rules import limits, text
from ..rules.defaults import DEFAULT_RULES
from ..rules.tiers import TIERS
from ..rules.validation import Vocabulary, validate_condition
from .audit import audit_record

RULE_FIELDS = ("name", "tier", "condition", "advice", "advice_es", "nurse_note", "source")
# May be left out of the data given to rule_save (blank): the note for nurses,
# and the Spanish advice (blank: a Spanish reader reads the English).
OPTIONAL_FIELDS = ("advice_es", "nurse_note")


def rule_vocabulary() -> Vocabulary:
    return Vocabulary(
        symptoms=frozenset(Symptom.objects.values_list("code", flat=True)),
        body_sites=frozenset(BodySite.objects.values_list("code", flat=True)),
        concepts=text.concept_codes(),
    )


# Lower-case letters, digits, hyphens (and underscores): what the rules
# pages' URLs accept, in the case the form asks for.
RULE_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")

# Field -> (longest, message when empty or None when it may be empty).
RULE_TEXT_FIELDS = {
    "name": (limits.MAX_NAME, "Give the rule a name."),
    "advice": (limits.MAX_ADVICE, "Write the advice the survivor will see."),
    "advice_es": (limits.MAX_ADVICE, None),
    "nurse_note": (limits.MAX_NURSE_NOTE, None),
    "source": (limits.MAX_SOURCE, "Name the source: the article's section and the guideline that sets the urgency."),
}


def rule_slug_errors(slug) -> list[str]:
    """Messages for a new rule's slug; empty when it is valid. The edit
    form, the import and the shipped defaults all come through here: one
    slug no page can link to broke the rules page for every admin."""
    if not isinstance(slug, str) or not slug:
        return ["Give the rule a slug, e.g. \u201cbone-pain\u201d."]
    if len(slug) > limits.MAX_SLUG:
        return [f"A slug has at most {limits.MAX_SLUG} characters (this one has {len(slug):,})."]
    if not RULE_SLUG.match(slug):
        return ["Use lower-case letters, digits and hyphens only, e.g. \u201cbone-pain\u201d."]
    return []


def rule_content_errors(data: dict, vocab: Vocabulary | None = None) -> dict[str, list[str]]:
    """Field -> messages for a rule's content; empty when it is valid. The
    edit form and the import both call this, so both hold a rule to the
    same fields, lengths and condition bounds."""
    errors: dict[str, list[str]] = {}
    for name, (longest, when_empty) in RULE_TEXT_FIELDS.items():
        value = data.get(name, "")
        if not isinstance(value, str):
            errors[name] = ["Must be text."]
        elif when_empty and not value.strip():
            errors[name] = [when_empty]
        elif len(value) > longest:
            errors[name] = [f"At most {longest:,} characters (this has {len(value):,})."]
    if not isinstance(data.get("tier"), str) or data["tier"] not in TIERS:
        errors["tier"] = [f"Tier must be one of: {', '.join(TIERS)}."]
    problems = validate_condition(data.get("condition"), vocab or rule_vocabulary())
    if problems:
        errors["condition"] = problems
    return errors


def rule_save(
    *,
    by: User | None,
    slug: str,
    data: dict,
    change_note: str = "",
    rule: Rule | None = None,
    vocab: Vocabulary | None = None,
) -> RuleVersion:
    """Create the rule if needed and a new version of it; the new version
    becomes current. Nothing is ever overwritten: flags keep their version."""
    errors = rule_content_errors(data, vocab)
    if isinstance(data.get("advice_es"), str):
        # Spaces alone are Spanish not written: she reads the English.
        data = {**data, "advice_es": data["advice_es"].strip()}
    if rule is None and rule_slug_errors(slug):
        errors["slug"] = rule_slug_errors(slug)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if rule is None:
            rule, _ = Rule.objects.get_or_create(slug=slug)
        rule = Rule.objects.select_for_update().get(pk=rule.pk)
        last = rule.versions.order_by("-number").values_list("number", flat=True).first() or 0
        version = RuleVersion(
            rule=rule,
            number=last + 1,
            created_by=by,
            change_note=change_note,
            **{name: data.get(name, "") if name in OPTIONAL_FIELDS else data[name] for name in RULE_FIELDS},
        )
        version.full_clean()
        version.save()
        rule.current = version
        rule.changed_at = timezone.now()
        rule.save(update_fields=["current", "changed_at"])
        if by is not None:
            audit_record(actor=by, action="rule.save", target=version)
        transaction.on_commit(rule_defs_forget)
    rule_defs_forget()
    return version


def rule_set_active(*, rule: Rule, active: bool, by: User | None, reason: str = "") -> RuleSwitch | None:
    """Switch a rule on or off, kept in its history with who, when and why.
    Switching off stops new flags (existing flags are left as they are) and
    needs a reason. None when the rule already was in that state (a second
    click, or another admin first): nothing is written.

    1. Lock the rule's row, so that two admins switching at once write one
       history row per real change.
    2. Check the history row (a reason for switching off, its length).
    3. Save the state, the row and the audit event; processes drop their
       cached rules."""
    reason = reason.strip()
    with transaction.atomic():
        locked = Rule.objects.select_for_update().get(pk=rule.pk)
        if locked.is_active == active:
            rule.is_active = locked.is_active
            return None
        switch = RuleSwitch(rule=locked, is_active=active, reason=reason, by=by)
        if not active and not reason:
            raise ValidationError({"reason": "Please say why you are switching this rule off."})
        switch.full_clean()
        rule.is_active = active
        rule.changed_at = timezone.now()
        rule.save(update_fields=["is_active", "changed_at"])
        switch.save()
        audit_record(actor=by, action="rule.enable" if active else "rule.disable", target=rule)
    rule_defs_forget()
    transaction.on_commit(rule_defs_forget)
    return switch


def rules_load_defaults() -> dict[str, int]:
    """Create the shipped rules, and refresh the ones no admin has touched.
    Idempotent; never overwrites a rule an admin changed.

    A refresh is a new version, even when all that is new is the Spanish
    advice of an installation loaded before it was written: a version is
    never updated, so a flag keeps the words its version held when it fired
    (a nurse reads what she was shown), and the rule's history says when the
    Spanish arrived. Her flags already open on the older version keep its
    English until they close; her next flag reads the Spanish. A rule an
    admin has changed keeps her words and no Spanish from us: the rules page
    lists it as missing its Spanish advice."""
    counts = {"created": 0, "updated": 0, "unchanged": 0, "kept_admin_changes": 0}
    vocab = rule_vocabulary()
    for default in DEFAULT_RULES:
        data = {name: default[name] for name in RULE_FIELDS}
        rule = Rule.objects.filter(slug=default["slug"]).select_related("current").first()
        if rule is None:
            rule_save(by=None, slug=default["slug"], data=data, change_note="Shipped default", vocab=vocab)
            counts["created"] += 1
        elif rule.current is not None and rule.current.created_by_id is not None:
            counts["kept_admin_changes"] += 1
        elif rule.current is not None and all(getattr(rule.current, n) == data[n] for n in RULE_FIELDS):
            counts["unchanged"] += 1
        else:
            only_spanish = rule.current is not None and all(
                getattr(rule.current, n) == data[n] for n in RULE_FIELDS if n != "advice_es"
            )
            note = "Shipped default: Spanish advice" if only_spanish else "Updated shipped default"
            rule_save(by=None, slug=default["slug"], data=data, change_note=note, rule=rule, vocab=vocab)
            counts["updated"] += 1
    return counts


def rules_import(*, payload, by: User) -> dict[str, int]:
    """Apply an exported rule set: validated in full first, then applied all
    at once, or not at all (ValidationError lists every problem).

    1. Check the file's shape and size.
    2. Check every rule in it, collecting every problem (_import_problems).
    3. Apply them all in one transaction (_import_apply)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("rules"), list):
        raise ValidationError(['The file must be a JSON object with a "rules" list (as exported).'])
    count = len(payload["rules"])
    if count > limits.MAX_IMPORT_RULES:
        raise ValidationError([f"At most {limits.MAX_IMPORT_RULES} rules in one import (this file has {count:,})."])
    vocab = rule_vocabulary()
    problems = _import_problems(payload["rules"], vocab)
    if problems:
        raise ValidationError(problems)
    return _import_apply(payload["rules"], by=by, vocab=vocab)


def _import_problems(items: list, vocab: Vocabulary) -> list[str]:
    """Every problem of every rule in an import, each named by where it is."""
    problems: list[str] = []
    existing = set(Rule.objects.values_list("slug", flat=True))
    seen: set[str] = set()
    for i, item in enumerate(items):
        where = f"rules[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{where}: must be an object")
            continue
        slug = item.get("slug")
        # A new slug as the edit form checks it; an existing rule keeps its own.
        new_slug_errors = [] if isinstance(slug, str) and slug in existing else rule_slug_errors(slug)
        if new_slug_errors:
            problems += [f"{where}.slug: {message}" for message in new_slug_errors]
        elif slug in seen:
            problems.append(f"{where}.slug: \u201c{slug}\u201d appears twice")
        else:
            assert isinstance(slug, str)  # rule_slug_errors found nothing wrong with it
            seen.add(slug)
            where = f"rule \u201c{slug}\u201d"
        if "is_active" in item and not isinstance(item["is_active"], bool):
            problems.append(f"{where}.is_active: must be true or false")
        for field_name, messages in rule_content_errors(item, vocab).items():
            problems += [f"{where}.{field_name}: {m}" for m in messages]
    return problems


def _import_apply(items: list[dict], *, by: User, vocab: Vocabulary) -> dict[str, int]:
    """A new version of each rule that changed (a new rule for a new slug),
    and its state switched where the file says so; all or nothing."""
    counts = {"created": 0, "new_versions": 0, "unchanged": 0}
    with transaction.atomic():
        for item in items:
            data = {name: item.get(name, "") for name in RULE_FIELDS}
            rule = Rule.objects.filter(slug=item["slug"]).select_related("current").first()
            if "advice_es" not in item and rule is not None and rule.current is not None:
                # A file exported before rules had Spanish advice keeps the
                # rule's Spanish, while its English is unchanged: Spanish
                # beside different English would tell her something else.
                data["advice_es"] = rule.current.advice_es if data["advice"] == rule.current.advice else ""
            if (
                rule is not None
                and rule.current is not None
                and all(getattr(rule.current, n) == data[n] for n in RULE_FIELDS)
            ):
                counts["unchanged"] += 1
            else:
                counts["created" if rule is None else "new_versions"] += 1
                rule_save(by=by, slug=item["slug"], data=data, change_note="Imported", rule=rule, vocab=vocab)
                rule = Rule.objects.get(slug=item["slug"])
            if "is_active" in item and rule.is_active != item["is_active"]:
                rule_set_active(rule=rule, active=item["is_active"], by=by, reason="Set by an import of rules")
    return counts
