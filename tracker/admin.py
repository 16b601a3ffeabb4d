from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import AuditEvent, BodySite, Clinic, Invitation, Symptom, User


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
