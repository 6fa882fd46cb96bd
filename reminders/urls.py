"""Reminder pages, signed links and SMS webhooks."""

urlpatterns: list = []
