from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerSplitView

from chairside.urls import pharmacy_urlpatterns as pharmacy_urls
from infusion_center import views

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("accounts.urls")),
    # Invitations (setup/services.py) carry a set-password link through Django's password-reset machinery.
    path(
        "accounts/set-password/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("accounts/set-password/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("infusion_center.api_urls")),
    path("fhir/r4/", include("fhir_r4.urls")),
    # The split view serves Swagger UI's set-up script as a file, so the page needs no inline script (CSP).
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
    path("patients/", include("patients.urls")),
    path("", include("audit.urls")),
    path("reminders/", include("reminders.urls")),
    path("", include("booking_templates.urls")),
    path("setup/", include("setup.urls")),
    path("", include("webhooks.urls")),
    path("insights/", include("insights.urls")),
    path("chairside/", include("chairside.urls")),
    path("pharmacy/", include(pharmacy_urls)),
    path("", include("scheduling.urls")),
    path("", include("frontdesk.urls")),
    path("", include("treatment.urls")),
]
