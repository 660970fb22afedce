// Forecasts page: the data picker shows the choices of the chosen source, and the API demo
// sends its JSON to the traffic forecasting endpoints.
(function () {
  "use strict";
  const opscast = window.opscast;
  const source = document.getElementById("source");
  function showSource() {
    document.querySelectorAll("[data-source]").forEach((label) => {
      const active = label.dataset.source === source.value;
      label.hidden = !active;
      label.querySelectorAll("select").forEach((select) => (select.disabled = !active));
    });
  }
  if (source) {
    source.addEventListener("change", showSource);
    showSource();
  }

  const form = document.getElementById("api-demo");
  if (!form) return;
  const status = document.getElementById("api-demo-status");
  const reply = document.getElementById("api-demo-reply");
  const chart = document.getElementById("api-demo-chart");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let body;
    try {
      body = JSON.parse(form.body.value);
    } catch (error) {
      reply.innerHTML = opscast.errorBox({ message: `the body is not valid JSON: ${error.message}` });
      return;
    }
    status.textContent = "sending…";
    const started = performance.now();
    const answer = await opscast.send("POST", form.endpoint.value, body);
    status.textContent = `${answer.status} in ${Math.round(performance.now() - started)} ms`;
    reply.innerHTML = (answer.ok ? "" : opscast.errorBox(answer.data, answer.status)) + opscast.json(answer.data);
    const predictions = answer.ok && answer.data && (answer.data.predictions || answer.data.points);
    if (predictions && Array.isArray(body.data)) {
      chart.hidden = false;
      const traces = [
        { type: "scatter", mode: "lines", name: "posted", x: body.data.map((p) => p.ds), y: body.data.map((p) => p.y), line: { color: "#6b7480" } },
      ];
      if (answer.data.predictions) {
        traces.push({ type: "scatter", mode: "lines+markers", name: "predicted", x: predictions.map((p) => p.ds), y: predictions.map((p) => p.y), line: { color: "#e8710a" } });
      } else {
        traces.push({ type: "scatter", mode: "lines", name: "backtest", x: predictions.map((p) => p.ds), y: predictions.map((p) => p.predicted), line: { color: "#1a7f4b", dash: "dot" } });
      }
      opscast.plot(chart, { data: traces, layout: { height: 260 } });
    }
  });
})();
