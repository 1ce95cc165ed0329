"""Where home is, home/away by distance, and the defaults a household described the short way gets."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from custom_components.ambient_mesh.engine.assumptions import resolve
from custom_components.ambient_mesh.engine.context import ContextStore
from custom_components.ambient_mesh.engine.home import (
    HomeLocator,
    KnownHome,
    at_home,
    destination_is_home,
    distance_m,
)
from custom_components.ambient_mesh.engine.household import Home, Household
from custom_components.ambient_mesh.engine.replay import ScenarioError, load_scenario, run_scenario
from custom_components.ambient_mesh.engine.signals import Location, Signal

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SHORT = sorted(SCENARIOS.glob("short_*.yaml"))
NOW = datetime(2026, 1, 12, 6, 0, tzinfo=UTC)
PHONE = "owntracks/alice/pixel"
CAR = "teslamate/cars/1"
BERLIN = Home(52.5200, 13.4050, 150.0)


def household(**extra: Any) -> Household:
    data: dict[str, Any] = {
        "people": [{"id": "alice", "name": "Alice", "sources": {"phone": PHONE}, "vehicle": "car1"}],
        "vehicles": [{"id": "car1", "sources": {"telemetry": CAR}}],
        "zones": [],
        **extra,
    }
    return Household.from_dict(data)


def record(context: ContextStore, source: str, kind: str, value: Any, ts: datetime = NOW) -> None:
    context.record([Signal(source, kind, value, ts)])


# where home is


def test_household_home_wins_over_inference() -> None:
    context = ContextStore()
    record(context, PHONE, "location", Location(48.0, 11.0))
    record(context, PHONE, "place", "home")
    known = HomeLocator().locate(household(home={"lat": 52.52, "lon": 13.405}), context)
    assert known is not None
    assert (known.home.lat, known.origin, known.assumed) == (52.52, "household", False)


def test_zone_home_origin_is_said() -> None:
    known = HomeLocator().locate(replace(household(), home=BERLIN, home_origin="zone.home"), ContextStore())
    assert known is not None
    assert known.origin == "zone.home"
    assert "zone.home" in known.describe()


def test_home_is_inferred_from_fixes_in_the_home_region_only() -> None:
    context = ContextStore()
    locator = HomeLocator()
    record(context, PHONE, "location", Location(52.6, 13.6), NOW - timedelta(hours=2))
    record(context, PHONE, "place", "", NOW - timedelta(hours=2))
    assert locator.locate(household(), context) is None  # a fix outside any region says nothing
    for minutes, lat in ((60, 52.52001), (30, 52.52003), (0, 52.51999)):
        ts = NOW - timedelta(minutes=minutes)
        record(context, PHONE, "location", Location(lat, 13.405, 10), ts)
        record(context, PHONE, "place", "home", ts)
    known = locator.locate(household(), context)
    assert known is not None
    assert known.assumed
    assert known.fixes == 3
    assert known.home.lat == pytest.approx(52.52001)
    assert "Alice's phone" in known.describe()


def test_coarse_fixes_do_not_move_an_inferred_home() -> None:
    context = ContextStore()
    record(context, PHONE, "location", Location(52.60, 13.405, 2000), NOW)
    record(context, PHONE, "place", "home", NOW)
    assert HomeLocator().locate(household(), context) is None


def test_inferred_home_astride_the_date_line_stays_on_it() -> None:
    context = ContextStore()
    for i, lon in enumerate((179.9995, -179.9996, 179.9998)):
        ts = NOW + timedelta(minutes=i)
        record(context, PHONE, "location", Location(-16.8, lon, 10), ts)
        record(context, PHONE, "place", "home", ts)
    known = HomeLocator().locate(household(), context)
    assert known is not None
    assert known.home.lon == pytest.approx(179.9998)
    car = Location(-16.8, -179.9990)
    assert distance_m(car.lat, car.lon, known.home.lat, known.home.lon) < 200


def test_distance_is_great_circle_across_the_date_line_and_hemispheres() -> None:
    assert distance_m(0.0, 179.9995, 0.0, -179.9995) == pytest.approx(111.2, abs=1)
    assert distance_m(-33.8688, 151.2093, -33.8688, 151.2093) == 0.0
    assert distance_m(52.52, 13.405, 52.75, 13.30) == pytest.approx(26_400, rel=0.03)


# home or away


def _car(place: str | None, location: Location | None, ts: datetime = NOW) -> tuple[ContextStore, Household]:
    context = ContextStore()
    if place is not None:
        record(context, CAR, "place", place, ts)
    if location is not None:
        record(context, CAR, "location", location, ts)
    return context, household()


@pytest.mark.parametrize(
    ("place", "location", "known", "expected"),
    [
        ("", Location(52.75, 13.30), BERLIN, False),  # empty geofence: by distance, 26 km
        ("", Location(52.52015, 13.4052), BERLIN, True),  # empty geofence, in the driveway
        ("Office", None, None, False),  # a geofence that names another place
        ("Home", Location(52.75, 13.30), None, True),  # the geofence says home
        ("zuhause", None, BERLIN, True),  # German
        ("", Location(52.75, 13.30), None, None),  # no home known, no geofence: unknown
        (None, None, BERLIN, None),  # no telemetry: unknown
    ],
)
def test_a_car_is_home_or_away_by_geofence_else_by_distance(
    place: str | None, location: Location | None, known: Home | None, expected: bool | None
) -> None:
    context, house = _car(place, location)
    where = at_home(
        context,
        house.vehicles["car1"],
        NOW + timedelta(hours=10),
        KnownHome(home=known, origin="household") if known else None,
        max_age=timedelta(hours=36),
        far_m=200,
    )
    assert where is expected


def test_a_newer_fix_away_outweighs_an_older_home_region() -> None:
    context = ContextStore()
    record(context, PHONE, "place", "home", NOW - timedelta(minutes=20))
    record(context, PHONE, "location", Location(52.60, 13.50), NOW)
    person = household().people["alice"]
    assert at_home(context, person, NOW, KnownHome(home=BERLIN, origin="household")) is False


@pytest.mark.parametrize(
    ("name", "where", "expected"),
    [
        ("Rosenweg 5", Location(52.52003, 13.4051), (True, "coordinates")),
        ("The Home Depot", Location(52.60, 13.50), (False, "coordinates")),
        ("Home", None, (True, "name")),
        ("Office", None, (False, "name")),
    ],
)
def test_a_route_is_home_by_its_coordinates_whatever_its_name(
    name: str, where: Location | None, expected: tuple[bool, str]
) -> None:
    assert destination_is_home(name, where, KnownHome(home=BERLIN, origin="household")) == expected


# defaults and their explanations


def _zones(*zones: dict[str, Any], people: list[dict[str, Any]] | None = None) -> Household:
    return Household.from_dict(
        {
            "people": people or [{"id": "alice", "name": "Alice", "sources": {"sleep": "sleep/alice"}}],
            "zones": list(zones),
        }
    )


def test_the_only_bedroom_is_assumed_and_explained() -> None:
    links = resolve(
        _zones(
            {"id": "bedroom", "name": "Bedroom", "sources": {"climate": "climate.bedroom"}},
            {"id": "living", "name": "Living room", "sources": {"climate": "climate.living"}},
        )
    )
    assert links.bedrooms == {"alice": "bedroom"}
    assumed = links.assumed("alice", "bedroom")
    assert assumed is not None
    assert assumed.words == (
        "assumed Alice's bedroom is Bedroom (the only zone called like a bedroom) — set it in Alice's options"
    )
    assert links.rooms == {"alice": ("living",)}  # climate, not a bedroom
    assert links.missing == ()


@pytest.mark.parametrize(
    ("zone", "because"),
    [
        ({"id": "schlafzimmer", "sources": {}}, "the only zone called like a bedroom"),
        (
            {"id": "raum_1", "area": "Schlafzimmer", "sources": {}},
            "the only zone in an area called like a bedroom",
        ),
        ({"id": "alice_room", "name": "Alice's room", "sources": {}}, "the only zone named after Alice"),
    ],
)
def test_bedroom_words_in_english_and_german_and_the_persons_own_room(
    zone: dict[str, Any], because: str
) -> None:
    links = resolve(_zones(zone, {"id": "kitchen", "sources": {}}))
    assumed = links.assumed("alice", "bedroom")
    assert assumed is not None
    assert (assumed.value, assumed.because) == ((zone["id"],), because)


def test_guest_rooms_step_aside_but_two_real_bedrooms_are_not_guessed() -> None:
    links = resolve(_zones({"id": "bedroom", "sources": {}}, {"id": "guest_bedroom", "sources": {}}))
    assert links.bedrooms["alice"] == "bedroom"
    links = resolve(_zones({"id": "bedroom", "sources": {}}, {"id": "kids_bedroom", "sources": {}}))
    assert links.bedrooms["alice"] is None
    assert [(m.subject, m.detector, m.link) for m in links.missing] == [("alice", "sleep", "bedroom")]
    assert "several zones" in links.missing[0].words


def test_linked_links_are_kept_and_not_called_assumptions() -> None:
    house = _zones(
        {"id": "bedroom", "sources": {"climate": "climate.bedroom"}},
        {"id": "study", "sources": {"climate": "climate.study"}},
        people=[{"id": "alice", "sources": {}, "bedroom": "study", "rooms": ["bedroom"]}],
    )
    links = resolve(house)
    assert (links.bedrooms["alice"], links.rooms["alice"], links.assumptions) == ("study", ("bedroom",), ())


def test_the_only_person_drives_the_only_car_and_a_car_nobody_drives_is_a_missing_link() -> None:
    one = Household.from_dict({"people": [{"id": "bob", "sources": {}}], "vehicles": [{"id": "car1"}]})
    assert resolve(one).vehicles == {"bob": "car1"}
    assert resolve(one).assumed("bob", "driver") is not None
    two = Household.from_dict({"people": [{"id": "bob"}, {"id": "eve"}], "vehicles": [{"id": "car1"}]})
    assert resolve(two).vehicles == {"bob": None, "eve": None}
    assert [(m.subject, m.detector) for m in resolve(two).missing] == [("car1", "departure")]


# the scenario format and the short-way scenarios


def test_scenario_top_level_home_is_the_household_home(tmp_path: Path) -> None:
    scenario = load_scenario(SCENARIOS / "short_arrival_rooms_implicit.yaml")
    assert scenario.household.home == Home(52.52, 13.405, 100.0)
    text = (SCENARIOS / "arrival_by_car.yaml").read_text(encoding="utf-8")
    twice = tmp_path / "twice.yaml"
    twice.write_text(
        text.replace("household:\n", "home: {lat: 1, lon: 2}\nhousehold:\n", 1), encoding="utf-8"
    )
    with pytest.raises(ScenarioError, match="given twice"):
        load_scenario(twice)
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("household:\n", "home: {lat: 91, lon: 2}\nhousehold:\n", 1), encoding="utf-8")
    with pytest.raises(ScenarioError, match="home"):
        load_scenario(bad)


def test_there_are_at_least_twelve_short_way_scenarios_each_with_negatives() -> None:
    assert len(SHORT) >= 12
    for path in SHORT:
        assert load_scenario(path).expect["forbidden"], path.name


@pytest.mark.parametrize("path", SHORT, ids=lambda p: p.stem)
async def test_every_decision_resting_on_an_assumption_says_so(path: Path) -> None:
    result = await run_scenario(load_scenario(path))
    assert result.passed, result.failures
    for decision in result.decisions:
        situation = decision.call.situation
        assumed = situation.facts.get("assumed") if situation else None
        if assumed:
            assert str(assumed) in decision.call.reason
            assert "assumed" in decision.call.reason


@pytest.mark.parametrize(
    ("name", "words"),
    [
        (
            "short_bedroom_implicit",
            "assumed Alice's bedroom is Bedroom (the only bedroom that is not a guest room)",
        ),
        ("short_arrival_rooms_implicit", "assumed Bob's rooms to ready on arrival are Living room"),
        ("short_arrival_rooms_implicit", "assumed Bob drives Model 3"),
        ("short_car_home_no_geofence", "inferred from Alice's phone in its home region"),
        ("short_car_climate_entity_only", "assumed Model Y is at home (it reports no position or geofence)"),
        ("short_bedroom_german_area", "in an area called like a bedroom"),
    ],
)
async def test_the_short_way_reasons_name_the_assumption(name: str, words: str) -> None:
    result = await run_scenario(load_scenario(SCENARIOS / f"{name}.yaml"))
    assert any(words in d.call.reason for d in result.decisions), [d.call.reason for d in result.decisions]


async def test_decisions_on_linked_households_name_no_assumption() -> None:
    result = await run_scenario(load_scenario(SCENARIOS / "arrival_by_car.yaml"))
    assert result.decisions
    assert not any("assumed" in d.call.reason for d in result.decisions)


def test_a_models_call_resting_on_an_assumption_says_so_like_the_rules() -> None:
    from custom_components.ambient_mesh.engine.model import Caller, Situation, ToolCall
    from custom_components.ambient_mesh.engine.planners.chain import _saying_assumptions

    words = (
        "assumed Alice's bedroom is Bedroom (the only zone called like a bedroom) — set it in Alice's options"
    )
    situation = Situation(
        kind="sleep_started", subject="alice", at=NOW, key="k", facts={"bedroom": "bedroom", "assumed": words}
    )
    call = ToolCall(
        tool="set_room_climate",
        args={"zone": "bedroom", "target_c": 18.5},
        caller=Caller.LLM,
        planner="llm",
        reason="cooler for sleep",
        situation=situation,
    )
    assert _saying_assumptions(call).reason == f"cooler for sleep; {words}"
    said = replace(call, reason=f"as {words}")
    assert _saying_assumptions(said) is said  # already says it
    plain = replace(call, situation=replace(situation, facts={"bedroom": "bedroom"}))
    assert _saying_assumptions(plain) is plain
