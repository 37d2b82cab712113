"""The admin's actions on selected reservations: one transition each, defined once as a table
(``TRANSITION_ACTIONS``), run per reservation as the admin's user (``reservations.callers``:
``admin_actor``), never as ``queryset.update``; each refusal is reported as a message."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers

from core.errors import ApplicationError
from reservations import callers, services


@dataclass(frozen=True)
class TransitionAction:
    """An action of the reservations list: its name (what the list posts), its label, the
    transition service it runs with ``options``, and what the success message says."""

    name: str
    description: str
    service: Callable[..., Any]
    done: str
    options: dict[str, Any] = field(default_factory=dict)


TRANSITION_ACTIONS = (
    TransitionAction(
        "confirm_selected",
        "Confirm selected reservations",
        services.reservation_confirm,
        "confirmed",
    ),
    TransitionAction(
        "seat_selected", "Seat selected reservations", services.reservation_seat, "seated"
    ),
    TransitionAction(
        "complete_selected",
        "Complete selected reservations",
        services.reservation_complete,
        "completed",
    ),
    TransitionAction(
        "mark_no_show_selected",
        "Mark selected reservations as no-show",
        services.reservation_mark_no_show,
        "marked as no-show",
    ),
    TransitionAction(
        "cancel_selected",
        "Cancel selected reservations",
        services.reservation_cancel,
        "cancelled",
        {"reason": "Cancelled in the admin."},
    ),
)


def run_on_each(modeladmin, request, queryset, spec: TransitionAction) -> None:
    """Run ``spec``'s transition on each selected reservation as the admin's user; ids outside
    the user's scope (the changelist's queryset) are refused, not acted on."""
    selected = set(request.POST.getlist(helpers.ACTION_CHECKBOX_NAME))
    reservations = list(queryset.select_related("restaurant", "customer"))
    outside = len(selected - {str(r.pk) for r in reservations})
    if outside and request.POST.get("select_across") != "1":
        modeladmin.message_user(
            request, f"{outside} selected reservation(s) not found.", messages.ERROR
        )
    succeeded = 0
    for reservation in reservations:
        try:
            spec.service(
                reservation=reservation,
                actor=callers.admin_actor(request.user, reservation.restaurant_id),
                **spec.options,
            )
        except ApplicationError as exc:
            modeladmin.message_user(request, f"{reservation}: {exc.message}", messages.ERROR)
        else:
            succeeded += 1
    if succeeded:
        modeladmin.message_user(
            request, f"{succeeded} reservation(s) {spec.done}.", messages.SUCCESS
        )


def admin_action(spec: TransitionAction):
    """The admin action ``spec`` defines, named ``spec.name``."""

    @admin.action(description=spec.description)
    def action(modeladmin, request, queryset):
        run_on_each(modeladmin, request, queryset, spec)

    action.__name__ = spec.name
    return action
