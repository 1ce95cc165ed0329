"""Config flow for Ambient Mesh: the entry, the household as subentries, and the options.

The entry holds which formats to listen to and on which base topics; people, vehicles and zones are
subentries whose data is the engine's household item shape; options hold settings, model endpoints
and permissions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from homeassistant.auth.models import User
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentry,
    ConfigSubentryFlow,
    OptionsFlow,
    SubentryFlowResult,
)
from homeassistant.const import CONF_API_KEY, CONF_NAME, CONF_URL
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    BooleanSelector,
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.util import slugify

from .compat import vol
from .const import (
    CONF_ALLOWLIST,
    CONF_ENDPOINTS,
    CONF_FORMATS,
    CONF_PERMISSIONS,
    CONF_SHADOW,
    CONF_STT_LANGUAGE,
    CONF_STT_MODEL,
    CONF_TOKEN_BUDGET,
    DEFAULT_FORMATS,
    DEFAULT_STT_LANGUAGE,
    DEFAULT_STT_MODEL,
    DEFAULT_TIMEOUT,
    DEFAULT_TOKEN_BUDGET,
    DOMAIN,
    LOGGER,
    STT_MODELS,
    SUBENTRY_PERSON,
    SUBENTRY_VEHICLE,
    SUBENTRY_ZONE,
)
from .engine.context import SourceInfo
from .engine.household import PERSON_SCHEMA, VEHICLE_SCHEMA, ZONE_SCHEMA
from .engine.llm import EndpointKind, LlmError, detect_kind, list_models, looks_small
from .engine.model import Risk
from .engine.profiles import SourceKind
from .engine.tools import CATALOGUE

if TYPE_CHECKING:
    from voluptuous import Schema as EngineSchema

TITLE = "Ambient Mesh"
MQTT_DOMAIN = "mqtt"
SLEEP_FORMAT = "sleep_as_android"
MAX_NAME = 40
MAX_ID = 32
MAX_TOPIC = 200
LIST_MODELS_TIMEOUT = 10

CONF_MODEL = "model"
CONF_PRIORITY = "priority"
CONF_TIMEOUT = "timeout"
CONF_KIND = "kind"
CONF_CONSTRAINED = "constrained"
KIND_AUTO = "auto"
CONF_REMOVE = "remove"
CONF_NOTIFY = "notify"
CONF_VEHICLE = "vehicle"
CONF_BEDROOM = "bedroom"
CONF_ROOMS = "rooms"
CONF_USER_ID = "user_id"

# Tools the allowlist and permissions offer; "never" tools are refused by the guard whatever the options say.
TOOLS: tuple[str, ...] = tuple(name for name, spec in CATALOGUE.items() if spec.risk is not Risk.NEVER)


def _valid_topic(topic: str) -> bool:
    """A concrete topic to subscribe below: no wildcards, no empty first or last level."""
    return (
        bool(topic)
        and len(topic) <= MAX_TOPIC
        and not any(c in topic for c in "+#\0")
        and not topic.startswith("/")
        and not topic.endswith("/")
    )


# ---------------------------------------------------------------------------------------------------
# The entry: formats and their base topics


def _formats_schema() -> vol.Schema:
    return vol.Schema(
        {
            vol.Required(CONF_FORMATS): SelectSelector(
                SelectSelectorConfig(
                    options=list(DEFAULT_FORMATS),
                    multiple=True,
                    mode=SelectSelectorMode.LIST,
                    translation_key="formats",
                )
            ),
            **{vol.Required(name): TextSelector() for name in DEFAULT_FORMATS},
        }
    )


def _formats_suggestions(formats: Mapping[str, str]) -> dict[str, Any]:
    """Form values for stored formats; disabled formats show their default base."""
    return {CONF_FORMATS: list(formats), **DEFAULT_FORMATS, **formats}


def _validate_formats(user_input: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """Return the enabled formats with their base topics, and the form errors."""
    errors: dict[str, str] = {}
    formats: dict[str, str] = {}
    enabled = [name for name in DEFAULT_FORMATS if name in user_input[CONF_FORMATS]]
    if not enabled:
        errors[CONF_FORMATS] = "no_formats"
    for name in enabled:
        base = str(user_input[name]).strip()
        if not _valid_topic(base):
            errors[name] = "invalid_topic"
        elif base in formats.values():
            # Two formats on one base would each see the other's messages as malformed.
            errors[name] = "duplicate_topic"
        else:
            formats[name] = base
    return formats, errors


class AmbientMeshConfigFlow(ConfigFlow, domain=DOMAIN):
    """One Ambient Mesh entry per Home Assistant; the household lives in its subentries."""

    VERSION = 1
    MINOR_VERSION = 1

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> AmbientMeshOptionsFlow:
        """Settings, model endpoints and permissions."""
        return AmbientMeshOptionsFlow()

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """People, vehicles and zones are subentries."""
        return {
            SUBENTRY_PERSON: PersonSubentryFlow,
            SUBENTRY_VEHICLE: VehicleSubentryFlow,
            SUBENTRY_ZONE: ZoneSubentryFlow,
        }

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose the formats to listen to and their base topics."""
        await self.async_set_unique_id(DOMAIN)
        self._abort_if_unique_id_configured()
        # Ambient Mesh opens no broker connection of its own; it rides on Home Assistant's MQTT.
        if not self.hass.config_entries.async_loaded_entries(MQTT_DOMAIN):
            return self.async_abort(reason="mqtt_not_configured")
        errors: dict[str, str] = {}
        if user_input is not None:
            formats, errors = _validate_formats(user_input)
            if not errors:
                return self.async_create_entry(title=TITLE, data={CONF_FORMATS: formats})
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                _formats_schema(), user_input or _formats_suggestions(DEFAULT_FORMATS)
            ),
            errors=errors,
        )

    async def async_step_reconfigure(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Change formats or base topics; the entry reloads with them."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            formats, errors = _validate_formats(user_input)
            if not errors:
                return self.async_update_reload_and_abort(entry, data={CONF_FORMATS: formats})
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                _formats_schema(), user_input or _formats_suggestions(entry.data[CONF_FORMATS])
            ),
            errors=errors,
        )


