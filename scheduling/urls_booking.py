"""Nurses' booking pages (mounted at the site root); see views_booking."""

from django.urls import path

from scheduling import views_booking as views

urlpatterns = [
    path("board/", views.board, name="board"),
    path("board/sheet/", views.board_sheet, name="board_sheet"),
    path("board/week/", views.board_week, name="board_week"),
    path("slots/", views.slot_finder, name="slot_finder"),
    path("slots/confirm/", views.slot_confirm, name="slot_confirm"),
    path("slots/dose/", views.slot_dose, name="slot_dose"),
    path("appointments/<int:pk>/", views.appointment_detail, name="appointment_detail"),
    path("appointments/<int:pk>/move/", views.appointment_move, name="appointment_move"),
    path("appointments/<int:pk>/move/confirm/", views.appointment_move_confirm, name="appointment_move_confirm"),
    path("appointments/<int:pk>/cancel/", views.appointment_cancel, name="appointment_cancel"),
]
