// The Ambient Mesh card: what Home Assistant's own cards cannot show — the decisions timeline with
// reasons, requests waiting for a person (approve / deny), scheduled actions (cancel) and the planner.
//
// Config: { type: "custom:ambient-mesh-card", section: "pending" | "timeline" | "schedules" | "planner",
//           subject?: "<person, vehicle or zone id>", hide_title?: boolean, limit?: number }
// Data comes by subscription (ambient_mesh/subscribe_*): the integration pushes every change.
// Only stable frontend APIs are used: the hass object, hass.connection.subscribeMessage, hass.callService.
import { LitElement, css, html, nothing } from "lit";
import { pickLanguage, translate } from "./translations.js";

const SUBSCRIPTION = {
  pending: "ambient_mesh/subscribe_pending",
  timeline: "ambient_mesh/subscribe_decisions",
  schedules: "ambient_mesh/subscribe_schedules",
  planner: "ambient_mesh/subscribe_planner",
};
const VERDICT_GROUP = {
  executed: "acted",
  clamped: "acted",
  approved: "acted",
  scheduled: "acted",
  pending: "waiting",
  shadow: "waiting",
  denied: "refused",
  expired: "refused",
  rejected: "refused",
  rate_limited: "refused",
  failed: "refused",
};
const SUBJECT_ARGS = ["person", "vehicle", "zone"];
const ISO_TIME = /\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:\d\d)?/g;

class AmbientMeshCard extends LitElement {
  static properties = {
    hass: { attribute: false },
    _config: { state: true },
    _data: { state: true },
    _error: { state: true },
    _verdictFilter: { state: true },
    _subjectFilter: { state: true },
    _busy: { state: true },
  };

  constructor() {
    super();
    this._data = undefined;
    this._verdictFilter = "all";
    this._subjectFilter = "";
    this._busy = {};
    this._unsubscribe = undefined;
  }

  setConfig(config) {
    if (!config || !SUBSCRIPTION[config.section]) {
      throw new Error(`section must be one of: ${Object.keys(SUBSCRIPTION).join(", ")}`);
    }
    const changed = this._config && this._config.section !== config.section;
    this._config = config;
    if (changed) this._resubscribe();
  }

  getCardSize() {
    return this._config?.section === "timeline" ? 6 : 3;
  }

  static getStubConfig() {
    return { section: "timeline" };
  }

  connectedCallback() {
    super.connectedCallback();
    if (this.hass && this._config) this._subscribe();
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    this._unsubscribeNow();
  }

  updated(changed) {
    if (changed.has("hass") && this.hass && this._config && !this._unsubscribe) this._subscribe();
  }

  _subscribe() {
    if (this._unsubscribe) return;
    const message = { type: SUBSCRIPTION[this._config.section] };
    if (this._config.entry_id) message.entry_id = this._config.entry_id;
    this._unsubscribe = this.hass.connection
      .subscribeMessage((data) => {
        this._data = data;
        this._error = undefined;
      }, message)
      .catch((err) => {
        this._error = err?.message || String(err);
        this._unsubscribe = undefined;
      });
  }

  _unsubscribeNow() {
    const pending = this._unsubscribe;
    this._unsubscribe = undefined;
    if (pending) pending.then((unsub) => typeof unsub === "function" && unsub()).catch(() => {});
  }

  _resubscribe() {
    this._unsubscribeNow();
    this._data = undefined;
    if (this.hass && this.isConnected) this._subscribe();
  }

  // -- words ---------------------------------------------------------------------------------------

  get _lang() {
    return pickLanguage(this.hass);
  }

  _t(key, values) {
    return translate(this._lang, key, values);
  }

  _name(id) {
    return (this._data?.names || {})[id] || id;
  }

  _time(iso, withDay = false) {
    if (!iso) return "";
    const when = new Date(iso);
    if (Number.isNaN(when.getTime())) return iso;
    const options = { hour: "2-digit", minute: "2-digit" };
    if (withDay) Object.assign(options, { weekday: "short" });
    // The user's choice in their profile (12 / 24 hours), else what their language does.
    const format = this.hass?.locale?.time_format;
    if (format === "12" || format === "24") options.hour12 = format === "12";
    const zone = this.hass?.config?.time_zone;
    try {
      return new Intl.DateTimeFormat(this.hass?.locale?.language || this._lang, {
        ...options,
        ...(zone ? { timeZone: zone } : {}),
      }).format(when);
    } catch (_err) {
      return when.toLocaleTimeString();
    }
  }

