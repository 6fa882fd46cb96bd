"""Every page needs a logged-in user.

Django's LoginRequiredMiddleware guards the pages; the API under /api/
authenticates tokens inside DRF and answers 401 itself, so it is left to DRF
rather than being redirected to the login form.
"""

from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequiredMiddleware


class LoginRequiredMiddleware(DjangoLoginRequiredMiddleware):
    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
