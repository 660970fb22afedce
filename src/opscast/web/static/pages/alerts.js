// Alerts: a thin client of the alerting endpoints. Field names follow the alert history
// API; a few spellings are accepted so the page reads what the server sends.
(function () {
  "use strict";
  const opscast = window.opscast;
  const esc = opscast.esc;
  const pick = (object, ...names) => names.map((n) => object && object[n]).find((v) => v !== undefined && v !== null);
  const items = (data) => (Array.isArray(data) ? data : pick(data, "items", "alerts", "results") || []);
  const when = (value) => (value ? esc(String(value).replace("T", " ").slice(0, 16)) : "");
  const labelsOf = (alert) => pick(alert, "labels") || {};
  const hostOf = (alert) => pick(alert, "host") || labelsOf(alert).host || "";

  function row(alert) {
    const id = pick(alert, "id", "alert_id");
    const state = pick(alert, "state", "status") || "";
    // acknowledging keeps an alert firing (it still notifies); the badge says someone is on it
    const acknowledged = Boolean(pick(alert, "acknowledged_at")) && state !== "resolved";
    const actions = [];
    if (state === "firing" && !acknowledged) actions.push(`<button class="small" data-action="ack" data-id="${esc(id)}">Acknowledge</button>`);
    if (state !== "resolved") actions.push(`<button class="small secondary" data-action="resolve" data-id="${esc(id)}">Resolve</button>`);
    return `<tr data-alert="${esc(id)}">
      <td><a href="/ui/alerts/${encodeURIComponent(id)}">${esc(pick(alert, "rule", "rule_name", "name") || id)}</a><br>
        <span class="muted">${esc(pick(alert, "message", "summary", "description") || "")}</span></td>
      <td>${opscast.badge(pick(alert, "severity") || "info")}</td>
      <td class="state">${opscast.badge(state)}${acknowledged ? ` ${opscast.badge("acknowledged")}` : ""}</td>
      <td>${esc(hostOf(alert))}</td>
      <td class="muted hide-narrow">${when(pick(alert, "fired_at", "started_at", "created_at", "at"))}</td>
      <td><div class="actions">${actions.join("")}</div></td></tr>`;
  }

  function table(list) {
    if (!list.length) return `<p class="empty">No alert matches.</p>`;
    return `<div class="scroll"><table id="alerts"><thead><tr><th>Alert</th><th>Severity</th><th>State</th><th>Host</th>
      <th class="hide-narrow">Since</th><th></th></tr></thead><tbody>${list.map(row).join("")}</tbody></table></div>`;
  }

  async function act(button) {
    button.disabled = true;
    const answer = await opscast.send("POST", `/alerts/${encodeURIComponent(button.dataset.id)}/${button.dataset.action}`, {});
    if (!answer.ok) {
      button.insertAdjacentHTML("afterend", opscast.errorBox(answer.data, answer.status));
      button.disabled = false;
      return;
    }
    // the answer is the alert as it now is: redraw its row from it
    button.closest("tr").outerHTML = row(answer.data);
  }
  document.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (button) act(button);
  });

  // the overview's firing alerts panel
  const firing = document.getElementById("firing-alerts");
  if (firing) {
    opscast.send("GET", firing.dataset.endpoint).then((answer) => {
      firing.innerHTML = answer.ok ? table(items(answer.data)) : opscast.errorBox(answer.data, answer.status);
    });
  }

  const list = document.getElementById("alert-list");
  const filters = document.getElementById("alert-filters");
  async function load() {
    const query = new URLSearchParams();
    new FormData(filters).forEach((value, key) => value && query.set(key, value));
    const answer = await opscast.send("GET", `/alerts?${query}`);
    list.innerHTML = answer.ok ? table(items(answer.data)) : opscast.errorBox(answer.data, answer.status);
  }
  if (list && filters) {
    filters.addEventListener("submit", (event) => {
      event.preventDefault();
      load();
    });
    load();
  }

  const silence = document.getElementById("silence-form");
  if (silence) {
    silence.addEventListener("submit", async (event) => {
      event.preventDefault();
      const labels = {};
      if (silence.host.value) labels.host = silence.host.value;
      if (silence.rule.value) labels.alertname = silence.rule.value; // the rule's label
      const body = { matchers: labels, duration: `${Number(silence.minutes.value)}m`, comment: silence.reason.value };
      const answer = await opscast.send("POST", "/alerts/silences", body);
      document.getElementById("silence-result").innerHTML = answer.ok
        ? `<p class="notice" role="status">Silenced ${esc(JSON.stringify(labels))} for ${esc(silence.minutes.value)} minutes.</p>`
        : opscast.errorBox(answer.data, answer.status);
    });
  }

  const detail = document.getElementById("alert-detail");
  if (detail) {
    const id = detail.dataset.alertId;
    opscast.send("GET", `/alerts/${encodeURIComponent(id)}`).then((answer) => {
      if (!answer.ok) {
        detail.innerHTML = opscast.errorBox(answer.data, answer.status);
        return;
      }
      const alert = answer.data;
      const facts = Object.entries(alert)
        .filter(([, value]) => value !== null && typeof value !== "object")
        .map(([key, value]) => `<dt>${esc(key.replace(/_/g, " "))}</dt><dd>${esc(value)}</dd>`)
        .join("");
      const labels = Object.entries(labelsOf(alert)).map(([k, v]) => `<code>${esc(k)}=${esc(v)}</code>`).join(" ");
      detail.innerHTML = `<table><tbody>${row(alert)}</tbody></table>
        <dl class="facts" style="margin-top:.8rem">${facts}${labels ? `<dt>labels</dt><dd>${labels}</dd>` : ""}</dl>`;
    });
  }
})();