# ---------------------------------------------------------------------------------------------------
# The household: one subentry per person, vehicle and zone


@dataclass(frozen=True, slots=True, kw_only=True)
class _Role:
    """One source of a subject: an MQTT topic (offering discovered sources) or an entity."""

    key: str
    offer: Callable[[SourceInfo], bool] | None = None  # topic roles: which discovered sources fit
    domain: str | None = None  # entity roles
    device_class: str | None = None

    def selector(self, discovered: list[SourceInfo]) -> Any:
        """The form selector for this role."""
        if self.domain is not None:
            # Top-level domain (not ``filter``): only then does the selector refuse other domains.
            config = EntitySelectorConfig(domain=self.domain)
            if self.device_class is not None:
                config["device_class"] = self.device_class
            return EntitySelector(config)
        if self.offer is None:
            return TextSelector()
        options = [
            SelectOptionDict(
                value=info.source, label=f"{info.name} ({info.source})" if info.name else info.source
            )
            for info in sorted(discovered, key=lambda info: info.source)
            if self.offer(info)
        ]
        return SelectSelector(SelectSelectorConfig(options=options, custom_value=True))


def _is(kind: SourceKind) -> Callable[[SourceInfo], bool]:
    return lambda info: info.kind is kind and info.format != SLEEP_FORMAT


def _is_sleep(info: SourceInfo) -> bool:
    return info.format == SLEEP_FORMAT


PERSON_ROLES = (
    _Role(key="phone", offer=_is(SourceKind.PHONE)),
    _Role(key="sleep", offer=_is_sleep),
    _Role(key="wearable", offer=_is(SourceKind.WEARABLE)),
    _Role(key="person", domain="person"),
    _Role(key="calendar", domain="calendar"),
    _Role(key="next_alarm", domain="sensor", device_class="timestamp"),
    _Role(key="heart_rate", domain="sensor"),
)
VEHICLE_ROLES = (
    _Role(key="telemetry", offer=_is(SourceKind.CAR)),
    _Role(key="climate", domain="climate"),
    _Role(key="lock", domain="lock"),
    _Role(key="command"),
)
ZONE_ROLES = (
    _Role(key="climate", offer=_is(SourceKind.ROOM)),
    _Role(key="climate_entity", domain="climate"),
    _Role(key="sensor", offer=_is(SourceKind.ROOM)),
    _Role(key="motion", offer=_is(SourceKind.ROOM)),
    _Role(key="lights", domain="light"),
    _Role(key="cover", domain="cover"),
)


