from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static

from chairs.selectors import centers_for


def home(request):
    return render(request, "home.html", {"centers": centers_for(user=request.user)})


@login_not_required
def health(request):
    """Liveness for load balancers and docker-compose: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@login_not_required
def favicon(request):
    """Browsers ask for /favicon.ico on pages that name no icon (the admin's, say)."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))
