"""What every device says at a simulated time: pure functions from time to MQTT messages.

``Patterns.snapshot(t)`` is one full report of every device; ``Patterns.messages_between(t0, t1)`` is
what the devices publish in (t0, t1], in time order: periodic reports, state changes (TeslaMate, OVMS
and Zigbee2MQTT publish on change), and events (OwnTracks transitions, Sleep as Android phases and
alarms). The only input besides time is ``Controls``: commands devices received (a TRV setpoint), so a
planner acting on the household changes what the devices report next.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
import json
import math
from typing import Any

from .plan import MINUTE, DayPlan, Leg, at, day_plan, rng
from .world import DAYS, Person, Place, Vehicle, World, Zone

type Stamp = Callable[[datetime], float]
"""Simulated time -> the epoch seconds written into payloads."""

NATIVE_KIND = "wearable"
SLEEP_EVENTS = {
    "tracking": "sleep_tracking_started",
    "light": "light_sleep",
    "deep": "deep_sleep",
    "rem": "rem",
    "awake": "awake",
}
NO_ROUTE = {"error": "No active route available"}
PHONE_PERIOD_MIN = 15  # OwnTracks significant-change mode: a ping now and then when still
SENSOR_PERIOD_MIN = 5
WEARABLE_PERIOD_MIN = 5  # a watch batches its readings; the mesh keeps ~48 per kind (4 h of them)
TRV_PERIOD_MIN = 10
DAY_START = time(6, 0)  # heating day begins
NIGHT_START = time(22, 0)
WARM_FROM = time(1, 30)  # on a warm night the TRV starts heating again here (a bad schedule entry)
CABIN_MAX = timedelta(minutes=45)  # a car stops conditioning a parked cabin by itself after this
CABIN_TAU_S = 360  # seconds for the cabin air to close most of the gap to its target


@dataclass(frozen=True, slots=True)
class Message:
    """One MQTT publish."""

    at: datetime
    topic: str
    payload: str
    retain: bool = False


@dataclass(slots=True)
class Controls:
    """Commands devices received, in arrival order (simulated time)."""

    setpoints: list[tuple[datetime, str, float | None, str | None]] = field(default_factory=list)
    cabins: list[tuple[datetime, str, float | None]] = field(default_factory=list)
    """Car climate commands: (when, command topic, target °C, or None for stop)."""

    def apply(self, at_: datetime, topic: str, payload: bytes | str) -> bool:
        """Take a Zigbee2MQTT ``<device>/set`` or a car's climate command; return whether it changed anything."""
        try:
            data = json.loads(payload)
        except ValueError:
            return False
        if not isinstance(data, dict):
            return False
        command = data.get("command")
        if command == "stop_climate":
            self.cabins.append((at_, topic, None))
            return True
        if command == "precondition":
            target = data.get("target_c")
            if not isinstance(target, int | float) or isinstance(target, bool) or not 5 <= target <= 30:
                target = 21.0  # what the car does when told to precondition without a target
            self.cabins.append((at_, topic, float(target)))
            return True
        setpoint = data.get("occupied_heating_setpoint", data.get("current_heating_setpoint"))
        mode = data.get("system_mode")
        if not isinstance(setpoint, int | float) or isinstance(setpoint, bool):
            setpoint = None
        if mode not in ("heat", "off", "auto"):
            mode = None
        if setpoint is None and mode is None:
            return False
        device = topic.removesuffix("/set")
        self.setpoints.append((at_, device, None if setpoint is None else float(setpoint), mode))
        return True


