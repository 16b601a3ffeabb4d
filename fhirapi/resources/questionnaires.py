"""The check-in form as an SDC Questionnaire, and each check-in as its
QuestionnaireResponse.

The form's questions are the catalog's (tracker/catalog.py, the codes a
contract) and the check-in form's (tracker/forms/checkin.py). Her weight is
asked on a page of its own and stored apart from check-ins: the form lists
it so that the Questionnaire describes all she answers, and each weight goes
out as an Observation (observations.py), never inside a response."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch

from tracker import catalog
from tracker.models import NOTE_MAX_LENGTH, CheckIn, SymptomEntry

from . import codes, ids
from .common import choice_label, latest, meta, resource

# The form as published: change the version (and the date) with its questions.
QUESTIONNAIRE_VERSION = "1"
QUESTIONNAIRE_DATE = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
SEVERITY_MIN, SEVERITY_MAX = 0, 10

# questionnaire_response(checkin) reads its entries with their symptom and
# body site: CheckIn.objects.prefetch_related(*CHECKIN_PREFETCH).
CHECKIN_PREFETCH = (Prefetch("entries", queryset=SymptomEntry.objects.select_related("symptom", "body_site")),)


def questionnaire_url() -> str:
    return codes.canonical(codes.QUESTIONNAIRE)


def questionnaire() -> dict[str, Any]:
    asks_site = [code for code, _label, _help, site in catalog.SYMPTOMS if site != "none"]
    entry_items = [
        {
            "linkId": "symptom",
            "text": "What is bothering you?",
            "type": "choice",
            "required": True,
            "answerOption": [
                {"valueCoding": codes.coding(codes.SYMPTOM, code, label)} for code, label, _h, _s in catalog.SYMPTOMS
            ],
        },
        {
            "linkId": "body-site",
            "text": "Where is it?",
            "type": "choice",
            "enableWhen": [
                {"question": "symptom", "operator": "=", "answerCoding": codes.coding(codes.SYMPTOM, code)}
                for code in asks_site
            ],
            "enableBehavior": "any",
            "answerOption": [
                {"valueCoding": codes.coding(codes.BODY_SITE, code, label)} for code, label in catalog.BODY_SITES
            ],
        },
        {
            "linkId": "severity",
            "text": f"How bad is it ({SEVERITY_MIN} to {SEVERITY_MAX})?",
            "type": "integer",
            "required": True,
            "extension": [
                {"url": codes.MIN_VALUE, "valueInteger": SEVERITY_MIN},
                {"url": codes.MAX_VALUE, "valueInteger": SEVERITY_MAX},
            ],
        },
        {"linkId": "new", "text": "Is it new, or different from usual?", "type": "boolean", "required": True},
        {"linkId": "worse", "text": "Is it getting worse?", "type": "boolean", "required": True},
        {"linkId": "started", "text": "When did it start?", "type": "date", "required": True},
        {"linkId": "note", "text": "Anything else, in your own words", "type": "text", "maxLength": NOTE_MAX_LENGTH},
    ]
    items = [
        {"linkId": "entry", "text": "Symptom", "type": "group", "repeats": True, "item": entry_items},
        {"linkId": "callback", "text": "Would you like a nurse to call you?", "type": "boolean"},
        {
            "linkId": "hormone-therapy",
            "text": "Your hormone tablets this week (asked while your plan says you take them)",
            "type": "choice",
            "answerOption": [
                {"valueCoding": codes.coding(codes.ENDOCRINE_ANSWER, value, choice_label(CheckIn.Endocrine, value))}
                for value in CheckIn.Endocrine.values
            ],
        },
        {
            "linkId": "weight",
            "text": "Your weight in kg (asked on its own page; sent as an Observation)",
            "type": "decimal",
        },
    ]
    return resource(
        {
            "resourceType": "Questionnaire",
            "id": ids.QUESTIONNAIRE_ID,
            "meta": meta(QUESTIONNAIRE_DATE, profile=codes.SDC_QUESTIONNAIRE),
            "url": questionnaire_url(),
            "version": QUESTIONNAIRE_VERSION,
            "name": "SymptomCheckIn",
            "title": "Symptom check-in",
            "status": "active",
            "subjectType": ["Patient"],
            "date": QUESTIONNAIRE_DATE,
            "publisher": "Follow-up",
            "item": items,
        }
    )


def questionnaire_response(checkin: CheckIn) -> dict[str, Any]:
    """Her answers as she gave them. An entry she later marked entered in
    error is left out, and the response is then "amended" (completed, then
    changed): what stands is what the chart should read."""
    entries = sorted(checkin.entries.all(), key=lambda e: e.pk)
    standing = [e for e in entries if e.entered_in_error_at is None]
    items: list[dict[str, Any]] = [_entry_item(e) for e in standing]
    items.append({"linkId": "callback", "answer": [{"valueBoolean": checkin.callback_requested}]})
    if checkin.endocrine_answer:
        value = checkin.endocrine_answer
        label = choice_label(CheckIn.Endocrine, value)
        items.append(
            {
                "linkId": "hormone-therapy",
                "answer": [{"valueCoding": codes.coding(codes.ENDOCRINE_ANSWER, value, label)}],
            }
        )
    patient = ids.ref("patient", checkin.survivor_id)
    return resource(
        {
            "resourceType": "QuestionnaireResponse",
            "id": ids.make("questionnaire_response", checkin.pk),
            "meta": meta(latest(checkin.created_at, *(e.entered_in_error_at for e in entries))),
            "questionnaire": f"{questionnaire_url()}|{QUESTIONNAIRE_VERSION}",
            "status": "completed" if len(standing) == len(entries) else "amended",
            "subject": patient,
            "authored": checkin.created_at,
            "author": patient,
            "source": patient,
            "item": items,
        }
    )


def _entry_item(entry: SymptomEntry) -> dict[str, Any]:
    symptom = entry.symptom
    answers: list[dict[str, Any]] = [
        {"linkId": "symptom", "answer": [{"valueCoding": codes.coding(codes.SYMPTOM, symptom.code, symptom.label)}]}
    ]
    if entry.body_site is not None:
        site = entry.body_site
        answers.append(
            {"linkId": "body-site", "answer": [{"valueCoding": codes.coding(codes.BODY_SITE, site.code, site.label)}]}
        )
    answers += [
        {"linkId": "severity", "answer": [{"valueInteger": entry.severity}]},
        {"linkId": "new", "answer": [{"valueBoolean": entry.is_new}]},
        {"linkId": "worse", "answer": [{"valueBoolean": entry.is_worse}]},
        {"linkId": "started", "answer": [{"valueDate": entry.started_on}]},
    ]
    if entry.note:
        answers.append({"linkId": "note", "answer": [{"valueString": entry.note}]})
    return {"linkId": "entry", "text": symptom.label, "item": answers}
