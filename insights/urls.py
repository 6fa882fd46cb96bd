from django.urls import path

from insights import views

app_name = "insights"

urlpatterns = [
    path("", views.index, name="index"),
    path("today/", views.today, name="today"),
    path("chair-minutes/apply/", views.apply_chair_time, name="apply_chair_time"),
    path("<slug:slug>/", views.insight_view, name="view"),
]
