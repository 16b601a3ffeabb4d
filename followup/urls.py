from django.urls import path

from . import metrics, nurse_views, views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("preferences/", views.preferences, name="preferences"),
    path("flags/<int:flag_id>/contacted/", views.flag_contacted, name="flag_contacted"),
    path("notices/<int:message_id>/dismiss/", views.notice_dismiss, name="notice_dismiss"),
    path("staff/queue/", nurse_views.flag_queue, name="flag_queue"),
    path("staff/queue/next/", nurse_views.queue_next, name="queue_next"),
    path("staff/survivors/", nurse_views.survivors, name="survivor_list"),
    path("staff/call-lists/", nurse_views.call_lists, name="call_lists"),
    path("staff/call-lists/follow-up-overdue/", nurse_views.plan_overdue, name="plan_overdue"),
    path("staff/dashboard/", nurse_views.dashboard, name="dashboard"),
    path("admin-pages/audit/", views.audit_trail, name="audit_trail"),
    path("staff/flags/<int:flag_id>/", nurse_views.nurse_flag, name="nurse_flag"),
    path("staff/flags/<int:flag_id>/history/", nurse_views.flag_history, name="nurse_flag_history"),
    path("admin-pages/messages/", views.message_list, name="message_list"),
    path("admin-pages/messages/<int:message_id>/retry/", views.message_retry, name="message_retry"),
    path("admin-pages/cadence/", views.cadence_edit, name="cadence_edit"),
]
