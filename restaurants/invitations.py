"""Invitations to a restaurant's staff: a manager (or a superuser) invites an address as a
host or a manager; the invited person follows the emailed link, sets a password when the
account is new (or was never activated), and only then gets the membership.

The link is signed (the invitation's nonce, with the secret key and its own salt), lapses
after ``INVITATION_VALID_DAYS`` and works once. Its email goes through the outbox like every
email: ``StaffInvited`` is published inside the writing transaction and notifications records
the row there (so a rolled-back invitation sends nothing).

Who may invite is decided by the caller's standing at the restaurant (the API: the
restaurant's managers and superusers); a role is only ever ``manager`` or ``host`` of that one
restaurant (the model's constraint says so too), never a superuser's rights.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction

from accounts.emails import normalize_email
from accounts.models import User
from core.clock import now as clock_now
from core.errors import (
    AlreadyStaff,
    InvitationExpired,
    InvitationNotFound,
    InvitationUsed,
    ValidationFailed,
)
from core.events import publish
from restaurants.events import StaffInvited
from restaurants.models import Restaurant, StaffInvitation, StaffMembership

_SALT = "restaurants.invitation"


def invitation_token(invitation: StaffInvitation) -> str:
    """The secret part of the invitation's link."""
    return signing.Signer(salt=_SALT).sign(invitation.nonce)


def invitation_url(invitation: StaffInvitation) -> str:
    """The link the invitation's email carries (the page that accepts it)."""
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    return f"{base}/invitations/{invitation_token(invitation)}/"


@transaction.atomic
def invitation_create(
    *,
    restaurant: Restaurant,
    email: str,
    role: str,
    invited_by: User | None,
    language: str = "",
) -> StaffInvitation:
    """Invite ``email`` to ``restaurant`` as ``role`` (manager or host). An address whose
    account already works there is refused (409 ``already_staff``: change its role instead).
    An open invitation to the same address at the restaurant is replaced, its link stops
    working. Nothing is granted yet: the membership comes with the acceptance."""
    if role not in StaffMembership.Role.values:
        raise ValidationFailed.field("role", "The role is manager or host.")
    email = normalize_email(email)
    if StaffMembership.objects.filter(restaurant=restaurant, user__email=email).exists():
        raise AlreadyStaff(details={"email": [AlreadyStaff.message]})
    now = clock_now()
    StaffInvitation.objects.select_for_update().filter(
        restaurant=restaurant, email=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now, updated_at=now)
    invitation = StaffInvitation.objects.create(
        restaurant=restaurant,
        email=email,
        role=role,
        invited_by=invited_by,
        nonce=secrets.token_urlsafe(32),
        expires_at=now + timedelta(days=settings.INVITATION_VALID_DAYS),
        language=language if language in dict(settings.LANGUAGES) else "",
    )
    publish(StaffInvited(invitation_id=invitation.pk))
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: StaffInvitation) -> None:
    """Withdraw an open invitation: its link stops working. An accepted one stays as the
    record of who joined (the membership is removed on the staff list)."""
    if invitation.accepted_at is None and invitation.revoked_at is None:
        now = clock_now()
        StaffInvitation.objects.filter(pk=invitation.pk).update(revoked_at=now, updated_at=now)


@dataclass(frozen=True)
class InvitationView:
    """What the invitation's page shows before it is accepted."""

    invitation: StaffInvitation
    # Whether the address has an active account: then no password is asked for.
    has_account: bool


def _invitation_of(token: str, *, for_update: bool = False) -> StaffInvitation:
    try:
        nonce = signing.Signer(salt=_SALT).unsign(token)
    except signing.BadSignature as exc:
        raise InvitationNotFound() from exc
    rows = StaffInvitation.objects.select_related("restaurant")
    if for_update:
        rows = rows.select_for_update(of=("self",))
    invitation = rows.filter(nonce=nonce, revoked_at__isnull=True).first()
    if invitation is None:
        raise InvitationNotFound()
    if invitation.accepted_at is not None:
        raise InvitationUsed()
    if invitation.expires_at <= clock_now():
        raise InvitationExpired()
    return invitation


def invitation_for_token(token: str) -> InvitationView:
    """The open invitation a link stands for: 404 ``invitation_not_found`` for a link this
    service did not sign or one replaced or withdrawn, 410 ``invitation_used`` /
    ``invitation_expired`` for one that can no longer be accepted."""
    invitation = _invitation_of(token)
    account = User.objects.filter(email=invitation.email).first()
    return InvitationView(
        invitation=invitation, has_account=account is not None and account.is_active
    )


@transaction.atomic
def invitation_accept(
    *, token: str, password: str = "", first_name: str = "", last_name: str = ""
) -> StaffMembership:
    """Accept the invitation the link stands for, once. The link proves the address (it was
    sent there), as a password-reset link does. Without an account for the address, one is
    created with ``password`` (required, checked by the password validators) and the names
    given; an inactive account is activated with the new password; an active account keeps
    its password (one given is ignored) and is not otherwise changed. Then the account gets
    the invitation's role at its restaurant. An account that joined the staff meanwhile is
    refused (409 ``already_staff``)."""
    invitation = _invitation_of(token, for_update=True)
    user = User.objects.select_for_update().filter(email=invitation.email).first()
    if user is None or not user.is_active:
        candidate = user or User(email=invitation.email)
        if user is None:
            candidate.first_name = first_name.strip()[:150]
            candidate.last_name = last_name.strip()[:150]
        if not password:
            raise ValidationFailed.field("password", "Choose a password for your new account.")
        try:
            validate_password(password, user=candidate)
        except DjangoValidationError as exc:
            raise ValidationFailed(details={"password": list(exc.messages)}) from exc
        candidate.set_password(password)
        candidate.is_active = True
        candidate.save()
        user = candidate
    if StaffMembership.objects.filter(restaurant=invitation.restaurant, user=user).exists():
        raise AlreadyStaff()
    membership = StaffMembership.objects.create(
        restaurant=invitation.restaurant, user=user, role=invitation.role
    )
    now = clock_now()
    StaffInvitation.objects.filter(pk=invitation.pk).update(
        accepted_at=now, accepted_by=user, updated_at=now
    )
    return membership
