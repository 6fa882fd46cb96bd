from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static

from chairs.roles import CENTER_ADMIN, FRONT_DESK, NURSE, PHARMACY, roles_of
from chairs.selectors import centers_for

# Each role's home, first match wins: a nurse's is the chair board, the front desk's today's arrivals,
# an administrator's the center set-up (the Django admin: there is no separate set-up page yet).
ROLE_HOMES = ((NURSE, "board"), (FRONT_DESK, "arrivals"), (CENTER_ADMIN, "setup:index"), (PHARMACY, "pharmacy_queue"))


def home(request):
    """Send each user to the page of their role; the welcome page is for users without a center or role."""
    centers = centers_for(user=request.user)
    if centers.exists():
        roles = roles_of(request.user)
        for role, url_name in ROLE_HOMES:
            if role in roles:
                return redirect(url_name)
        if request.user.is_superuser:
            return redirect("setup:index")
    return render(request, "home.html", {"centers": centers})


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