def _discovered(entry: ConfigEntry) -> list[SourceInfo]:
    """Sources the running mesh has heard from; none while the entry is not loaded."""
    if entry.state is not ConfigEntryState.LOADED:
        return []
    mesh = getattr(getattr(entry, "runtime_data", None), "mesh", None)
    sources: Mapping[str, SourceInfo] = getattr(getattr(mesh, "context", None), "sources", None) or {}
    # Sources the household does not name yet are held back (admission.py): offering them here is
    # how the user accepts one.
    admission = getattr(getattr(getattr(entry, "runtime_data", None), "hub", None), "admission", None)
    discovered = admission.discovery.sources() if admission is not None else []
    return [*sources.values(), *(s.as_source_info() for s in discovered if s.source not in sources)]


def _subjects(entry: ConfigEntry, subentry_type: str) -> list[ConfigSubentry]:
    return [sub for sub in entry.subentries.values() if sub.subentry_type == subentry_type]


def _subject_options(entry: ConfigEntry, subentry_type: str) -> list[SelectOptionDict]:
    return [
        SelectOptionDict(value=sub.data["id"], label=sub.title) for sub in _subjects(entry, subentry_type)
    ]


class _SubjectFlow(ConfigSubentryFlow):
    """Add or edit one subject of the household; ``data`` has the engine's household item shape."""

    roles: ClassVar[tuple[_Role, ...]]
    # The engine's own schema: voluptuous (Home Assistant 2026.9+ runs it as probatio), not compat.vol.
    item_schema: ClassVar[EngineSchema]

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Add a subject."""
        return await self._async_step_subject("user", user_input, None)

    async def async_step_reconfigure(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Edit a subject; its id stays, so references from people and permissions keep working."""
        return await self._async_step_subject("reconfigure", user_input, self._get_reconfigure_subentry())

    async def _async_step_subject(
        self, step_id: str, user_input: dict[str, Any] | None, subentry: ConfigSubentry | None
    ) -> SubentryFlowResult:
        entry = self._get_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            name = str(user_input[CONF_NAME]).strip()
            subject_id = subentry.data["id"] if subentry else slugify(name)[:MAX_ID].strip("_")
            # slugify turns a name without letters or digits into "unknown"; refuse it instead.
            if not any(c.isalnum() for c in name) or len(name) > MAX_NAME:
                errors[CONF_NAME] = "invalid_name"
            elif subentry is None and any(
                sub.unique_id == subject_id or sub.data.get("id") == subject_id
                for sub in entry.subentries.values()
            ):
                errors[CONF_NAME] = "duplicate_id"
            sources: dict[str, str] = {}
            for role in self.roles:
                value = str(user_input.get(role.key) or "").strip()
                if not value:
                    continue
                if role.domain is None and not _valid_topic(value):
                    errors[role.key] = "invalid_topic"
                sources[role.key] = value
            extra = self._extra(user_input, errors)
            if not errors:
                data = self.item_schema({"id": subject_id, "name": name, "sources": sources, **extra})
                if subentry is None:
                    return self.async_create_entry(title=name, data=data, unique_id=subject_id)
                return self.async_update_and_abort(entry, subentry, title=name, data=data)
        suggested = user_input if user_input is not None else self._suggested(subentry)
        discovered = _discovered(entry)
        fields: dict[vol.Marker, Any] = {vol.Required(CONF_NAME): TextSelector()}
        fields.update({vol.Optional(role.key): role.selector(discovered) for role in self.roles})
        fields.update(self._extra_schema(entry))
        schema = vol.Schema(fields)
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            errors=errors,
        )

    @staticmethod
    def _suggested(subentry: ConfigSubentry | None) -> dict[str, Any]:
        if subentry is None:
            return {}
        data = dict(subentry.data)
        return {**data.pop("sources"), **data}

    def _extra_schema(self, entry: ConfigEntry) -> dict[vol.Marker, Any]:
        """Fields beyond name and sources."""
        return {}

    def _extra(self, user_input: Mapping[str, Any], errors: dict[str, str]) -> dict[str, Any]:
        """Item keys beyond id, name and sources; adds form errors."""
        return {}


