"""The guest emails: subject, text and HTML bodies from templates, the .ics attachment."""

import hashlib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from notifications.models import Notification
from reservations.ics import manage_url, reservation_ics, sender_domain
from restaurants.invitations import invitation_url

# Every e-mail is written in the guest's language, the one stored with the booking
# (Reservation.language): subjects, bodies, dates and the calendar file.
SUBJECTS = {
    Notification.Kind.HOLD_CREATED: gettext_lazy("Please confirm your table at {restaurant}"),
    Notification.Kind.CONFIRMED: gettext_lazy("Your table at {restaurant} is confirmed"),
    Notification.Kind.REMINDER: gettext_lazy("Reminder: your table at {restaurant}"),
    Notification.Kind.CANCELLED: gettext_lazy("Your reservation at {restaurant} is cancelled"),
    Notification.Kind.EXPIRED: gettext_lazy("Your hold at {restaurant} has expired"),
    Notification.Kind.CHANGED: gettext_lazy("Your reservation at {restaurant} has changed"),
    Notification.Kind.INVITATION: gettext_lazy("You are invited to the staff of {restaurant}"),
}


def message_id_for(notification: Notification) -> str:
    """The same Message-ID for every attempt at one notification, so a receiver (and the
    tests) can tell a retry from a second message."""
    digest = hashlib.sha256(notification.dedupe_key.encode()).hexdigest()[:16]
    return f"<rf.{notification.pk}.{digest}@{sender_domain()}>"


def email_context(notification: Notification) -> dict:
    reservation = notification.reservation
    restaurant = reservation.restaurant
    tz = restaurant.tz
    start = reservation.start_at.astimezone(tz)
    expires = reservation.expires_at.astimezone(tz) if reservation.expires_at else None
    return {
        "kind": notification.kind,
        "customer": notification.customer,
        "reservation": reservation,
        "restaurant": restaurant,
        "local_start": start,
        # Day and month names in the active language (build_email activates the guest's).
        # Translators: a date format (Django's format characters): weekday, day, month, year.
        "local_date": date_format(start, _("l j F Y")),
        "local_time": start.strftime("%H:%M"),
        "timezone": restaurant.timezone,
        "local_expires": (
            _("%(time)s on %(date)s")
            # Translators: a date format (Django's format characters): day and month.
            % {"time": expires.strftime("%H:%M"), "date": date_format(expires, _("j F"))}
            if expires
            else ""
        ),
        "manage_url": manage_url(reservation),
    }


def build_email(notification: Notification) -> EmailMultiAlternatives:
    """The message for ``notification``, in the language of its reservation's guest (an
    invitation: the inviter's)."""
    if notification.invitation_id:
        with translation.override(notification.invitation.language or settings.LANGUAGE_CODE):
            return _build_invitation_email(notification)
    with translation.override(notification.reservation.language or settings.LANGUAGE_CODE):
        return _build_email(notification)


def _headers(notification: Notification) -> dict[str, str]:
    return {
        "Message-ID": message_id_for(notification),
        "Content-Language": translation.get_language(),
        **({"X-Request-ID": notification.request_id} if notification.request_id else {}),
    }


def _build_invitation_email(notification: Notification) -> EmailMultiAlternatives:
    invitation = notification.invitation
    restaurant = invitation.restaurant
    context = {
        "restaurant": restaurant,
        "role": invitation.role,
        "accept_url": invitation_url(invitation),
        # Translators: a date format (Django's format characters): day, month, year, time.
        "local_expires": date_format(invitation.expires_at, _("j F Y, H:i")),
    }
    message = EmailMultiAlternatives(
        subject=str(SUBJECTS[notification.kind]).format(restaurant=restaurant.name),
        body=render_to_string("notifications/email/invitation.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[invitation.email],
        reply_to=[restaurant.email] if restaurant.email else None,
        headers=_headers(notification),
    )
    message.attach_alternative(
        render_to_string("notifications/email/invitation.html", context), "text/html"
    )
    return message


def _build_email(notification: Notification) -> EmailMultiAlternatives:
    context = email_context(notification)
    restaurant = context["restaurant"]
    subject = str(SUBJECTS[notification.kind]).format(restaurant=restaurant.name)
    text = render_to_string("notifications/email/message.txt", context)
    html = render_to_string("notifications/email/message.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.customer.email],
        reply_to=[restaurant.email] if restaurant.email else None,
        headers=_headers(notification),
    )
    message.attach_alternative(html, "text/html")
    if notification.kind == Notification.Kind.CONFIRMED:
        message.attach("reservation.ics", reservation_ics(context["reservation"]), "text/calendar")
    return message
