"""The executor: a guarded tool call becomes Home Assistant service calls.

Only the guard calls it. Each tool finds its target through the household's bindings: a car's climate
entity or its native command topic, a Zigbee2MQTT thermostat's ``/set`` topic or a climate entity, a
zone's light and cover entities, a person's notify service.
"""

from __future__ import annotations

from collections.abc import Mapping
import json
from typing import Any

from homeassistant.components import mqtt, persistent_notification
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError

from .engine.household import Subject
from .engine.mesh import World
from .engine.model import ExecutionError


class HomeAssistantExecutor:
    """Carries out allowed calls with Home Assistant services."""

    def __init__(self, hass: HomeAssistant, world: World) -> None:
        """Targets are looked up in the world's current household (it can change while running)."""
        self.hass = hass
        self._world = world

    async def execute(self, tool: str, args: Mapping[str, Any]) -> str:
        """Run one tool; raise ExecutionError with a readable reason when it cannot be done.

        The guard calls only tools of the catalogue, on subjects of the household that have the
        sources the tool needs (engine/tools.py ``SubjectArg``), so neither is checked again here.
        """
        handler = getattr(self, f"_{tool}")
        try:
            result: str = await handler(args)
        except HomeAssistantError as err:
            raise ExecutionError(f"{tool} failed: {err}") from err
        return result

    def _subject(self, kind: str, subject_id: str) -> Subject:
        subjects: Mapping[str, Subject] = getattr(self._world.household, kind)
        return subjects[subject_id]

    async def _service(self, domain: str, service: str, data: dict[str, Any]) -> None:
        await self.hass.services.async_call(domain, service, data, blocking=True)

    async def _publish(self, topic: str, payload: dict[str, Any]) -> None:
        await mqtt.async_publish(self.hass, topic, json.dumps(payload), qos=1)

    async def _precondition_cabin(self, args: Mapping[str, Any]) -> str:
        vehicle = self._subject("vehicles", args["vehicle"])
        target = float(args["target_c"])
        if entity := vehicle.sources.get("climate"):
            await self._service("climate", "set_temperature", {"entity_id": entity, "temperature": target})
            await self._service("climate", "turn_on", {"entity_id": entity})
            return f"{entity} on at {target:g} °C"
        if topic := vehicle.sources.get("command"):
            payload = {"command": "precondition", "target_c": target, "ready_by": args.get("ready_by")}
            await self._publish(topic, payload)
            return f"precondition sent to {topic} ({target:g} °C)"
        raise ExecutionError(f"vehicle {vehicle.id} has no climate entity or command topic")

    async def _stop_cabin_climate(self, args: Mapping[str, Any]) -> str:
        vehicle = self._subject("vehicles", args["vehicle"])
        if entity := vehicle.sources.get("climate"):
            await self._service("climate", "turn_off", {"entity_id": entity})
            return f"{entity} off"
        if topic := vehicle.sources.get("command"):
            await self._publish(topic, {"command": "stop_climate"})
            return f"stop sent to {topic}"
        raise ExecutionError(f"vehicle {vehicle.id} has no climate entity or command topic")

    async def _set_room_climate(self, args: Mapping[str, Any]) -> str:
        zone = self._subject("zones", args["zone"])
        target, mode = args.get("target_c"), args.get("mode")
        if entity := zone.sources.get("climate_entity"):
            if mode is not None:
                await self._service(
                    "climate", "set_hvac_mode", {"entity_id": entity, "hvac_mode": _ha_mode(mode)}
                )
            if target is not None:
                await self._service(
                    "climate", "set_temperature", {"entity_id": entity, "temperature": target}
                )
            return f"{entity} set ({_describe(target, mode)})"
        topic = zone.sources["climate"]  # the guard let through only a zone with one of the two
        payload: dict[str, Any] = {}
        if target is not None:
            payload["occupied_heating_setpoint"] = target
        if mode is not None:
            payload["system_mode"] = "auto" if mode == "eco" else mode
            if mode == "eco" and target is None:
                payload["occupied_heating_setpoint"] = 17
        await self._publish(f"{topic}/set", payload)
        return f"{topic}/set ({_describe(target, mode)})"

    async def _set_lights(self, args: Mapping[str, Any]) -> str:
        entity = self._subject("zones", args["zone"]).sources["lights"]
        if not args["on"]:
            await self._service("light", "turn_off", {"entity_id": entity})
            return f"{entity} off"
        data: dict[str, Any] = {"entity_id": entity}
        if (brightness := args.get("brightness")) is not None:
            data["brightness_pct"] = brightness
        if (kelvin := args.get("color_temp")) is not None:
            data["color_temp_kelvin"] = kelvin
        await self._service("light", "turn_on", data)
        return f"{entity} on"

    async def _notify(self, args: Mapping[str, Any]) -> str:
        person = self._subject("people", args["person"])
        message = str(args["message"])
        if person.notify and "." in person.notify:
            domain, service = person.notify.split(".", 1)
            await self._service(domain, service, {"title": "Ambient Mesh", "message": message})
            return f"sent through {person.notify}"
        persistent_notification.async_create(self.hass, message, title=f"Ambient Mesh → {person.name}")
        return "shown as a persistent notification"

    async def _unlock_vehicle(self, args: Mapping[str, Any]) -> str:
        entity = self._subject("vehicles", args["vehicle"]).sources["lock"]
        await self._service("lock", "unlock", {"entity_id": entity})
        return f"{entity} unlocked"

    async def _open_cover(self, args: Mapping[str, Any]) -> str:
        return await self._cover(args, "open_cover")

    async def _close_cover(self, args: Mapping[str, Any]) -> str:
        return await self._cover(args, "close_cover")

    async def _cover(self, args: Mapping[str, Any], service: str) -> str:
        entity = self._subject("zones", args["zone"]).sources["cover"]
        await self._service("cover", service, {"entity_id": entity})
        return f"{entity} {service.split('_')[0]}"


def _ha_mode(mode: str) -> str:
    return {"eco": "auto"}.get(mode, mode)


def _describe(target: Any, mode: Any) -> str:
    parts = [f"{float(target):g} °C"] if target is not None else []
    if mode is not None:
        parts.append(str(mode))
    return ", ".join(parts)
