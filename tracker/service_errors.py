"""A service's ValidationError onto the form that called it.

Services validate what only they can (the clinic, the database's state) and
raise ValidationError, by field where they can. Views show those messages
by the field she typed into, as the form's own errors are shown: one helper
instead of a loop in every view."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


def form_add_service_errors(form: forms.BaseForm, error: ValidationError, *, rename: dict | None = None) -> None:
    """Each field's messages by that field (`rename`: the service's name ->
    the form's, where they differ); the rest at the top of the form."""
    # Messages without a field go under NON_FIELD_ERRORS, as message_dict puts them: no such form field.
    problems = error.message_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.messages}
    for name, messages in problems.items():
        name = (rename or {}).get(name, name)
        form.add_error(name if name in form.fields else None, messages)