class PersonSubentryFlow(_SubjectFlow):
    """A person: their devices, what they drive, where they sleep, how to reach them."""

    roles = PERSON_ROLES
    item_schema = PERSON_SCHEMA
    _users: list[User]

    def _extra_schema(self, entry: ConfigEntry) -> dict[vol.Marker, Any]:
        notify = [
            f"notify.{service}" for service in sorted(self.hass.services.async_services_for_domain("notify"))
        ]
        zones = _subject_options(entry, SUBENTRY_ZONE)
        users = [
            SelectOptionDict(value=user.id, label=user.name or user.id)
            for user in self._users
            if not user.system_generated and user.is_active
        ]
        return {
            vol.Optional(CONF_NOTIFY): SelectSelector(
                SelectSelectorConfig(options=notify, custom_value=True)
            ),
            vol.Optional(CONF_VEHICLE): SelectSelector(
                SelectSelectorConfig(options=_subject_options(entry, SUBENTRY_VEHICLE))
            ),
            vol.Optional(CONF_BEDROOM): SelectSelector(SelectSelectorConfig(options=zones)),
            vol.Optional(CONF_ROOMS): SelectSelector(SelectSelectorConfig(options=zones, multiple=True)),
            vol.Optional(CONF_USER_ID): SelectSelector(SelectSelectorConfig(options=users)),
        }

    async def _async_step_subject(
        self, step_id: str, user_input: dict[str, Any] | None, subentry: ConfigSubentry | None
    ) -> SubentryFlowResult:
        self._users = await self.hass.auth.async_get_users()
        return await super()._async_step_subject(step_id, user_input, subentry)

    def _extra(self, user_input: Mapping[str, Any], errors: dict[str, str]) -> dict[str, Any]:
        extra: dict[str, Any] = {CONF_ROOMS: list(user_input.get(CONF_ROOMS) or [])}
        if notify := str(user_input.get(CONF_NOTIFY) or "").strip():
            domain, _, service = notify.partition(".")
            if domain != "notify" or not self.hass.services.has_service(domain, service):
                errors[CONF_NOTIFY] = "invalid_notify"
            extra[CONF_NOTIFY] = notify
        for key in (CONF_VEHICLE, CONF_BEDROOM, CONF_USER_ID):
            if value := user_input.get(key):
                extra[key] = value
        return extra


class VehicleSubentryFlow(_SubjectFlow):
    """A vehicle: its telemetry, its HVAC and lock in Home Assistant, or a command topic."""

    roles = VEHICLE_ROLES
    item_schema = VEHICLE_SCHEMA


class ZoneSubentryFlow(_SubjectFlow):
    """A zone (a room): its climate, sensors, lights and covers."""

    roles = ZONE_ROLES
    item_schema = ZONE_SCHEMA


# ---------------------------------------------------------------------------------------------------
# Options


class CannotConnectError(Exception):
    """The model server did not answer the model list."""


async def async_detect_models(
    hass: HomeAssistant, url: str, kind: str, api_key: str | None
) -> tuple[EndpointKind, list[str]]:
    """Which API a server speaks (``auto``: Ollama's own first) and its models; raises CannotConnectError."""
    session = async_get_clientsession(hass)
    try:
        if kind == KIND_AUTO:
            return await detect_kind(session, url, api_key=api_key, timeout_s=LIST_MODELS_TIMEOUT)
        chosen = EndpointKind(kind)
        return chosen, await list_models(session, url, chosen, api_key=api_key, timeout_s=LIST_MODELS_TIMEOUT)
    except (LlmError, ValueError) as err:
        LOGGER.debug("No model server at %s listed its models: %s", url, err)
        raise CannotConnectError from err


def _tool_selector() -> SelectSelector:
    return SelectSelector(SelectSelectorConfig(options=list(TOOLS), multiple=True, translation_key="tools"))