  /** Engine texts carry ISO times ("until 2026-12-01T07:19+01:00"): show them as the clock reads. */
  _plain(text) {
    return String(text || "").replace(ISO_TIME, (iso) => this._time(iso));
  }

  _temp(value) {
    if (typeof value !== "number") return String(value ?? "");
    return `${new Intl.NumberFormat(this._lang, { maximumFractionDigits: 1 }).format(value)} °C`;
  }

  /** "Warm up Tesla to 21 °C by 07:30": a tool call in the reader's words. */
  _what(tool, args = {}) {
    const names = {
      vehicle: this._name(args.vehicle),
      zone: this._name(args.zone),
      person: this._name(args.person),
      target_c: this._temp(args.target_c),
      ready_by: this._time(args.ready_by),
      mode: args.mode,
      message: args.message,
      at: this._time(args.at),
    };
    switch (tool) {
      case "precondition_cabin":
        return this._t(args.ready_by ? "tool.precondition_cabin_by" : "tool.precondition_cabin", names);
      case "set_room_climate":
        return this._t(args.target_c == null && args.mode ? "tool.set_room_mode" : "tool.set_room_climate", names);
      case "set_lights":
        return this._t(args.on ? "tool.set_lights_on" : "tool.set_lights_off", names);
      case "schedule": {
        const inner = args.call || {};
        return this._t("tool.schedule", { ...names, call: this._what(inner.tool, inner.args || {}) });
      }
      default: {
        const known = translate(this._lang, `tool.${tool}`, names);
        return known === `tool.${tool}` ? tool : known;
      }
    }
  }

  /** Who a decision was for: its situation's subject, else the subject its arguments name. */
  _whom(decision) {
    const args = decision.args || {};
    const inner = args.call?.args || {};
    const id =
      decision.subject ||
      decision.person ||
      SUBJECT_ARGS.map((key) => args[key] ?? inner[key]).find((value) => value != null);
    return id ? this._name(id) : "";
  }

  /** "for Alice", unless the action already names them ("Unlock Tesla" needs no "for Tesla"). */
  _forWhom(decision) {
    const whom = this._whom(decision);
    if (!whom || this._what(decision.tool, decision.args).includes(whom)) return nothing;
    return html`<span>${this._t("for", { who: whom })}</span>`;
  }

  _subjects(decision) {
    const args = decision.args || {};
    const inner = args.call?.args || {};
    return new Set(
      [decision.subject, decision.person, ...SUBJECT_ARGS.flatMap((key) => [args[key], inner[key]])].filter(Boolean),
    );
  }

  _planner(planner) {
    const kind = String(planner || "").split(":")[0];
    const word = translate(this._lang, `planner_name.${kind}`);
    return word === `planner_name.${kind}` ? planner : word;
  }

  // -- actions -------------------------------------------------------------------------------------

  async _call(service, data, key) {
    this._busy = { ...this._busy, [key]: true };
    try {
      await this.hass.callService("ambient_mesh", service, data);
      this._error = undefined;
    } catch (err) {
      this._error = err?.message || String(err);
    } finally {
      this._busy = { ...this._busy, [key]: false };
    }
  }

  /** Approve, deny, cancel: one service for one item (`key`), labelled by its action, disabled while it runs. */
  _actionButton(action, service, data, key) {
    return html`<button
      class=${action}
      ?disabled=${this._busy[key]}
      @click=${() => this._call(service, data, key)}
    >
      ${this._t(action)}
    </button>`;
  }

  // -- rendering -----------------------------------------------------------------------------------

  render() {
    if (!this._config) return nothing;
    const section = this._config.section;
    // A vehicle's (or person's) own schedules stay out of sight while it has none.
    if (section === "schedules" && this._config.subject && !this._schedulesFor(this._config.subject).length) {
      return nothing;
    }
    const title = this._config.hide_title ? undefined : this._config.title || this._t(`title.${section}`);
    const body = this._data === undefined ? html`<div class="empty">…</div>` : this[`_render_${section}`]();
    return html`<ha-card class=${section}>
      ${title ? html`<h1 class="card-header">${title}</h1>` : nothing}
      <div class="content">
        ${this._error ? html`<div class="error">${this._error}</div>` : nothing} ${body}
      </div>
    </ha-card>`;
  }

