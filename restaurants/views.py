"""The page an invitation's emailed link opens (``/invitations/<token>/``): who invites to
what, a form to accept (with a password for a new account), then where to sign in. A plain
form and a redirect-free answer; the work is restaurants.invitations'."""

from django import forms
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from core.errors import ApplicationError, ValidationFailed
from restaurants import invitations


class AcceptForm(forms.Form):
    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=150, required=False)
    password = forms.CharField(
        label=gettext_lazy("Password"),
        max_length=128,
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


def _role_text(role: str) -> str:
    return _("manager") if role == "manager" else _("host")


@require_http_methods(["GET", "POST"])
def invitation_page(request, token: str):
    try:
        view = invitations.invitation_for_token(token)
    except ApplicationError as error:
        context = {"error": error.message}
        return render(request, "restaurants/invitation.html", context, status=error.status)
    form = AcceptForm(request.POST or None)
    context = {
        "invitation": view.invitation,
        "restaurant": view.invitation.restaurant,
        "role": _role_text(view.invitation.role),
        "has_account": view.has_account,
        "form": form,
    }
    if request.method == "POST" and form.is_valid():
        try:
            invitations.invitation_accept(token=token, **form.cleaned_data)
        except ValidationFailed as error:
            for field, messages in error.details.items():
                for message in messages:
                    form.add_error(field if field in form.fields else None, message)
            return render(request, "restaurants/invitation.html", context, status=400)
        except ApplicationError as error:
            context["error"] = error.message
            return render(request, "restaurants/invitation.html", context, status=error.status)
        context["accepted"] = True
        return render(request, "restaurants/invitation.html", context)
    status = 400 if request.method == "POST" else 200
    return render(request, "restaurants/invitation.html", context, status=status)
