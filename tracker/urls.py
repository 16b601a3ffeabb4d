from django.urls import path

from . import invite_views, preview_views, rule_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("check-in/", views.checkin_create, name="checkin_create"),
    path("check-ins/<int:checkin_id>/", views.checkin_detail, name="checkin_detail"),
    path("weight/", views.weight_create, name="weight_create"),
    path("weights/<int:weight_id>/correct/", views.weight_correct, name="weight_correct"),
    path("entries/<int:entry_id>/entered-in-error/", views.entry_entered_in_error, name="entry_entered_in_error"),
    # The emailed link trades its token for the session and goes on to
    # invite/ (tracker/invite_views.py); both throttled per address, answers
    # per link (tracker/security/throttle.py).
    path("invite/", invite_views.invite_page, name="invite_page"),
    path("invite/<str:token>/", invite_views.invite_link, name="invite_accept"),
    path("staff/", views.staff_home, name="staff_home"),
    path("staff/survivors/<int:survivor_id>/", views.survivor_history, name="survivor_history"),
    path("staff/survivors/<int:survivor_id>/export.csv", views.survivor_export, name="survivor_export"),
]

urlpatterns += [
    path("rules/", rule_views.rule_list, name="rule_list"),
    path("rules/new/", rule_views.rule_edit, name="rule_create"),
    path("rules/export/", rule_views.rules_export, name="rules_export"),
    path("rules/import/", rule_views.rules_import, name="rules_import"),
    path("rules/bench/", rule_views.rules_bench, name="rules_bench"),
    path("rules/sentence/", rule_views.rules_sentence, name="rules_sentence"),
    path("rules/previews/<int:job_id>/", preview_views.preview_job_detail, name="preview_job_detail"),
    path("rules/previews/<int:job_id>/status/", preview_views.preview_job_status, name="preview_job_status"),
    path("rules/previews/<int:job_id>/cancel/", preview_views.preview_job_cancel, name="preview_job_cancel"),
    path("rules/<slug:slug>/", rule_views.rule_detail, name="rule_detail"),
    path("rules/<slug:slug>/edit/", rule_views.rule_edit, name="rule_edit"),
    path("rules/<slug:slug>/toggle/", rule_views.rule_toggle, name="rule_toggle"),
]