  _render_pending() {
    const pending = this._data.pending || [];
    if (!pending.length) return html`<div class="empty">${this._t("empty.pending")}</div>`;
    return html`<ul>
      ${pending.map(
        (request) => html`<li class="request" data-id=${request.id}>
          <div class="what">${this._what(request.tool, request.args)}</div>
          <div class="why">${this._plain(request.why)}</div>
          <div class="meta">
            ${this._forWhom(request)}
            <span>${this._t("by", { planner: this._planner(request.planner) })}</span>
            <span>${this._t("since", { time: this._time(request.time) })}</span>
          </div>
          <div class="actions">
            ${this._actionButton("approve", "approve", { request_id: request.id }, request.id)}
            ${this._actionButton("deny", "deny", { request_id: request.id }, request.id)}
          </div>
        </li>`,
      )}
    </ul>`;
  }

  _render_timeline() {
    // One line per request: a held call and its answer share an id, the answer (newest) tells the outcome.
    const seen = new Set();
    const all = (this._data.decisions || []).filter((d) => !seen.has(d.id) && seen.add(d.id));
    const subject = this._subjectFilter || this._config.subject || "";
    const shown = all
      .filter((d) => this._verdictFilter === "all" || VERDICT_GROUP[d.verdict] === this._verdictFilter)
      .filter((d) => !subject || this._subjects(d).has(subject))
      .slice(0, this._config.limit || 20);
    const names = this._data.names || {};
    return html`<div class="filters">
        ${["all", "acted", "waiting", "refused"].map(
          (group) => html`<button
            class="chip ${this._verdictFilter === group ? "on" : ""}"
            data-filter=${group}
            @click=${() => (this._verdictFilter = group)}
          >
            ${this._t(`filter.${group}`)}
          </button>`,
        )}
        <select
          aria-label=${this._t("filter.everyone")}
          @change=${(ev) => (this._subjectFilter = ev.target.value)}
        >
          <option value="">${this._t("filter.everyone")}</option>
          ${Object.entries(names).map(
            ([id, name]) => html`<option value=${id} ?selected=${id === subject}>${name}</option>`,
          )}
        </select>
      </div>
      ${shown.length
        ? html`<ul>
            ${shown.map((d) => this._renderDecision(d))}
          </ul>`
        : html`<div class="empty">${this._t("empty.timeline")}</div>`}`;
  }

  _renderDecision(d) {
    const situation = d.situation ? this._t(`situation.${d.situation}`) : "";
    // The planner's reason says why; the guard's reason only when it adds something ("allowed" does not).
    const guard = d.reason && d.reason !== "allowed" && d.reason !== d.verdict ? d.reason : "";
    return html`<li class="decision verdict-${d.verdict}" data-id=${d.id}>
      <div class="line">
        <span class="time">${this._time(d.time)}</span>
        <span class="what">${this._what(d.tool, d.args)}</span>
        <span class="badge ${VERDICT_GROUP[d.verdict] || ""}">${this._t(`verdict.${d.verdict}`)}</span>
      </div>
      ${d.why ? html`<div class="why">${this._plain(d.why)}</div>` : nothing}
      <div class="meta">
        ${this._forWhom(d)}
        ${situation ? html`<span>${situation}</span>` : nothing}
        <span>${this._t("by", { planner: this._planner(d.planner) })}</span>
        ${guard ? html`<span class="guard">${this._plain(guard)}</span>` : nothing}
      </div>
    </li>`;
  }

  _schedulesFor(subject) {
    return (this._data?.schedules || []).filter(
      (entry) => !subject || SUBJECT_ARGS.some((key) => entry.args?.[key] === subject),
    );
  }

  _render_schedules() {
    const entries = this._schedulesFor(this._config.subject);
    if (!entries.length) return html`<div class="empty">${this._t("empty.schedules")}</div>`;
    return html`<ul>
      ${entries.map(
        (entry) => html`<li class="schedule" data-id=${entry.id}>
          <div class="line">
            <span class="time">${this._time(entry.at, true)}</span>
            <span class="what">${this._what(entry.tool, entry.args)}</span>
            ${this._actionButton("cancel", "cancel_schedule", { schedule_id: entry.id }, entry.id)}
          </div>
          ${entry.reason ? html`<div class="why">${this._plain(entry.reason)}</div>` : nothing}
        </li>`,
      )}
    </ul>`;
  }