def _json(data: Mapping[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"))


def _num(value: float, step: float = 0.1) -> str:
    """Format like the loggers do: integers without a decimal point, else one decimal."""
    rounded = round(value / step) * step
    return str(int(rounded)) if step >= 1 else f"{rounded:.1f}"


class Patterns:
    """The household's devices as functions of simulated time."""

    def __init__(self, world: World, controls: Controls | None = None, stamp: Stamp | None = None) -> None:
        """``stamp`` maps simulated time to payload timestamps (default: the simulated time itself)."""
        self.world = world
        self.controls = controls or Controls()
        self.stamp: Stamp = stamp or (lambda t: t.timestamp())
        self._plans: dict[tuple[str, date], DayPlan] = {}

    # --- plans and whereabouts -------------------------------------------------------------------

    def plan(self, person: Person, day: date) -> DayPlan:
        """The person's day plan (memoized; plans are pure)."""
        key = (person.id, day)
        if key not in self._plans:
            self._plans[key] = day_plan(self.world, person, day)
        return self._plans[key]

    def plan_at(self, person: Person, t: datetime) -> DayPlan:
        """The plan in force at t: after tonight's bedtime, tomorrow's plan."""
        day = t.astimezone(self.world.tz).date()
        tomorrow = self.plan(person, day + timedelta(days=1))
        return tomorrow if t >= tomorrow.sleep_start else self.plan(person, day)

    def legs_on(self, day: date) -> list[Leg]:
        """Every journey of every person on a day."""
        return sorted(
            (leg for p in self.world.people.values() for leg in self.plan(p, day).legs),
            key=lambda leg: leg.depart,
        )

    def whereabouts(self, legs: list[Leg], t: datetime) -> tuple[Place | None, Leg | None, Leg | None]:
        """(place, current leg, last finished leg) for a list of legs: at a place xor on the way."""
        last: Leg | None = None
        for leg in legs:
            if leg.depart <= t < leg.arrive:
                return None, leg, last
            if leg.arrive <= t:
                last = leg
        return (last.dest if last else self.world.home), None, last

    def person_at(self, person: Person, t: datetime) -> tuple[Place | None, Leg | None, Leg | None]:
        """Where a person is at t."""
        day = t.astimezone(self.world.tz).date()
        return self.whereabouts(list(self.plan(person, day).legs), t)

    def vehicle_at(self, vehicle: Vehicle, t: datetime) -> tuple[Place | None, Leg | None, Leg | None]:
        """Where a vehicle is at t (legs of every driver)."""
        day = t.astimezone(self.world.tz).date()
        return self.whereabouts([leg for leg in self.legs_on(day) if leg.by == vehicle.id], t)

    # --- environment --------------------------------------------------------------------------------

    def outside_temp(self, t: datetime) -> float:
        """Outside air: coldest at 06:00, warmest at 15:00, each day a little different."""
        local = t.astimezone(self.world.tz)
        h = local.hour + local.minute / 60
        low, high = self.world.weather_min, self.world.weather_max
        if 6 <= h < 15:
            base = low + (high - low) * (1 - math.cos(math.pi * (h - 6) / 9)) / 2
        else:
            base = high - (high - low) * (1 - math.cos(math.pi * ((h - 15) % 24) / 15)) / 2
        today = rng(self.world, "weather", local.date()).uniform(-1.5, 1.5)
        tomorrow = rng(self.world, "weather", local.date() + timedelta(days=1)).uniform(-1.5, 1.5)
        return base + today + (tomorrow - today) * h / 24

    def _scheduled_setpoint(self, zone: Zone, t: datetime) -> float:
        local = t.astimezone(self.world.tz)
        if DAY_START <= local.time() < NIGHT_START:
            return zone.day_setpoint
        if local.time() >= NIGHT_START or local.time() < WARM_FROM:
            return zone.night_setpoint
        warm = DAYS[(local.date() - timedelta(days=1)).weekday()] in zone.warm_nights
        return zone.warm_setpoint if warm else zone.night_setpoint

    def _schedule_changes(self, start: datetime, end: datetime) -> Iterator[datetime]:
        day = start.astimezone(self.world.tz).date()
        while day <= end.astimezone(self.world.tz).date():
            for clock in (WARM_FROM, DAY_START, NIGHT_START):
                if start < (change := at(self.world, day, clock)) <= end:
                    yield change
            day += timedelta(days=1)

    def setpoint(self, zone: Zone, t: datetime) -> tuple[float, str]:
        """(setpoint, system mode) at t: the schedule, unless a command came since its last change."""
        value, mode = self._scheduled_setpoint(zone, t), "heat"
        if zone.trv is None:
            return value, mode
        last_change = max(self._schedule_changes(t - timedelta(hours=16), t), default=None)
        for when, device, sp, new_mode in self.controls.setpoints:
            if device != zone.trv or when > t or (last_change is not None and when < last_change):
                continue
            value = sp if sp is not None else value
            mode = new_mode or mode
        return value, mode

    def room_temp(self, zone: Zone, t: datetime) -> float:
        """Room air, lagging behind its target: heats up fast, cools down slowly."""
        window = t - timedelta(hours=12)
        points = sorted(
            {
                *self._schedule_changes(window, t),
                *(w for w, device, _, _ in self.controls.setpoints if device == zone.trv and window < w <= t),
            }
        )
        temp = self._target(zone, window)
        prev = window
        for point in [*points, t]:
            temp = self._relax(temp, self._target(zone, prev), (point - prev).total_seconds() / 60)
            prev = point
        return temp

    def _target(self, zone: Zone, t: datetime) -> float:
        setpoint, mode = self.setpoint(zone, t)
        # With the heating off the room drifts towards a level set by the cold outside.
        return setpoint if mode != "off" else 15.0

    @staticmethod
    def _relax(temp: float, target: float, minutes: float) -> float:
        tau = 25.0 if target > temp else 90.0
        return target + (temp - target) * math.exp(-minutes / tau)

    # --- people -----------------------------------------------------------------------------------

    def _bedroom_temp(self, person: Person, t: datetime) -> float:
        zone = self.world.zones.get(person.bedroom or "")
        return self.room_temp(zone, t) if zone else 19.0

    def heart_rate(self, person: Person, t: datetime) -> int:
        """Beats per minute from what the person is doing."""
        plan = self.plan_at(person, t)
        phase = plan.phase(t)
        place, leg, _ = self.person_at(person, t)
        if phase != "awake":
            base: float = {"tracking": 64, "light": 57, "deep": 51, "rem": 63}[phase]
            base += max(0.0, self._bedroom_temp(person, t) - 19.0) * 0.8  # a warm room raises it
        elif plan.alarm and plan.alarm <= t < plan.wake + timedelta(minutes=10):
            base = 72
        elif leg is not None:
            base = 96 if leg.by == "walk" else 77
        else:
            base = 68 if place is self.world.home else 73
        return round(base + rng(self.world, "hr", person.id, int(t.timestamp() // 60)).uniform(-3, 3))

    def skin_temp(self, person: Person, t: datetime) -> float:
        """Wrist skin temperature: higher asleep, and higher still in a warm bedroom."""
        noise = rng(self.world, "skin", person.id, int(t.timestamp() // 60)).uniform(-0.1, 0.1)
        plan = self.plan_at(person, t)
        if plan.asleep(t):
            room = self._bedroom_temp(person, t)
            settled = min(36.8, max(33.4, 33.9 + 0.35 * (room - 18.0)))
            # Distal skin warms over the first half hour of sleep as the body sheds heat.
            onset = math.exp(-(t - plan.sleep_start).total_seconds() / 900)
            return round(settled - 0.8 * onset + noise, 1)
        return round(32.9 + 0.1 * (self.outside_temp(t) > 0) + noise, 1)

    def phone_battery(self, person: Person, t: datetime) -> tuple[int, int]:
        """(percent, OwnTracks battery status: 1 unplugged, 2 charging, 3 full)."""
        plan = self.plan_at(person, t)
        if plan.asleep(t):
            previous = self.plan(person, plan.day - timedelta(days=1))
            day_hours = (plan.sleep_start - previous.wake).total_seconds() / 3600
            level = max(12.0, 100 - 5 * day_hours) + 25 * (t - plan.sleep_start).total_seconds() / 3600
            return (100, 3) if level >= 100 else (int(level), 2)
        return int(max(12.0, 100 - 5 * (t - plan.wake).total_seconds() / 3600)), 1

    def phone_location(self, person: Person, t: datetime, trigger: str) -> dict[str, Any]:
        """An OwnTracks ``location`` message."""
        place, leg, _ = self.person_at(person, t)
        r = rng(self.world, "gps", person.id, int(t.timestamp() // 60))
        batt, bs = self.phone_battery(person, t)
        msg: dict[str, Any] = {"_type": "location"}
        if leg is not None:
            lat, lon = leg.position(t)
            kmh = leg.km / ((leg.arrive - leg.depart).total_seconds() / 3600)
            msg |= {"acc": r.randint(5, 12), "batt": batt, "bs": bs, "conn": "m"}
            msg |= {"lat": round(lat, 7), "lon": round(lon, 7), "tid": person.tid}
            msg |= {"tst": int(self.stamp(t)), "vel": round(kmh * r.uniform(0.7, 1.2))}
            msg |= {"cog": leg.heading(), "t": trigger}
            return msg
        assert place is not None
        msg |= {"acc": r.randint(8, 25), "alt": 34, "batt": batt, "bs": bs}
        msg |= {"conn": "w" if place.region else "m"}
        if place.region:
            msg["inregions"] = [place.region]
        msg |= {"lat": round(place.lat + r.uniform(-5e-5, 5e-5), 7)}
        msg |= {"lon": round(place.lon + r.uniform(-5e-5, 5e-5), 7), "tid": person.tid}
        msg |= {"tst": int(self.stamp(t)), "vac": 3, "vel": 0, "t": trigger}
        return msg

    def transition(self, person: Person, t: datetime, place: Place, event: str) -> dict[str, Any]:
        """An OwnTracks ``transition`` (region enter/leave) message."""
        r = rng(self.world, "tr", person.id, int(t.timestamp()))
        return {
            "_type": "transition",
            "acc": round(r.uniform(8, 20), 3),
            "desc": place.region,
            "event": event,
            "lat": round(place.lat, 7),
            "lon": round(place.lon, 7),
            "t": "l" if event == "leave" else "c",
            "tid": person.tid,
            "tst": int(self.stamp(t)),
            "wtst": 1767225600,  # when the region was created on the phone (2026-01-01)
        }

    def wearable(self, person: Person, t: datetime) -> dict[str, Any]:
        """A native Ambient Mesh wearable state."""
        return {
            "kind": NATIVE_KIND,
            "heart_rate": self.heart_rate(person, t),
            "skin_temp": self.skin_temp(person, t),
            "ts": int(self.stamp(t)),
        }

    def sleep_events(self, plan: DayPlan) -> list[tuple[datetime, dict[str, str]]]:
        """The Sleep as Android events of one night, in order."""
        events: list[tuple[datetime, dict[str, str]]] = [
            (start, {"event": SLEEP_EVENTS[state]}) for start, state in plan.phases
        ]
        if plan.alarm is not None:
            ms = str(int(self.stamp(plan.alarm) * 1000))
            events.append(
                (plan.alarm, {"event": "alarm_alert_start", "value1": ms, "value2": plan.alarm_label})
            )
            events.append(
                (plan.wake, {"event": "alarm_alert_dismiss", "value1": ms, "value2": plan.alarm_label})
            )
        events.append((plan.wake, {"event": "awake"}))
        events.append((plan.wake + 2 * MINUTE, {"event": "sleep_tracking_stopped"}))
        return sorted(events, key=lambda e: e[0])

    # --- vehicles ---------------------------------------------------------------------------------

    def _consumed(self, vehicle: Vehicle, day: date, t: datetime | None) -> float:
        """Percent of battery used by driving on a day, up to t (or the whole day)."""
        used = 0.0
        for leg in self.legs_on(day):
            if leg.by == vehicle.id and (t is None or leg.depart < t):
                fraction = 1.0 if t is None else leg.fraction(t)
                used += leg.km * fraction / vehicle.km_per_percent
        return used

    def soc(self, vehicle: Vehicle, t: datetime) -> tuple[float, bool]:
        """(state of charge %, charging now): charged to the limit overnight, used by driving."""
        day = t.astimezone(self.world.tz).date()
        start = at(self.world, day, vehicle.charge_from)
        before = vehicle.soc_limit - self._consumed(vehicle, day - timedelta(days=1), None)
        hours = max(0.0, (t - start).total_seconds() / 3600)
        charged = min(vehicle.soc_limit, before + vehicle.charge_percent_per_hour * hours)
        charging = t >= start and charged < vehicle.soc_limit and self.plugged_in(vehicle, t)
        return max(3.0, charged - self._consumed(vehicle, day, t)), charging

    def plugged_in(self, vehicle: Vehicle, t: datetime) -> bool:
        """Plugged in at home a few minutes after arriving, unplugged just before leaving."""
        place, leg, last = self.vehicle_at(vehicle, t)
        if leg is not None or place is not self.world.home:
            return False
        if last is not None and t < last.arrive + 3 * MINUTE:
            return False
        day = t.astimezone(self.world.tz).date()
        upcoming = [leg for leg in self.legs_on(day) if leg.by == vehicle.id and leg.depart > t]
        return not (upcoming and upcoming[0].depart - t <= 2 * MINUTE)

    def conditioning(self, vehicle: Vehicle, t: datetime) -> tuple[datetime, float] | None:
        """(since, target °C) while a parked car conditions its cabin on command, else None.

        The last command counts; driving off, a stop command or ``CABIN_MAX`` ends it.
        """
        if vehicle.command is None:
            return None
        last_command = next(
            (c for c in reversed(self.controls.cabins) if c[1] == vehicle.command and c[0] <= t), None
        )
        if last_command is None or last_command[2] is None or t - last_command[0] > CABIN_MAX:
            return None
        _, leg, last = self.vehicle_at(vehicle, t)
        if leg is not None or (last is not None and last.depart >= last_command[0]):
            return None
        return last_command[0], last_command[2]

    def cabin_temp(self, vehicle: Vehicle, t: datetime) -> float:
        """Cabin air: near outside when parked long, warm while driving, cooling after."""
        _, leg, last = self.vehicle_at(vehicle, t)
        parked = self.outside_temp(t) + 1.5
        if (conditioning := self.conditioning(vehicle, t)) is not None:
            since, target = conditioning
            return target + (parked - target) * math.exp(-(t - since).total_seconds() / CABIN_TAU_S)
        if leg is not None:
            start = self._cabin_at_departure(vehicle, leg)
            return 21.0 + (start - 21.0) * math.exp(-(t - leg.depart).total_seconds() / 360)
        if last is not None:
            warm = 21.0 + (self._cabin_at_departure(vehicle, last) - 21.0) * math.exp(
                -(last.arrive - last.depart).total_seconds() / 360
            )
            return parked + (warm - parked) * math.exp(-(t - last.arrive).total_seconds() / 2400)
        return parked

    def _cabin_at_departure(self, vehicle: Vehicle, leg: Leg) -> float:
        """The cabin air as the car drives off: cold after a night out, warm when preconditioned."""
        return self.cabin_temp(vehicle, leg.depart - timedelta(seconds=1))

    def car_state(self, vehicle: Vehicle, t: datetime) -> str:
        """TeslaMate's state: driving, charging, online around trips, else asleep."""
        _, leg, last = self.vehicle_at(vehicle, t)
        if leg is not None:
            return "driving"
        if self.soc(vehicle, t)[1]:
            return "charging"
        if self.conditioning(vehicle, t) is not None:
            return "online"  # awake to run the climate
        day = t.astimezone(self.world.tz).date()
        if any(
            leg.by == vehicle.id and timedelta(0) < leg.depart - t <= 10 * MINUTE for leg in self.legs_on(day)
        ):
            return "online"
        if last is not None and t - last.arrive < 20 * MINUTE:
            return "online"
        return "asleep"

    def vehicle_topics(self, vehicle: Vehicle, t: datetime) -> dict[str, str]:
        """Every state topic of a vehicle (below its base topic) and its payload at t."""
        place, leg, _ = self.vehicle_at(vehicle, t)
        soc, charging = self.soc(vehicle, t)
        plugged = self.plugged_in(vehicle, t)
        outside = self.outside_temp(t)
        cabin = self.cabin_temp(vehicle, t)
        conditioning = self.conditioning(vehicle, t) is not None
        climate = leg is not None or conditioning
        if leg is not None:
            lat, lon = leg.position(t)
        else:
            assert place is not None
            lat, lon = place.lat + 0.00012, place.lon - 0.00008  # the parking spot, not the doorstep
        if vehicle.format == "ovms":
            return {
                "metric/v/b/soc": _num(soc, 1),
                "metric/v/e/cabintemp": _num(cabin, 1),
                "metric/v/e/temp": _num(outside, 1),
                "metric/v/e/hvac": "yes" if climate else "no",
                "metric/v/c/charging": "yes" if charging else "no",
                "metric/v/c/pilot": "yes" if plugged else "no",
                "metric/v/p/latitude": f"{lat:.6f}",
                "metric/v/p/longitude": f"{lon:.6f}",
                "metric/s/v3/connected": "yes",
            }
        if leg is not None:
            remaining = leg.arrive - t
            km_left = leg.km * (1 - leg.fraction(t))
            speed = leg.km / ((leg.arrive - leg.depart).total_seconds() / 3600)
            r = rng(self.world, "speed", vehicle.id, int(t.timestamp() // 60))
            route: dict[str, Any] = {
                "destination": leg.dest.name,
                "energy_at_arrival": round(soc - km_left / vehicle.km_per_percent),
                "miles_to_arrival": round(km_left / 1.609344, 2),
                "minutes_to_arrival": round(remaining.total_seconds() / 60, 2),
                "traffic_minutes_delay": 0.0,
                "location": {"latitude": leg.dest.lat, "longitude": leg.dest.lon},
                "error": None,
            }
        else:
            route = NO_ROUTE
        return {
            "state": self.car_state(vehicle, t),
            "battery_level": _num(soc, 1),
            "usable_battery_level": _num(max(0.0, soc - 1), 1),
            "inside_temp": _num(cabin, 0.5),
            "outside_temp": _num(outside, 0.5),
            "is_climate_on": "true" if climate else "false",
            "is_preconditioning": "true" if conditioning else "false",
            "plugged_in": "true" if plugged else "false",
            "charging_state": "Charging" if charging else ("Complete" if plugged else "Disconnected"),
            "geofence": (place.geofence or "") if place is not None else "",
            "location": _json({"latitude": round(lat, 5), "longitude": round(lon, 5)}),
            "speed": str(round(speed * r.uniform(0.6, 1.3))) if leg is not None else "",
            "active_route": _json(route),
            "healthy": "true",
        }

    def state_since(self, vehicle: Vehicle, t: datetime) -> datetime:
        """When the TeslaMate state last changed (searching back at most a day)."""
        state = self.car_state(vehicle, t)
        probe = t.replace(second=0, microsecond=0)
        for _ in range(24 * 60):
            if self.car_state(vehicle, probe - MINUTE) != state:
                return probe
            probe -= MINUTE
        return probe

    def _iso(self, t: datetime) -> str:
        return datetime.fromtimestamp(self.stamp(t), UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")

    # --- rooms ------------------------------------------------------------------------------------

    def occupied(self, zone: Zone, t: datetime) -> bool:
        """Motion: someone home and awake, in the room most ten-minute spells of the day."""
        local = t.astimezone(self.world.tz)
        if not time(6, 0) <= local.time() < time(23, 30):
            return False
        home_awake = any(
            self.person_at(p, t)[0] is self.world.home and not self.plan_at(p, t).asleep(t)
            for p in self.world.people.values()
        )
        spell = rng(self.world, "motion", zone.id, int(t.timestamp() // 600)).random()
        return home_awake and spell < 0.75

    def sensor(self, zone: Zone, topic: str, t: datetime) -> dict[str, Any]:
        """A Zigbee2MQTT temperature/humidity sensor report."""
        r = rng(self.world, "sensor", topic, int(t.timestamp() // 60))
        local = t.astimezone(self.world.tz)
        sleepers = sum(
            1 for p in self.world.people.values() if p.bedroom == zone.id and self.plan_at(p, t).asleep(t)
        )
        humidity = 42 + 3 * math.sin(local.hour / 24 * 2 * math.pi) + 2.5 * sleepers + r.uniform(-0.6, 0.6)
        return {
            "temperature": round(self.room_temp(zone, t) + r.uniform(-0.08, 0.08), 2),
            "humidity": round(humidity, 2),
            "battery": 97,
            "linkquality": r.randint(96, 140),
        }

    def motion(self, zone: Zone, t: datetime) -> dict[str, Any]:
        """A Zigbee2MQTT motion sensor report."""
        local = t.astimezone(self.world.tz)
        daylight = max(0.0, math.sin(math.pi * (local.hour + local.minute / 60 - 8) / 8.5))
        occupied = self.occupied(zone, t)
        lux = 180 * daylight + (35 if occupied and daylight < 0.2 else 0) + 1
        return {"occupancy": occupied, "illuminance": 5 * round(lux / 5), "battery": 100}

    def trv(self, zone: Zone, t: datetime) -> dict[str, Any]:
        """A Zigbee2MQTT thermostatic radiator valve report."""
        temp = self.room_temp(zone, t)
        setpoint, mode = self.setpoint(zone, t)
        heating = mode != "off" and temp < setpoint - 0.2
        return {
            "local_temperature": round(temp * 2) / 2,
            "occupied_heating_setpoint": setpoint,
            "system_mode": mode,
            "running_state": "heat" if heating else "idle",
            "pi_heating_demand": min(100, max(0, round((setpoint - temp) * 40))) if heating else 0,
        }

    # --- the stream ---------------------------------------------------------------------------------

    def _state_topics(self, t: datetime) -> dict[str, tuple[str, bool]]:
        """Every on-change topic (cars, motion, TRV) and its payload at t, with its retain flag."""
        out: dict[str, tuple[str, bool]] = {}
        for vehicle in self.world.vehicles.values():
            for sub, payload in self.vehicle_topics(vehicle, t).items():
                out[f"{vehicle.topic}/{sub}"] = (payload, True)
        for zone in self.world.zones.values():
            for topic in zone.motion:
                out[topic] = (_json(self.motion(zone, t)), False)
            if zone.trv:
                out[zone.trv] = (_json(self.trv(zone, t)), False)
        return out

    def snapshot(self, t: datetime) -> list[Message]:
        """One full report of every device at t (what ``--once`` publishes)."""
        out: list[Message] = []
        for person in self.world.people.values():
            if person.phone:
                _, leg, _ = self.person_at(person, t)
                fix = self.phone_location(person, t, "t" if leg else "p")
                out.append(Message(t, person.phone, _json(fix)))
            if person.sleep:
                events = [
                    e
                    for d in (-1, 0, 1)
                    for e in self.sleep_events(
                        self.plan(person, t.astimezone(self.world.tz).date() + timedelta(days=d))
                    )
                    if e[0] <= t
                ]
                if events:
                    out.append(Message(t, person.sleep, _json(events[-1][1])))
            if person.wearable:
                out.append(Message(t, f"{person.wearable}/state", _json(self.wearable(person, t))))
        for vehicle in self.world.vehicles.values():
            if vehicle.format == "teslamate":
                since = self._iso(self.state_since(vehicle, t))
                out.append(Message(t, f"{vehicle.topic}/since", since, True))
        for topic, (payload, retain) in self._state_topics(t).items():
            out.append(Message(t, topic, payload, retain))
        for zone in self.world.zones.values():
            out.extend(Message(t, topic, _json(self.sensor(zone, topic, t))) for topic in zone.sensors)
            if zone.trv:
                out.append(Message(t, f"{zone.trv}/availability", _json({"state": "online"}), True))
        if any(zone.trv or zone.sensors or zone.motion for zone in self.world.zones.values()):
            out.append(Message(t, "zigbee2mqtt/bridge/state", _json({"state": "online"}), True))
        return out

    def messages_between(self, t0: datetime, t1: datetime) -> list[Message]:
        """What the devices publish in (t0, t1], in time order."""
        out: list[Message] = []
        tz = self.world.tz
        days = [
            t0.astimezone(tz).date() + timedelta(days=i)
            for i in range((t1.astimezone(tz).date() - t0.astimezone(tz).date()).days + 2)
        ]
        for person in self.world.people.values():
            if person.sleep:
                for day in days:
                    for when, event in self.sleep_events(self.plan(person, day)):
                        if t0 < when <= t1:
                            out.append(Message(when, person.sleep, _json(event)))
            if person.phone:
                for day in days:
                    for leg in self.plan(person, day).legs:
                        # The phone notices the region change a minute after leaving / on arrival.
                        for when, place, change in (
                            (leg.depart + MINUTE, leg.origin, "leave"),
                            (leg.arrive, leg.dest, "enter"),
                        ):
                            if place.region and t0 < when <= t1:
                                text = _json(self.transition(person, when, place, change))
                                out.append(Message(when, f"{person.phone}/event", text))
        tick = t0.replace(second=0, microsecond=0) + MINUTE
        previous = self._state_topics(tick - MINUTE) if tick <= t1 else {}
        while tick <= t1:
            minute = int(tick.timestamp() // 60)
            for i, person in enumerate(self.world.people.values()):
                if person.phone:
                    moving = self.person_at(person, tick)[1] is not None
                    if moving or (minute + 7 * i) % PHONE_PERIOD_MIN == 0:
                        fix = self.phone_location(person, tick, "t" if moving else "p")
                        out.append(Message(tick, person.phone, _json(fix)))
                if person.wearable and (minute + i) % WEARABLE_PERIOD_MIN == 0:
                    out.append(Message(tick, f"{person.wearable}/state", _json(self.wearable(person, tick))))
            for j, zone in enumerate(self.world.zones.values()):
                for k, topic in enumerate(zone.sensors):
                    if (minute + 2 * j + k) % SENSOR_PERIOD_MIN == 0:
                        out.append(Message(tick, topic, _json(self.sensor(zone, topic, tick))))
            current = self._state_topics(tick)
            for topic, (payload, retain) in current.items():
                zone_trv = any(zone.trv == topic for zone in self.world.zones.values())
                periodic = zone_trv and minute % TRV_PERIOD_MIN == 0
                if previous.get(topic, ("",))[0] != payload or periodic:
                    out.append(Message(tick, topic, payload, retain))
            for vehicle in self.world.vehicles.values():
                key = f"{vehicle.topic}/state"
                if vehicle.format == "teslamate" and previous.get(key) != current.get(key):
                    out.append(Message(tick, f"{vehicle.topic}/since", self._iso(tick), True))
            previous = current
            tick += MINUTE
        out.sort(key=lambda m: m.at)  # stable: same-time messages keep their causal order
        return out
