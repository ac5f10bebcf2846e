"""Login required for every page; API views answer 401/403 through DRF instead of redirecting."""

from django.contrib.auth.middleware import LoginRequiredMiddleware
from rest_framework.views import APIView


class PortalLoginRequiredMiddleware(LoginRequiredMiddleware):
    def process_view(self, request, view_func, view_args, view_kwargs):
        view_class = getattr(view_func, "cls", None) or getattr(view_func, "view_class", None)
        if isinstance(view_class, type) and issubclass(view_class, APIView):
            # The API's base class (mlops_portal.api.base.PortalApi) checks every API view.
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class PortalErrorPageMiddleware:
    """The HTML side of the one error contract: a PortalError becomes a readable page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.shortcuts import render

        from mlops_portal.errors import PortalError

        if isinstance(exception, PortalError):
            return render(
                request, "error.html", {"error": exception.as_dict()}, status=exception.status
            )
        return None
