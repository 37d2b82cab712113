"""Inviting staff from the host stand (docs/host-stand.md, "Staff"): a restaurant's managers
(and superusers) invite an address as a host or a manager, see the invitations still open and
withdraw one. The same services as the API's (restaurants.invitations): the email goes through
the outbox, the membership comes only when the invited person accepts. A host of the
restaurant is refused (403: they see the day, not its staff); anyone else gets the host
stand's 404."""

from django import forms
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import AlreadyStaff, ApplicationError
from restaurants.invitations import invitation_create, invitation_revoke
from restaurants.models import StaffInvitation, StaffMembership
from restaurants.selectors import invitations_open
from web.host.access import HostStand
from web.host.views import staff_page


class InviteForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Email"), max_length=254)
    role = forms.ChoiceField(
        label=gettext_lazy("Role"),
        choices=(
            (StaffMembership.Role.HOST, gettext_lazy("Host")),
            (StaffMembership.Role.MANAGER, gettext_lazy("Manager")),
        ),
        initial=StaffMembership.Role.HOST,
    )


def _managing(stand: HostStand) -> HostStand:
    if not stand.can_manage:
        raise PermissionDenied("Only the restaurant's managers invite staff.")
    return stand


def _page(request, stand: HostStand, form: InviteForm, *, status: int = 200):
    return render(
        request,
        "host/staff.html",
        {
            "stand": stand,
            "restaurant": stand.restaurant,
            "form": form,
            "invitations": invitations_open(restaurant=stand.restaurant),
            "sent": request.GET.get("sent") == "1",
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@staff_page
def staff(request, stand: HostStand):
    _managing(stand)
    if request.method == "GET":
        return _page(request, stand, InviteForm())
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            invitation_create(
                restaurant=stand.restaurant,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                invited_by=request.user,
                language=get_language() or "",
            )
        except AlreadyStaff:
            form.add_error("email", _("This address already works here."))
        except ApplicationError:
            form.add_error("email", _("This invitation could not be sent."))
        else:
            return redirect(
                reverse("host:staff", kwargs={"slug": stand.restaurant.slug}) + "?sent=1"
            )
    return _page(request, stand, form, status=400)


@require_POST
@staff_page
def withdraw(request, stand: HostStand, invitation_id: int):
    _managing(stand)
    invitation = get_object_or_404(StaffInvitation, pk=invitation_id, restaurant=stand.restaurant)
    invitation_revoke(invitation=invitation)
    return redirect("host:staff", slug=stand.restaurant.slug)
