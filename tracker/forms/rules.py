"""The clinic admin's rule pages: a rule's content, switching it on or off,
importing a rule set, the scenario bench and the "test a sentence" box.
The bounds are tracker/rules/limits.py's; services check each rule again.
"""

import json

from django import forms

from ..models import NOTE_MAX_LENGTH, Rule, RuleSwitch, RuleVersion, Tier
from ..rules import limits, scenarios
from ..rules.tiers import HIGHEST_FIRST
from ..services.rules import RULE_FIELDS, rule_content_errors, rule_slug_errors


class RuleForm(forms.Form):
    """A rule's content. The condition is a JSON tree (see tracker/rules/engine.py
    and the reference on the edit page); every problem is listed by the field."""

    # Lengths and the slug's form are services.rule_content_errors' and
    # rule_slug_errors' (which an import goes through too); given here as
    # well so that the browser stops at them and each message sits by its field.
    slug = forms.CharField(
        max_length=limits.MAX_SLUG,
        required=False,
        help_text="Lower-case words joined by hyphens, e.g. bone-pain-new-or-worse.",
    )
    name = forms.CharField(max_length=limits.MAX_NAME)
    tier = forms.ChoiceField(choices=[(tier, Tier(tier).label) for tier in HIGHEST_FIRST])
    condition = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 16, "class": "font-monospace", "spellcheck": "false"}),
        max_length=limits.MAX_CONDITION_CHARS,
        error_messages={"max_length": f"At most {limits.MAX_CONDITION_CHARS:,} characters (this has %(show_value)s)."},
        help_text=(
            "A JSON tree of all / any / not groups and tests; see the reference below. "
            f"At most {limits.MAX_DEPTH} levels deep and {limits.MAX_NODES} groups and tests."
        ),
    )
    advice = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=limits.MAX_ADVICE,
        help_text="Shown to the survivor. Plain words.",
    )
    advice_es = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2, "lang": "es"}),
        max_length=limits.MAX_ADVICE,
        required=False,
        label="Spanish advice",
        help_text=(
            "The same advice in Spanish, for survivors who read Spanish. Left blank, she reads the English. "
            "An emergency rule's ends with \u201cLlame al 911 ahora\u201d."
        ),
    )
    nurse_note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=limits.MAX_NURSE_NOTE
    )
    source = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=limits.MAX_SOURCE,
        help_text="Article section, and the guideline that sets the urgency.",
    )
    change_note = forms.CharField(max_length=300, required=False, label="What changed and why")
    preview_days = forms.IntegerField(
        min_value=1,
        max_value=365,
        initial=30,
        label="Preview over the last N days",
        error_messages={"min_value": "Choose 1 to 365 days.", "max_value": "Choose 1 to 365 days."},
    )

    def __init__(self, *args, new_rule: bool = False, current: RuleVersion | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.new_rule = new_rule
        self.current = current
        if new_rule:
            self.fields["slug"].required = True
        else:
            del self.fields["slug"]

    def clean_condition(self):
        raw = self.cleaned_data["condition"]
        try:
            return limits.loads(raw)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                f"This isn't valid JSON: {error.msg} at line {error.lineno}, column {error.colno}."
            ) from None
        except limits.TooDeep:
            raise forms.ValidationError(
                f"This condition is nested too deeply: at most {limits.MAX_DEPTH} levels of groups and tests."
            ) from None

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        if not slug:
            return slug
        problems = rule_slug_errors(slug)
        if problems:
            raise forms.ValidationError(problems)
        if Rule.objects.filter(slug=slug).exists():
            raise forms.ValidationError("A rule with this slug already exists.")
        return slug

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if "condition" in cleaned:
            for field_name, messages in rule_content_errors(cleaned).items():
                if field_name in self.fields and field_name not in self.errors:
                    for message in messages:
                        self.add_error(field_name, message)
        current = self.current
        if (
            current is not None
            and current.advice_es
            and cleaned.get("advice", current.advice) != current.advice
            and cleaned.get("advice_es") == current.advice_es
        ):
            # Spanish that says what the English used to say would tell a
            # Spanish reader something else than the new advice.
            self.add_error(
                "advice_es",
                "You changed the English advice: change the Spanish to match, or clear it "
                "(she then reads the English until it is written).",
            )
        return cleaned

    def content(self) -> dict:
        return {k: self.cleaned_data[k] for k in RULE_FIELDS}