class AmbientMeshOptionsFlow(OptionsFlow):
    """A menu of settings, endpoints and permissions; each choice saves and reloads the entry."""

    def __init__(self) -> None:
        """Nothing chosen yet."""
        self._url = ""
        self._kind = EndpointKind.OLLAMA
        self._api_key: str | None = None
        self._models: list[str] = []

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show what can be changed."""
        menu = ["settings", "endpoint"]
        if self.config_entry.options.get(CONF_ENDPOINTS):
            menu.append("remove_endpoint")
        if _subjects(self.config_entry, SUBENTRY_PERSON):
            menu.append("permissions")
        return self.async_show_menu(step_id="init", menu_options=menu)

    async def async_step_settings(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Shadow mode, digest token budget and the allowlist of tools."""
        if user_input is not None:
            return self._save(
                {
                    CONF_SHADOW: user_input[CONF_SHADOW],
                    CONF_TOKEN_BUDGET: int(user_input[CONF_TOKEN_BUDGET]),
                    CONF_ALLOWLIST: list(user_input.get(CONF_ALLOWLIST) or []),
                    **{
                        k: str(user_input[k]).strip()
                        for k in (CONF_STT_MODEL, CONF_STT_LANGUAGE)
                        if user_input.get(k)
                    },
                }
            )
        options = self.config_entry.options
        schema = vol.Schema(
            {
                vol.Required(CONF_SHADOW): BooleanSelector(),
                vol.Required(CONF_TOKEN_BUDGET): NumberSelector(
                    NumberSelectorConfig(min=100, max=4000, step=1, mode=NumberSelectorMode.BOX)
                ),
                vol.Optional(CONF_ALLOWLIST): _tool_selector(),
                vol.Optional(CONF_STT_MODEL): SelectSelector(
                    SelectSelectorConfig(options=list(STT_MODELS), custom_value=True)
                ),
                vol.Optional(CONF_STT_LANGUAGE): SelectSelector(
                    SelectSelectorConfig(options=[DEFAULT_STT_LANGUAGE, "en", "de"], custom_value=True)
                ),
            }
        )
        suggested = {
            CONF_STT_MODEL: options.get(CONF_STT_MODEL, DEFAULT_STT_MODEL),
            CONF_STT_LANGUAGE: options.get(CONF_STT_LANGUAGE, DEFAULT_STT_LANGUAGE),
            CONF_SHADOW: options.get(CONF_SHADOW, False),
            CONF_TOKEN_BUDGET: options.get(CONF_TOKEN_BUDGET, DEFAULT_TOKEN_BUDGET),
            CONF_ALLOWLIST: list(options.get(CONF_ALLOWLIST, [])),
        }
        return self.async_show_form(
            step_id="settings", data_schema=self.add_suggested_values_to_schema(schema, suggested)
        )

    async def async_step_endpoint(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Add a model endpoint: first where it is, which API it speaks (or detect it) and its key."""
        errors: dict[str, str] = {}
        if user_input is not None:
            url = str(user_input[CONF_URL]).strip().rstrip("/")
            api_key = str(user_input.get(CONF_API_KEY) or "").strip() or None
            try:
                kind, models = await async_detect_models(
                    self.hass, url, user_input.get(CONF_KIND, KIND_AUTO), api_key
                )
            except CannotConnectError:
                errors["base"] = "cannot_connect"
            else:
                if models:
                    self._url, self._kind, self._api_key, self._models = url, kind, api_key, models
                    return await self.async_step_endpoint_model()
                errors["base"] = "no_models"
        schema = vol.Schema(
            {
                vol.Required(CONF_URL): TextSelector(TextSelectorConfig(type=TextSelectorType.URL)),
                vol.Optional(CONF_KIND, default=KIND_AUTO): SelectSelector(
                    SelectSelectorConfig(
                        options=[KIND_AUTO, *(k.value for k in EndpointKind)], translation_key="endpoint_kind"
                    )
                ),
                vol.Optional(CONF_API_KEY): TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD)),
            }
        )
        return self.async_show_form(
            step_id="endpoint",
            data_schema=self.add_suggested_values_to_schema(schema, user_input),
            errors=errors,
            last_step=False,
        )

    async def async_step_endpoint_model(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Then which of its models, how long to wait for it and when to try it."""
        endpoints: list[dict[str, Any]] = [dict(e) for e in self.config_entry.options.get(CONF_ENDPOINTS, [])]
        errors: dict[str, str] = {}
        if user_input is not None:
            model = user_input[CONF_MODEL]
            if any(e["url"] == self._url and e["model"] == model for e in endpoints):
                errors["base"] = "duplicate_endpoint"
            else:
                endpoint: dict[str, Any] = {
                    "url": self._url,
                    "model": model,
                    "kind": self._kind.value,
                    "priority": int(user_input[CONF_PRIORITY]),
                    "timeout": int(user_input[CONF_TIMEOUT]),
                    "constrained": bool(user_input.get(CONF_CONSTRAINED, looks_small(model))),
                }
                if self._api_key:
                    endpoint[CONF_API_KEY] = self._api_key  # stored in the entry; diagnostics redact it
                endpoints.append(endpoint)
                # Stable sort: the planner tries endpoints in this order, lowest priority number first.
                endpoints.sort(key=lambda e: e["priority"])
                return self._save({CONF_ENDPOINTS: endpoints})
        schema = vol.Schema(
            {
                vol.Required(CONF_MODEL): SelectSelector(SelectSelectorConfig(options=self._models)),
                vol.Required(CONF_TIMEOUT): NumberSelector(
                    NumberSelectorConfig(
                        min=1, max=600, step=1, mode=NumberSelectorMode.BOX, unit_of_measurement="s"
                    )
                ),
                vol.Required(CONF_PRIORITY): NumberSelector(
                    NumberSelectorConfig(min=1, max=100, step=1, mode=NumberSelectorMode.BOX)
                ),
                vol.Optional(CONF_CONSTRAINED): BooleanSelector(),
            }
        )
        suggested = user_input or {
            CONF_MODEL: self._models[0],
            CONF_TIMEOUT: DEFAULT_TIMEOUT,
            CONF_PRIORITY: max((e["priority"] for e in endpoints), default=0) + 1,
            CONF_CONSTRAINED: looks_small(self._models[0]),  # small models emit malformed calls
        }
        return self.async_show_form(
            step_id="endpoint_model",
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            errors=errors,
            description_placeholders={"url": self._url, "kind": self._kind.value},
        )

    async def async_step_remove_endpoint(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Remove model endpoints."""
        endpoints: list[Mapping[str, Any]] = list(self.config_entry.options.get(CONF_ENDPOINTS, []))
        if user_input is not None:
            remove = set(user_input[CONF_REMOVE])
            return self._save(
                {CONF_ENDPOINTS: [dict(e) for i, e in enumerate(endpoints) if str(i) not in remove]}
            )
        options = [
            SelectOptionDict(value=str(i), label=f"{e['model']} @ {e['url']} (priority {e['priority']})")
            for i, e in enumerate(endpoints)
        ]
        schema = vol.Schema(
            {
                vol.Required(CONF_REMOVE): SelectSelector(
                    SelectSelectorConfig(options=options, multiple=True, mode=SelectSelectorMode.LIST)
                )
            }
        )
        return self.async_show_form(step_id="remove_endpoint", data_schema=schema)

    async def async_step_permissions(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Which tools each person may ask for by voice, chat or service; none chosen = every tool."""
        people = {sub.data["id"]: sub.title for sub in _subjects(self.config_entry, SUBENTRY_PERSON)}
        if user_input is not None:
            return self._save(
                {CONF_PERMISSIONS: {pid: list(tools) for pid in people if (tools := user_input.get(pid))}}
            )
        schema = vol.Schema({vol.Optional(pid): _tool_selector() for pid in people})
        return self.async_show_form(
            step_id="permissions",
            data_schema=self.add_suggested_values_to_schema(
                schema, dict(self.config_entry.options.get(CONF_PERMISSIONS, {}))
            ),
            description_placeholders={
                "people": ", ".join(f"{pid} ({title})" for pid, title in people.items())
            },
        )

    @callback
    def _save(self, changes: Mapping[str, Any]) -> ConfigFlowResult:
        """Merge changes into the options; empty lists and maps mean "every tool" and are left out."""
        options = {**self.config_entry.options, **changes}
        for key in (CONF_ALLOWLIST, CONF_PERMISSIONS):
            if not options.get(key):
                options.pop(key, None)
        return self.async_create_entry(data=options)
