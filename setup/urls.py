from django.urls import path

from setup import views, views_people, views_protocols

app_name = "setup"

urlpatterns = [
    path("", views.center_list, name="index"),
    path("centers/new/", views.center_create, name="center_create"),
    path("<int:center_id>/", views.center_detail, name="center"),
    path("<int:center_id>/settings/", views.center_settings, name="settings"),
    path("<int:center_id>/hours/", views.weekly_hours, name="hours"),
    path("<int:center_id>/closures/", views.closures, name="closures"),
    path("<int:center_id>/closures/<int:pk>/delete/", views.closure_delete, name="closure_delete"),
    path("<int:center_id>/holidays/<int:pk>/delete/", views.holiday_delete, name="holiday_delete"),
    path("<int:center_id>/chairs/", views.chairs, name="chairs"),
    path("<int:center_id>/chairs/<int:pk>/", views.chair_edit, name="chair_edit"),
    path("<int:center_id>/chairs/<int:pk>/move/", views.chair_move, name="chair_move"),
    path("<int:center_id>/chairs/<int:pk>/service/", views.chair_deactivate, name="chair_deactivate"),
    path("<int:center_id>/chairs/<int:pk>/blocks/", views.chair_blocks, name="chair_blocks"),
    path(
        "<int:center_id>/chairs/<int:pk>/blocks/<int:block_id>/delete/",
        views.chair_block_delete,
        name="chair_block_delete",
    ),
    path("<int:center_id>/staff/", views_people.staff, name="staff"),
    path("<int:center_id>/staff/<int:user_id>/", views_people.staff_edit, name="staff_edit"),
    path("<int:center_id>/staff/<int:user_id>/remove/", views_people.staff_deactivate, name="staff_deactivate"),
    path("<int:center_id>/rota/", views_people.rota, name="rota"),
    path("<int:center_id>/rota/<int:pk>/generate/", views_people.rota_generate, name="rota_generate"),
    path("<int:center_id>/rota/<int:pk>/delete/", views_people.rota_pattern_delete, name="rota_pattern_delete"),
    path("<int:center_id>/shifts/new/", views_people.shift_edit, name="shift_add"),
    path("<int:center_id>/shifts/<int:pk>/", views_people.shift_edit, name="shift_edit"),
    path("<int:center_id>/shifts/<int:pk>/delete/", views_people.shift_delete, name="shift_delete"),
    path("<int:center_id>/protocols/", views_protocols.protocols, name="protocols"),
    path("<int:center_id>/protocols/<int:pk>/", views_protocols.protocol_edit, name="protocol_edit"),
    path("<int:center_id>/import/", views_protocols.import_upload, name="import"),
    path("<int:center_id>/import/confirm/", views_protocols.import_confirm, name="import_confirm"),
]
