"""Signing in to the host stand, out of it, and the restaurants whose host stand a user opens."""

from django.contrib.auth import login, logout
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from web.host.access import host_restaurants
from web.host.forms import SignInForm


def _safe_next(request, target: str) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("host:home")


@require_http_methods(["GET", "POST"])
def home(request):
    """Signed out: the sign-in form. Signed in: the restaurants whose host stand they open.
    A refused sign-in is the form again with why: 400, or 429 with Retry-After over the
    sign-in limits."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.method == "POST":
        form = SignInForm(request, request.POST)
        if form.is_valid():
            login(request, form.user)
            return redirect(_safe_next(request, next_url))
        refused = form.throttled
        response = render(
            request,
            "host/sign_in.html",
            {"form": form, "next": next_url},
            status=refused.status if refused else 400,
        )
        for name, value in (refused.headers() if refused else {}).items():
            response[name] = value
        return response
    if not request.user.is_authenticated:
        return render(request, "host/sign_in.html", {"form": SignInForm(request), "next": next_url})
    restaurants = list(host_restaurants(request.user))
    return render(request, "host/home.html", {"restaurants": restaurants})


@require_POST
def sign_out(request):
    logout(request)
    return redirect("host:home")
