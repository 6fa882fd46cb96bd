"""API routes of the waitlist (included by infusion_center/api_urls.py); see waitlist.api."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from waitlist import api

router = DefaultRouter()
router.trailing_slash = "/?"
router.include_root_view = False
router.register("waitlist/entries", api.WaitlistEntryViewSet, basename="api-waitlistentry")
router.register("waitlist/offers", api.OfferViewSet, basename="api-waitlistoffer")

urlpatterns = [path("", include(router.urls))]
