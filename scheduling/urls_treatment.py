"""URL routes; see the views module of the same name."""

urlpatterns: list = []
