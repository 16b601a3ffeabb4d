"""A service's ValidationError lands by the field she typed into
(tracker/service_errors.py), or at the top of the form when no field fits."""

from django import forms
from django.core.exceptions import ValidationError

from tracker.service_errors import form_add_service_errors


class Until(forms.Form):
    until = forms.DateField(required=False)
    note = forms.CharField(required=False)


def _form():
    form = Until({})
    assert form.is_valid()
    return form


def test_messages_go_by_their_field_renamed_where_the_form_calls_it_otherwise():
    form = _form()
    error = ValidationError({"ends_at": "At most 30 days from today.", "note": "Too long.", "clinic": "Not yours."})
    form_add_service_errors(form, error, rename={"ends_at": "until"})
    assert form.errors["until"] == ["At most 30 days from today."]
    assert form.errors["note"] == ["Too long."]
    assert form.non_field_errors() == ["Not yours."]  # no such field: at the top, never lost


def test_a_message_without_a_field_goes_to_the_top():
    form = _form()
    form_add_service_errors(form, ValidationError("This flag is closed."))
    assert form.non_field_errors() == ["This flag is closed."]
