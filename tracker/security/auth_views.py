"""Django's login and password-reset views with the lockout's words on the
login page, the reset throttled and sent by the worker, and a lockout
lifted once she has chosen a new password through the emailed link."""

from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.utils.translation import gettext as _

from ..services.accounts import account_password_changed
from . import lockout
from .forms import LoginForm
from .identity import client_address
from .password_reset import BODY_TEMPLATE, HTML_TEMPLATE, SUBJECT_TEMPLATE, PasswordResetRequestForm
from .throttle import throttle_many, wait_words


class LoginView(auth_views.LoginView):
    """After a few failed tries the page says how long to wait; a locked-out
    try is answered by lockout.lockout_response (through axes' middleware)."""

    form_class = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.request.method == "POST":  # a failed try: does the next one wait?
            context["login_pause"] = lockout.login_pause(self.request, email=self.request.POST.get("username"))
        return context


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetRequestForm
    # Kept for Django's own uses of the view; the worker renders these.
    email_template_name = BODY_TEMPLATE
    html_email_template_name = HTML_TEMPLATE
    subject_template_name = SUBJECT_TEMPLATE

    def post(self, request, *args, **kwargs) -> HttpResponse:
        form = self.get_form()
        email = form.cleaned_data["email"] if form.is_valid() else None
        wait = throttle_many(
            request, [("password_reset.address", client_address(request)), ("password_reset.email", email)]
        )
        if wait:
            form.add_error(
                None,
                _(
                    "There have been too many requests to reset a password, for this email or from here. "
                    "Please try again %(when)s. If you can't wait, call your care team."
                )
                % {"when": wait_words(wait)},
            )
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(wait)
            return response
        return self.form_valid(form) if email else self.form_invalid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form):
        response = super().form_valid(form)
        lockout.lockout_release(email=form.user.email)
        account_password_changed(user=form.user)  # her sessions end for good, and leave her list
        return response
