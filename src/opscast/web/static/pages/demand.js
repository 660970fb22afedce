// Demand: actual sales drawn from the page, predictions fetched from POST /predict.
(function () {
  "use strict";
  const opscast = window.opscast;
  const chart = document.getElementById("demand-chart");
  if (!chart) return;
  const actual = JSON.parse(document.getElementById("demand-actual").textContent);
  const status = document.getElementById("demand-status");
  const traces = [{ type: "scatter", mode: "lines", name: "actual", x: actual.ds, y: actual.y, line: { color: "#2f6fde", width: 1.6 } }];
  const layout = { height: 360, yaxis: { title: { text: "units sold" } } };
  opscast.plot(chart, { data: traces, layout });

  const valueOf = (p) => [p.predicted_sales, p.prediction, p.predicted, p.sales, p.y].find((v) => typeof v === "number");
  const listOf = (data) => (Array.isArray(data) ? data : data && (data.predictions || data.results || data.items)) || (data ? [data] : []);
  const day = (value) => String(value).slice(0, 10);
  function addDays(text, days) {
    const date = new Date(`${text}T00:00:00Z`);
    date.setUTCDate(date.getUTCDate() + days);
    return date.toISOString().slice(0, 10);
  }
  async function predict(dates) {
    const store = Number(chart.dataset.store);
    const item = Number(chart.dataset.item);
    const answer = await opscast.send("POST", "/predict", dates.map((date) => ({ store, item, date })));
    if (!answer.ok) return { error: answer };
    const answers = listOf(answer.data);
    // a list is answered with a list: the version is on every row
    return { points: answers.map((p) => ({ x: day(p.date || p.ds), y: valueOf(p) })), version: answers.length ? answers[0].model_version : undefined };
  }
  async function overlay() {
    if (chart.dataset.predict !== "yes" || !actual.ds.length) return;
    status.textContent = "asking the demand model…";
    const last = actual.ds[actual.ds.length - 1];
    const past = actual.ds.slice(-28);
    const future = Array.from({ length: 28 }, (_, i) => addDays(last, i + 1));
    const [before, after] = await Promise.all([predict(past), predict(future)]);
    const notes = [];
    for (const [result, name, color] of [[before, "predicted (held out)", "#1a7f4b"], [after, "predicted (ahead)", "#e8710a"]]) {
      if (result.points) {
        traces.push({ type: "scatter", mode: "lines", name, x: result.points.map((p) => p.x), y: result.points.map((p) => p.y), line: { color, width: 2, dash: "dot" } });
        if (result.version && !notes.includes(`model ${result.version}`)) notes.push(`model ${result.version}`);
      } else {
        notes.push(`${name}: ${result.error.data && result.error.data.message ? result.error.data.message : result.error.status}`);
      }
    }
    opscast.plot(chart, { data: traces, layout });
    status.textContent = notes.join(" · ");
  }
  overlay();

  const form = document.getElementById("predict-form");
  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = { store: Number(form.store.value), item: Number(form.item.value), date: form.date.value };
      const answer = await opscast.send("POST", "/predict", body);
      document.getElementById("predict-reply").innerHTML =
        (answer.ok ? "" : opscast.errorBox(answer.data, answer.status)) + opscast.json(answer.data);
    });
  }
})();
