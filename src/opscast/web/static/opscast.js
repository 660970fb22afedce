// Shared behaviour of the dashboard: charts, JSON forms over htmx, small renderers.
// Plain script, no build step: htmx and plotly.js are loaded before it (defer keeps order).
(function () {
  "use strict";
  const opscast = (window.opscast = window.opscast || {});
  const escapes = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  const esc = (value) => String(value ?? "").replace(/[&<>"']/g, (c) => escapes[c]);
  opscast.esc = esc;
  opscast.renderers = opscast.renderers || {};

  opscast.number = function (value, digits) {
    if (value === null || value === undefined || Number.isNaN(Number(value))) return "–";
    const n = Number(value);
    return Math.abs(n) >= 1000 ? Math.round(n).toLocaleString("en") : n.toFixed(digits ?? 2);
  };
  opscast.json = (data) => `<pre class="json">${esc(JSON.stringify(data, null, 2))}</pre>`;
  opscast.errorBox = function (data, status) {
    const message = (data && (data.message || data.detail)) || `request failed (${status})`;
    const text = typeof message === "string" ? message : JSON.stringify(message);
    return `<div class="notice error" role="alert">${esc(text)}</div>`;
  };
  opscast.badge = (value) => `<span class="badge ${esc(value)}">${esc(String(value).replace("_", " "))}</span>`;

  // ---- charts: a [data-figure] element names a <script type="application/json"> holding the figure
  const plotConfig = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["select2d", "lasso2d"] };
  const baseLayout = {
    margin: { l: 55, r: 15, t: 25, b: 40 },
    legend: { orientation: "h", y: -0.18 },
    hovermode: "x unified",
    paper_bgcolor: "#fff",
    plot_bgcolor: "#fff",
    font: { family: "system-ui, sans-serif", size: 12, color: "#1d2430" },
    xaxis: { gridcolor: "#eef1f5" },
    yaxis: { gridcolor: "#eef1f5", zeroline: false },
  };
  opscast.plot = function (element, figure) {
    if (!window.Plotly || !element) return;
    const layout = Object.assign({}, baseLayout, figure.layout || {});
    window.Plotly.react(element, figure.data, layout, plotConfig).then(() => {
      element.dataset.drawn = "true";
    });
  };
  function drawFigures(root) {
    const scope = root && root.querySelectorAll ? root : document;
    const elements = scope.matches && scope.matches("[data-figure]") ? [scope] : [];
    elements.push(...scope.querySelectorAll("[data-figure]"));
    elements.forEach((el) => {
      const source = document.getElementById(el.dataset.figure);
      if (source) opscast.plot(el, JSON.parse(source.textContent));
    });
  }
  opscast.drawFigures = drawFigures;

  // ---- JSON endpoints from htmx: hx-ext="json" sends the form as JSON and renders the reply
  function encode(parameters, elt) {
    const form = elt.closest("form") || elt;
    const body = {};
    parameters.forEach((value, key) => {
      if (value === "") return;
      const input = form.querySelector(`[name="${CSS.escape(key)}"]`);
      if (input && input.dataset.json === "list") body[key] = value.split(",").map((v) => v.trim()).filter(Boolean);
      else if (input && (input.type === "number" || input.dataset.json === "number")) body[key] = Number(value);
      else if (input && input.dataset.json === "raw") body[key] = JSON.parse(value);
      else body[key] = value;
    });
    return JSON.stringify(body);
  }
  function defineExtension() {
    if (!window.htmx) return;
    window.htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[2345]..", swap: true, error: false },
    ];
    window.htmx.defineExtension("json", {
      onEvent(name, event) {
        if (name === "htmx:configRequest") event.detail.headers["Content-Type"] = "application/json";
        return true;
      },
      encodeParameters(xhr, parameters, elt) {
        xhr.overrideMimeType("text/json");
        return encode(parameters, elt);
      },
      transformResponse(text, xhr, elt) {
        let data = null;
        try {
          data = text ? JSON.parse(text) : null;
        } catch (error) {
          return esc(text);
        }
        if (xhr.status >= 400) return opscast.errorBox(data, xhr.status);
        const holder = elt.closest("[data-render]");
        const render = holder && opscast.renderers[holder.dataset.render];
        return render ? render(data, elt) : opscast.json(data);
      },
    });
  }
  defineExtension();

  // ---- fetch for the thin-client pages
  opscast.send = async function (method, url, body) {
    const options = { method, headers: { Accept: "application/json" } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const reply = await fetch(url, options);
    const text = await reply.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (error) {
      data = { message: text };
    }
    return { ok: reply.ok, status: reply.status, data };
  };

  // ---- renderers shared by several pages
  opscast.renderers.analysis = function (data) {
    if (!data) return "";
    const keywords = (data.matched_keywords || []).map(esc).join(", ");
    return `<dl class="facts">
      <dt>Classification</dt><dd>${opscast.badge(data.predicted_classification)}
        <span class="muted">${Math.round((data.confidence || 0) * 100)}% · ${esc(data.method)}</span></dd>
      <dt>Priority</dt><dd>${opscast.badge(data.predicted_priority)}
        <span class="muted">ITIL P${esc(data.itil_priority)} · impact ${esc(data.impact)} · urgency ${esc(data.urgency)}</span></dd>
      ${keywords ? `<dt>Keywords</dt><dd>${keywords}</dd>` : ""}
      ${(data.priority_reasons || []).length ? `<dt>Why</dt><dd>${data.priority_reasons.map(esc).join("; ")}</dd>` : ""}
    </dl>`;
  };
  opscast.renderers["ticket-created"] = function (data) {
    if (window.htmx) window.htmx.trigger(document.body, "tickets-changed");
    return `<p class="notice" role="status">Ticket <a href="/ui/tickets/${esc(data.id)}">#${esc(data.id)}</a> opened:
      ${opscast.badge(data.classification)} ${opscast.badge(data.priority)}</p>`;
  };
  opscast.renderers.feedback = function (data, elt) {
    const dismissed = elt && elt.textContent.trim() === "Dismiss";
    return `<span class="badge ${dismissed ? "" : "ok"}">${dismissed ? "dismissed" : "confirmed"}</span>`;
  };
  opscast.renderers.retrain = function (data) {
    if (window.htmx) window.htmx.trigger(document.body, "jobs-changed");
    return `<p class="notice" role="status">${esc(data.message)}</p>`;
  };
  opscast.renderers.reload = function () {
    window.location.reload();
    return `<span class="muted">Done, reloading…</span>`;
  };

  // time-to-failure countdowns tick while the estimated failure is still ahead of the clock
  function tick() {
    document.querySelectorAll("[data-failure-at]").forEach((el) => {
      const left = Date.parse(el.dataset.failureAt) - Date.now();
      if (!(left > 0)) return;
      const minutes = Math.floor(left / 60000);
      const [d, h, m, s] = [Math.floor(minutes / 1440), Math.floor(minutes / 60) % 24, minutes % 60, Math.floor(left / 1000) % 60];
      el.textContent = `${d ? `${d} d ` : ""}${h} h ${String(m).padStart(2, "0")} m ${String(s).padStart(2, "0")} s`;
      el.title = "counting down to the estimated failure";
    });
  }
  setInterval(tick, 1000);

  document.addEventListener("DOMContentLoaded", () => {
    drawFigures(document);
    tick();
  });
  document.addEventListener("htmx:afterSettle", (event) => drawFigures(event.target));
})();
