from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm

from .models import AuditEvent, BodySite, Clinic, Invitation, Symptom, User
from .services.accounts import account_deactivate, account_password_changed, account_reactivate


class PasswordChangeEndsSessionsForm(AdminPasswordChangeForm):
    """The Django admin's "change password": every session of hers ends for
    good. If an admin changed her own, hers carries on (the admin view
    re-hashes it, update_session_auth_hash)."""

    def save(self, commit=True):
        user = super().save(commit=commit)
        if commit:
            account_password_changed(user=user)
        return user


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "role", "clinic", "is_active"]
    list_filter = ["role", "clinic", "is_active"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password", "full_name", "role"]}),
        ("Clinic", {"fields": ["clinic", "staff_clinics"]}),
        ("Survivor", {"fields": ["date_of_birth", "enrolled_on", "time_zone", "weight_unit"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "full_name", "role", "password1", "password2"]})]
    filter_horizontal = ["staff_clinics", "groups"]
    change_password_form = PasswordChangeEndsSessionsForm

    def save_model(self, request, obj, form, change):
        # Deactivation and re-activation go through the service, which ends
        # her sessions for good and audits it, as on the accounts page.
        if not (change and "is_active" in form.changed_data):
            return super().save_model(request, obj, form, change)
        wanted = obj.is_active
        obj.is_active = not wanted
        super().save_model(request, obj, form, change)
        if wanted:
            account_reactivate(account=obj, by=request.user)
        else:
            account_deactivate(account=obj, by=request.user)


admin.site.register(Clinic)
admin.site.register(Symptom, list_display=["code", "label", "body_site", "is_active"])
admin.site.register(BodySite, list_display=["code", "label"])
admin.site.register(Invitation, list_display=["email", "clinic", "created_at", "accepted_at"])


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "action", "survivor", "survivors", "object_type", "object_id"]
    list_filter = ["action"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


# Health data (check-ins, entries, weights) is deliberately not in the Django
# admin: staff reach it through the product's permission-checked, audited pages.