class RuleSwitchForm(forms.Form):
    """Switching a rule on or off. The state asked for is in the form (never
    "the opposite of now"), so a second click or an old page changes nothing.
    Switching off asks why; the reason is kept in the rule's history."""

    active = forms.TypedChoiceField(
        choices=[("on", "On"), ("off", "Off")], coerce=lambda value: value == "on", widget=forms.HiddenInput
    )
    reason = forms.CharField(
        label="Why are you switching it off?",
        required=False,
        max_length=RuleSwitch.REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept in the rule's history, with your name and the time.",
        error_messages={
            "max_length": "Please keep the reason to %(limit_value)d characters (it has %(show_value)d now)."
        },
    )

    def __init__(self, *args, active: bool | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if active is not None:
            self.fields["active"].initial = "on" if active else "off"
            if active:
                self.fields["reason"].label = "Why are you switching it on? (optional)"

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("active") is False and not cleaned.get("reason", "").strip():
            self.add_error("reason", "Please say why you are switching this rule off.")
        return cleaned


_IMPORT_SIZE = f"{limits.MAX_IMPORT_BYTES // 1000:,} kB"


class RulesImportForm(forms.Form):
    """The file's envelope: its size, that it is JSON, how deep it nests and
    how many rules it holds. Each rule is then checked by the service, as
    the edit form checks one (services.rules_import)."""

    file = forms.FileField(required=False, help_text=f"A rules JSON file, as exported (at most {_IMPORT_SIZE}).")
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8, "class": "font-monospace"}),
        required=False,
        label="…or paste the JSON here",
        max_length=limits.MAX_IMPORT_BYTES,
        error_messages={"max_length": f"At most {_IMPORT_SIZE} of JSON (this has %(show_value)s characters)."},
    )

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if self.errors:
            return cleaned
        upload, text = cleaned.get("file"), cleaned.get("text", "").strip()
        if not upload and not text:
            raise forms.ValidationError("Choose a file or paste the JSON.")
        field = "file" if upload else "text"
        if upload:
            # Its size before a byte of it is read: the upload handler has it.
            if upload.size > limits.MAX_IMPORT_BYTES:
                self.add_error("file", f"The file is {upload.size / 1000:,.0f} kB; at most {_IMPORT_SIZE}.")
                return cleaned
            try:
                raw = upload.read(limits.MAX_IMPORT_BYTES + 1).decode("utf-8")
            except UnicodeDecodeError:
                self.add_error("file", "This isn't a JSON file: it is not UTF-8 text.")
                return cleaned
        else:
            raw = text
        try:
            payload = limits.loads(raw)
        except json.JSONDecodeError as error:
            self.add_error(field, f"This isn't valid JSON: {error.msg} at line {error.lineno}.")
            return cleaned
        except limits.TooDeep as error:
            self.add_error(field, f"This JSON is {error}; an exported rule set is never that deep.")
            return cleaned
        rules = payload.get("rules") if isinstance(payload, dict) else None
        if isinstance(rules, list) and len(rules) > limits.MAX_IMPORT_RULES:
            self.add_error(field, f"At most {limits.MAX_IMPORT_RULES} rules in one import (this has {len(rules):,}).")
            return cleaned
        cleaned["payload"] = payload
        return cleaned


class ScenarioBenchForm(forms.Form):
    scenarios = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 10, "class": "font-monospace", "spellcheck": "false"}),
        help_text=(
            "One scenario per line (JSON), as for manage.py check_rules: at most "
            f"{limits.MAX_BENCH_SCENARIOS} scenarios and {limits.MAX_BENCH_EVENTS:,} entries and weights a run."
        ),
        max_length=200_000,
    )

    def clean_scenarios(self):
        text = self.cleaned_data["scenarios"]
        problems = scenarios.bench_size_problems(text.splitlines())
        if problems:
            raise forms.ValidationError(problems)
        return text


class SentenceTestForm(forms.Form):
    """The rules page's "test a sentence" box: how the note reader reads it."""

    LANGUAGES = [("", "Detect from the words"), ("en", "English"), ("es", "Spanish")]

    sentence = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=NOTE_MAX_LENGTH,
        help_text="Type what a survivor might write. Nothing is saved.",
    )
    language = forms.ChoiceField(choices=LANGUAGES, required=False)
