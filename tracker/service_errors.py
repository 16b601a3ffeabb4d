"""A service's ValidationError onto the form that called it.

Services validate what only they can (the clinic, the database's state) and
raise ValidationError, by field where they can. Views show those messages
by the field she typed into, as the form's own errors are shown: one helper
instead of a loop in every view."""

from django import forms
from django.core.exceptions import ValidationError


def form_add_service_errors(form: forms.BaseForm, error: ValidationError, *, rename: dict | None = None) -> None:
    """Each field's messages by that field (`rename`: the service's name ->
    the form's, where they differ); the rest at the top of the form."""
    problems = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
    for name, messages in problems.items():
        name = (rename or {}).get(name, name)
        form.add_error(name if name in form.fields else None, messages)
