"""Typed events: handlers subscribed for an event's exact type run synchronously, in order,
inside the publisher's transaction; an event nobody subscribed to does nothing."""

from dataclasses import FrozenInstanceError, dataclass
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from core import events
from core.models import IdempotencyRecord


@dataclass(frozen=True)
class ThingHappened(events.Event):
    name: str


@dataclass(frozen=True)
class OtherThingHappened(events.Event):
    name: str


@dataclass(frozen=True)
class SpecialThingHappened(ThingHappened):
    pass


@pytest.fixture(autouse=True)
def no_subscribers(monkeypatch):
    """Each test starts with no handler at all and leaves the start-up ones in place."""
    monkeypatch.setattr(events, "_subscribers", {})


def test_an_event_nobody_subscribed_to_does_nothing():
    events.publish(ThingHappened(name="unheard"))
    assert events.subscribers(ThingHappened) == ()


def test_handlers_run_now_in_the_order_they_subscribed():
    seen = []
    events.subscribe(ThingHappened, lambda event: seen.append(("first", event.name)))
    events.subscribe(ThingHappened, lambda event: seen.append(("second", event.name)))
    events.publish(ThingHappened(name="a"))
    assert seen == [("first", "a"), ("second", "a")]


def test_a_handler_sees_only_its_exact_event_type():
    seen = []
    events.subscribe(ThingHappened, seen.append)
    events.publish(OtherThingHappened(name="other"))
    events.publish(SpecialThingHappened(name="special"))
    assert seen == []


def test_subscribing_a_handler_twice_runs_it_once():
    seen = []
    events.subscribe(ThingHappened, seen.append)
    events.subscribe(ThingHappened, seen.append)
    events.publish(ThingHappened(name="once"))
    assert [event.name for event in seen] == ["once"]


def test_events_are_frozen_and_only_events_are_published():
    with pytest.raises(FrozenInstanceError):
        ThingHappened(name="a").name = "b"  # type: ignore[misc]
    with pytest.raises(TypeError):
        events.publish({"name": "not an event"})  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        events.subscribe(dict, print)  # type: ignore[arg-type]
    with pytest.raises(TypeError):

        @dataclass  # a subclass cannot unfreeze the base
        class Loose(events.Event):
            name: str


def _write_record(event: ThingHappened) -> None:
    now = timezone.now()
    IdempotencyRecord.objects.create(
        scope="events-test",
        key=event.name,
        request_hash="-",
        status=IdempotencyRecord.Status.IN_PROGRESS,
        created_at=now,
        expires=now + timedelta(minutes=1),
    )


@pytest.mark.django_db(transaction=True)
def test_what_a_handler_writes_commits_or_rolls_back_with_the_publisher():
    def refuse(event):
        raise RuntimeError("refused")

    events.subscribe(ThingHappened, _write_record)
    with transaction.atomic():
        events.publish(ThingHappened(name="kept"))
    assert IdempotencyRecord.objects.filter(key="kept").exists()

    events.subscribe(ThingHappened, refuse)
    with pytest.raises(RuntimeError), transaction.atomic():
        events.publish(ThingHappened(name="rolled-back"))
    assert not IdempotencyRecord.objects.filter(key="rolled-back").exists()
