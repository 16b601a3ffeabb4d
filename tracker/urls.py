from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("check-in/", views.checkin_create, name="checkin_create"),
    path("check-ins/<int:checkin_id>/", views.checkin_detail, name="checkin_detail"),
    path("weight/", views.weight_create, name="weight_create"),
    path("settings/", views.profile, name="profile"),
    path("invite/<str:token>/", views.invite_accept, name="invite_accept"),
    path("staff/", views.staff_home, name="staff_home"),
    path("staff/survivors/<int:survivor_id>/", views.survivor_history, name="survivor_history"),
]
