// The card's text, by language. Keys missing in a language fall back to English.
export const TRANSLATIONS = {
  en: {
    title: {
      pending: "Waiting for you",
      timeline: "Decisions",
      schedules: "Scheduled actions",
      planner: "Planner",
    },
    empty: {
      pending: "Nothing waits for a confirmation.",
      timeline: "No decisions yet.",
      schedules: "Nothing is scheduled.",
    },
    approve: "Approve",
    deny: "Deny",
    cancel: "Cancel",
    for: "for {who}",
    by: "by {planner}",
    at: "at {time}",
    since: "asked {time}",
    filter: { all: "All", acted: "Done", waiting: "Waiting", refused: "Refused", everyone: "Everyone" },
    verdict: {
      executed: "done",
      clamped: "done (adjusted)",
      pending: "waiting",
      approved: "approved",
      denied: "denied",
      expired: "expired",
      rejected: "refused",
      rate_limited: "too often",
      shadow: "shadow only",
      failed: "failed",
      scheduled: "scheduled",
    },
    planner_name: { rules: "Rules", llm: "Model", service: "Service", voice: "Voice", schedule: "Schedule" },
    situation: {
      departure_soon: "Departure soon",
      arriving_home: "Arriving home",
      sleep_started: "Fell asleep",
      woke_up: "Woke up",
      night_overheating: "Too warm at night",
      feeling_cold: "Feeling cold",
      house_empty: "House empty",
    },
    tool: {
      precondition_cabin: "Warm up {vehicle} to {target_c}",
      precondition_cabin_by: "Warm up {vehicle} to {target_c} by {ready_by}",
      stop_cabin_climate: "Stop {vehicle}'s climate",
      set_room_climate: "Set {zone} to {target_c}",
      set_room_mode: "Set {zone} to {mode}",
      set_lights_on: "Lights on in {zone}",
      set_lights_off: "Lights off in {zone}",
      notify: "Tell {person}: “{message}”",
      schedule: "{call} at {at}",
      cancel_scheduled: "Cancel a scheduled action",
      unlock_vehicle: "Unlock {vehicle}",
      open_cover: "Open the cover in {zone}",
      close_cover: "Close the cover in {zone}",
      disarm_alarm: "Disarm the alarm",
    },
    planner: {
      decides: "Decides",
      rules: "Rules (no model answering)",
      llm: "Model",
      endpoint: "Endpoint",
      no_endpoint: "none configured",
      prompt: "Last prompt",
      tokens: "{n} tokens (budget {budget})",
      latency: "Latency",
      shadow: "Shadow mode",
      on: "on: decides, executes nothing",
      off: "off",
      dropped: "Dropped messages",
      dropped_of: "{n} of {total}",
      fallbacks: "Rules stood in",
      error: "Last error",
      none: "—",
    },
  },
  de: {
    title: {
      pending: "Wartet auf dich",
      timeline: "Entscheidungen",
      schedules: "Geplante Aktionen",
      planner: "Planer",
    },
    empty: {
      pending: "Nichts wartet auf eine Bestätigung.",
      timeline: "Noch keine Entscheidungen.",
      schedules: "Nichts ist geplant.",
    },
    approve: "Erlauben",
    deny: "Ablehnen",
    cancel: "Abbrechen",
    for: "für {who}",
    by: "durch {planner}",
    at: "um {time}",
    since: "gefragt {time}",
    filter: { all: "Alle", acted: "Erledigt", waiting: "Wartend", refused: "Abgelehnt", everyone: "Alle Personen" },
    verdict: {
      executed: "erledigt",
      clamped: "erledigt (angepasst)",
      pending: "wartet",
      approved: "erlaubt",
      denied: "abgelehnt",
      expired: "abgelaufen",
      rejected: "verweigert",
      rate_limited: "zu häufig",
      shadow: "nur Schattenmodus",
      failed: "fehlgeschlagen",
      scheduled: "geplant",
    },
    planner_name: { rules: "Regeln", llm: "Modell", service: "Dienst", voice: "Sprache", schedule: "Zeitplan" },
    situation: {
      departure_soon: "Abfahrt bald",
      arriving_home: "Kommt nach Hause",
      sleep_started: "Eingeschlafen",
      woke_up: "Aufgewacht",
      night_overheating: "Nachts zu warm",
      feeling_cold: "Friert",
      house_empty: "Haus leer",
    },
    tool: {
      precondition_cabin: "{vehicle} auf {target_c} vorheizen",
      precondition_cabin_by: "{vehicle} bis {ready_by} auf {target_c} vorheizen",
      stop_cabin_climate: "Klima von {vehicle} aus",
      set_room_climate: "{zone} auf {target_c}",
      set_room_mode: "{zone} auf {mode}",
      set_lights_on: "Licht an in {zone}",
      set_lights_off: "Licht aus in {zone}",
      notify: "{person} sagen: „{message}“",
      schedule: "{call} um {at}",
      cancel_scheduled: "Geplante Aktion abbrechen",
      unlock_vehicle: "{vehicle} entriegeln",
      open_cover: "Rollladen in {zone} öffnen",
      close_cover: "Rollladen in {zone} schließen",
      disarm_alarm: "Alarmanlage entschärfen",
    },
    planner: {
      decides: "Entscheidet",
      rules: "Regeln (kein Modell antwortet)",
      llm: "Modell",
      endpoint: "Endpunkt",
      no_endpoint: "keiner eingerichtet",
      prompt: "Letzter Prompt",
      tokens: "{n} Tokens (Budget {budget})",
      latency: "Antwortzeit",
      shadow: "Schattenmodus",
      on: "an: entscheidet, führt nichts aus",
      off: "aus",
      dropped: "Verworfene Nachrichten",
      dropped_of: "{n} von {total}",
      fallbacks: "Regeln sprangen ein",
      error: "Letzter Fehler",
      none: "—",
    },
  },
};

/** The language the card speaks: the user's Home Assistant language, else English. */
export function pickLanguage(hass) {
  const wanted = (hass?.locale?.language || hass?.language || "en").toLowerCase();
  if (TRANSLATIONS[wanted]) return wanted;
  const base = wanted.split("-")[0];
  return TRANSLATIONS[base] ? base : "en";
}

function lookup(table, key) {
  return key.split(".").reduce((node, part) => (node == null ? undefined : node[part]), table);
}

/** Translate ``key`` (dotted) into ``lang`` with ``{placeholders}``; English when missing. */
export function translate(lang, key, values = {}) {
  const text = lookup(TRANSLATIONS[lang], key) ?? lookup(TRANSLATIONS.en, key) ?? key;
  return String(text).replace(/\{(\w+)\}/g, (_, name) => (name in values ? String(values[name]) : `{${name}}`));
}