  _render_planner() {
    const p = this._data;
    const none = this._t("planner.none");
    const rows = [
      ["decides", p.active === "llm" ? this._t("planner.llm") : this._t("planner.rules")],
      ["endpoint", p.endpoint || (p.endpoints?.length ? p.endpoints.join(", ") : this._t("planner.no_endpoint"))],
      [
        "prompt",
        p.last_prompt_tokens != null ? this._t("planner.tokens", { n: p.last_prompt_tokens, budget: p.token_budget }) : none,
      ],
      ["latency", p.last_latency_ms != null ? `${p.last_latency_ms} ms` : none],
      ["shadow", p.shadow ? this._t("planner.on") : this._t("planner.off")],
      ["dropped", this._t("planner.dropped_of", { n: p.dropped, total: p.accepted + p.dropped })],
    ];
    if (p.fallbacks) rows.push(["fallbacks", String(p.fallbacks)]);
    if (p.last_error) rows.push(["error", p.last_error]);
    return html`<dl>
      ${rows.map(([key, value]) => html`<dt>${this._t(`planner.${key}`)}</dt><dd class=${key}>${value}</dd>`)}
    </dl>`;
  }

  static styles = css`
    :host {
      display: block;
    }
    ha-card {
      height: 100%;
    }
    .card-header {
      margin: 0;
      padding: 16px 16px 0;
      font-size: 24px;
      font-weight: 400;
      line-height: 32px;
      color: var(--ha-card-header-color, var(--primary-text-color));
    }
    .content {
      padding: 8px 16px 16px;
    }
    ul {
      list-style: none;
      margin: 0;
      padding: 0;
    }
    li {
      padding: 8px 0;
      border-bottom: 1px solid var(--divider-color, #e0e0e0);
    }
    li:last-child {
      border-bottom: none;
    }
    .line {
      display: flex;
      align-items: baseline;
      gap: 8px;
    }
    .time {
      color: var(--secondary-text-color);
      font-variant-numeric: tabular-nums;
      flex: none;
    }
    .what {
      flex: 1;
      font-weight: 500;
    }
    .why {
      margin-top: 2px;
      color: var(--primary-text-color);
    }
    .meta {
      display: flex;
      flex-wrap: wrap;
      gap: 4px 12px;
      margin-top: 2px;
      font-size: 0.85em;
      color: var(--secondary-text-color);
    }
    .badge {
      flex: none;
      font-size: 0.8em;
      padding: 1px 8px;
      border-radius: 10px;
      background: var(--secondary-background-color, #eee);
    }
    .badge.acted {
      background: var(--success-color, #43a047);
      color: #fff;
    }
    .badge.waiting {
      background: var(--warning-color, #ffa600);
      color: #fff;
    }
    .badge.refused {
      background: var(--error-color, #db4437);
      color: #fff;
    }
    .empty {
      color: var(--secondary-text-color);
      padding: 4px 0;
    }
    .error {
      color: var(--error-color, #db4437);
      padding-bottom: 8px;
    }
    .actions {
      display: flex;
      gap: 8px;
      margin-top: 8px;
    }
    button {
      font: inherit;
      cursor: pointer;
      border-radius: 18px;
      padding: 6px 16px;
      border: 1px solid var(--primary-color, #03a9f4);
      background: transparent;
      color: var(--primary-color, #03a9f4);
    }
    button.approve {
      background: var(--primary-color, #03a9f4);
      color: var(--text-primary-color, #fff);
    }
    button.cancel {
      flex: none;
      padding: 2px 12px;
    }
    button[disabled] {
      opacity: 0.5;
      cursor: default;
    }
    .filters {
      display: flex;
      flex-wrap: wrap;
      gap: 6px;
      align-items: center;
      margin-bottom: 4px;
    }
    .chip {
      padding: 2px 12px;
      border-color: var(--divider-color, #ccc);
      color: var(--primary-text-color);
    }
    .chip.on {
      background: var(--primary-color, #03a9f4);
      border-color: var(--primary-color, #03a9f4);
      color: var(--text-primary-color, #fff);
    }
    select {
      font: inherit;
      margin-left: auto;
      padding: 2px 6px;
      border-radius: 6px;
      border: 1px solid var(--divider-color, #ccc);
      background: var(--card-background-color, #fff);
      color: var(--primary-text-color);
    }
    dl {
      display: grid;
      grid-template-columns: max-content 1fr;
      gap: 6px 16px;
      margin: 0;
    }
    dt {
      color: var(--secondary-text-color);
    }
    dd {
      margin: 0;
      overflow-wrap: anywhere;
    }
  `;
}

if (!customElements.get("ambient-mesh-card")) {
  customElements.define("ambient-mesh-card", AmbientMeshCard);
  window.customCards = window.customCards || [];
  window.customCards.push({
    type: "ambient-mesh-card",
    name: "Ambient Mesh",
    description: "Decisions with their reasons, requests to approve, scheduled actions and the planner.",
  });
}
