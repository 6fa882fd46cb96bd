"""Patient pages."""

urlpatterns: list = []
