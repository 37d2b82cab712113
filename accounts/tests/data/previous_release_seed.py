"""How the previous-release databases in this folder were made (at commit 970bea6, before the
accounts app): ``manage.py migrate`` on an empty PostgreSQL database and on an embedded SQLite
one, then this script in ``manage.py shell``, then ``pg_dump --no-owner --no-privileges
--inserts`` (psql meta-commands removed) and ``sqlite3.Connection.iterdump()``. It imports the
previous release's names and is kept as the record of what the data holds, not run here."""

import zoneinfo
from datetime import time, timedelta

from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Group, Permission

from core.clock import now
from customers.models import Customer, GuestRecord, User
from reservations.actors import Actor
from reservations.services.booking import reservation_create
from reservations.services.transitions import reservation_confirm
from restaurants.demo import demo_create_if_empty
from restaurants.models import StaffMembership

restaurant = demo_create_if_empty().restaurant
admin = User.objects.get(email="admin@reservaflow.local")
admin.set_password("admin-pass-123")
admin.save()
manager = User.objects.create_user(
    email="manager@example.com", password="manager-pass-123", first_name="Mia"
)
host = User.objects.create_user(email="host@example.com", password="host-pass-123")
guest = User.objects.create_user(
    email="guest@example.com", password="guest-pass-123", first_name="Gina"
)
host.groups.add(Group.objects.create(name="front of house"))
host.user_permissions.add(Permission.objects.get(codename="view_restaurant"))
StaffMembership.objects.create(restaurant=restaurant, user=manager, role="manager")
StaffMembership.objects.create(restaurant=restaurant, user=host, role="host")
Customer.objects.create(
    user=guest, first_name="Gina", last_name="Guest", email="guest@example.com",
    phone="+34600111222",
)  # fmt: skip
local = Customer.objects.create(
    first_name="Lola", last_name="Local", email="lola@example.com", phone="+34600333444",
    created_by_restaurant=restaurant,
)  # fmt: skip
GuestRecord.objects.create(restaurant=restaurant, customer=local, notes="window seat")
day = (now() + timedelta(days=3)).astimezone(zoneinfo.ZoneInfo("Europe/Madrid")).date()
booked = reservation_create(
    user=guest, restaurant_id=restaurant.pk, reservation_date=day,
    reservation_time=time(20, 0), party_size=2,
)  # fmt: skip
reservation_create(
    user=host, restaurant_id=restaurant.pk, reservation_date=day,
    reservation_time=time(20, 30), party_size=4, customer_id=local.pk, source="phone",
)  # fmt: skip
reservation_confirm(reservation=booked, actor=Actor.GUEST)
LogEntry.objects.log_actions(
    user_id=admin.pk, queryset=[restaurant], action_flag=ADDITION, change_message="seeded"
)
