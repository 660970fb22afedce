// Scaling: traffic drawn from the page; the policies' simulation from POST /scaling/simulate.
(function () {
  "use strict";
  const opscast = window.opscast;
  const esc = opscast.esc;
  const source = document.getElementById("scaling-traffic");
  if (!source) return;
  const traffic = JSON.parse(source.textContent);
  const marked = (flag) => traffic.ds.filter((_, i) => traffic[flag] && traffic[flag][i]);
  const markedY = (flag) => traffic.y.filter((_, i) => traffic[flag] && traffic[flag][i]);
  const traces = [{ type: "scatter", mode: "lines", name: "requests", x: traffic.ds, y: traffic.y, line: { color: "#2f6fde", width: 1.4 } }];
  if (traffic.is_burst) traces.push({ type: "scatter", mode: "markers", name: "burst", x: marked("is_burst"), y: markedY("is_burst"), marker: { color: "#c62828", size: 6 } });
  if (traffic.is_event) traces.push({ type: "scatter", mode: "markers", name: "event", x: marked("is_event"), y: markedY("is_event"), marker: { color: "#6a3bb5", size: 7, symbol: "diamond" } });
  opscast.plot(document.getElementById("traffic-chart"), { data: traces, layout: { height: 320, yaxis: { title: { text: "requests per step" } } } });

  const form = document.getElementById("simulate-form");
  if (!form) return;
  const colors = { reactive: "#c62828", hpa: "#c62828", predictive: "#2f6fde", oracle: "#1a7f4b" };
  const pick = (object, ...names) => names.map((n) => object && object[n]).find((v) => v !== undefined && v !== null);
  function policies(data) {
    const found = pick(data, "policies", "results") || data;
    if (Array.isArray(found)) return found.map((p) => [pick(p, "policy", "name") || "?", p]);
    return Object.entries(found || {}).filter(([, p]) => p && typeof p === "object" && !Array.isArray(p));
  }
  function replicasOf(policy) {
    const series = pick(policy, "replicas", "timeline", "schedule") || [];
    if (!Array.isArray(series)) return { x: [], y: [] };
    if (series.length && typeof series[0] === "object") {
      return { x: series.map((p) => p.ds), y: series.map((p) => pick(p, "replicas", "y")) };
    }
    return { x: traffic.ds.slice(0, series.length), y: series };
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { timeframe: traffic.timeframe, data: traffic.ds.map((ds, i) => {
      const point = { ds, y: traffic.y[i] };
      if (traffic.is_burst) point.is_burst = Boolean(traffic.is_burst[i]);
      if (traffic.is_event) point.is_event = Boolean(traffic.is_event[i]);
      return point;
    }) };
    new FormData(form).forEach((value, key) => { if (value !== "") body[key] = Number(value); });
    const status = document.getElementById("simulate-status");
    status.textContent = "simulating…";
    const answer = await opscast.send("POST", "/scaling/simulate", body);
    const table = document.getElementById("cost-table");
    if (!answer.ok) {
      status.textContent = "";
      table.innerHTML = opscast.errorBox(answer.data, answer.status);
      return;
    }
    status.textContent = "done";
    const rows = policies(answer.data);
    const chart = document.getElementById("replicas-chart");
    chart.hidden = false;
    opscast.plot(chart, {
      data: rows.map(([name, policy]) => {
        const line = replicasOf(policy);
        return { type: "scatter", mode: "lines", name, x: line.x, y: line.y, line: { shape: "hv", width: 1.8, color: colors[name] } };
      }),
      layout: { height: 320, yaxis: { title: { text: "replicas" } } },
    });
    const number = opscast.number;
    table.innerHTML = `<div class="scroll"><table id="policy-costs"><thead><tr><th>Policy</th><th class="num">Replica-hours</th><th class="num">Cost</th>
      <th class="num">Unserved requests</th><th class="num">SLA-violation minutes</th><th class="num">Savings</th></tr></thead><tbody>
      ${rows.map(([name, p]) => `<tr><td>${esc(name)}</td><td class="num">${number(pick(p, "replica_hours"))}</td><td class="num">${number(pick(p, "cost"))}</td>
        <td class="num">${number(pick(p, "unserved_requests", "unserved"), 0)}</td><td class="num">${number(pick(p, "sla_violation_minutes"), 0)}</td>
        <td class="num">${number(pick(p, "savings", "savings_vs_reactive"))}</td></tr>`).join("")}
      </tbody></table></div>`;
  });
})();
