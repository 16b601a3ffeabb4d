from django.urls import path

from .views import her_plan, invite, plan_templates, plans_staff, record, rules, staff, survivor

urlpatterns = [
    path("", survivor.home, name="home"),
    path("check-in/", survivor.checkin_create, name="checkin_create"),
    path("check-ins/<int:checkin_id>/", record.checkin_detail, name="checkin_detail"),
    path("weight/", survivor.weight_create, name="weight_create"),
    path("weights/<int:weight_id>/correct/", survivor.weight_correct, name="weight_correct"),
    path("my-follow-up/", her_plan.my_followup, name="my_followup"),
    path("my-follow-up/<int:item_id>/calendar.ics", her_plan.plan_item_calendar, name="plan_item_calendar"),
    path("my-follow-up/<int:item_id>/bring-to-your-visit/", her_plan.plan_item_visit, name="plan_item_visit"),
    path("entries/<int:entry_id>/entered-in-error/", survivor.entry_entered_in_error, name="entry_entered_in_error"),
    # The emailed link trades its token for the session and goes on to
    # invite/ (tracker/views/invite.py); both throttled per address, answers
    # per link (tracker/security/throttle.py).
    path("invite/", invite.invite_page, name="invite_page"),
    path("invite/<str:token>/", invite.invite_link, name="invite_accept"),
    path("staff/", staff.staff_home, name="staff_home"),
    path("staff/survivors/<int:survivor_id>/", record.survivor_history, name="survivor_history"),
    path("staff/survivors/<int:survivor_id>/export.csv", record.survivor_export, name="survivor_export"),
]

urlpatterns += [
    path("rules/", rules.rule_list, name="rule_list"),
    path("rules/new/", rules.rule_edit, name="rule_create"),
    path("rules/export/", rules.rules_export, name="rules_export"),
    path("rules/import/", rules.rules_import, name="rules_import"),
    path("rules/bench/", rules.rules_bench, name="rules_bench"),
    path("rules/sentence/", rules.rules_sentence, name="rules_sentence"),
    path("rules/previews/<int:job_id>/", rules.preview_job_detail, name="preview_job_detail"),
    path("rules/previews/<int:job_id>/status/", rules.preview_job_status, name="preview_job_status"),
    path("rules/previews/<int:job_id>/cancel/", rules.preview_job_cancel, name="preview_job_cancel"),
    path("rules/<slug:slug>/", rules.rule_detail, name="rule_detail"),
    path("rules/<slug:slug>/edit/", rules.rule_edit, name="rule_edit"),
    path("rules/<slug:slug>/toggle/", rules.rule_toggle, name="rule_toggle"),
]

# Her follow-up plan as her nurse keeps it, and the clinic admin's plan
# templates (issue 15; tracker/views/plans_staff.py, plan_templates.py).
urlpatterns += [
    path("staff/survivors/<int:survivor_id>/plan/", plans_staff.survivor_plan, name="survivor_plan"),
    path(
        "staff/survivors/<int:survivor_id>/plan/items/<int:item_id>/<slug:action>/",
        plans_staff.plan_item_update,
        name="plan_item_update",
    ),
    path("admin-pages/plan-templates/", plan_templates.plan_template_list, name="plan_template_list"),
    path("admin-pages/plan-templates/new/", plan_templates.plan_template_edit, name="plan_template_create"),
    path("admin-pages/plan-templates/<int:template_id>/", plan_templates.plan_template_edit, name="plan_template_edit"),
    path(
        "admin-pages/plan-templates/<int:template_id>/active/",
        plan_templates.plan_template_toggle,
        name="plan_template_toggle",
    ),
]
