// The outcome figures' plots, drawn with Chart.js (window.Chart): shared by the desk's
// supervisors' dashboard and the self-contained report (`make report` inlines this
// file). draw(figures, canvases, pick) plots the answer of GET /figures/daily (the
// desk's /api/dashboard/figures); clicking a point or bar calls pick({kind, day,
// channel, goal, reason}) with the number's filter, so the page can list its
// conversations, or, on the outreach plots, pick({outreach: {action | rule, group,
// came_back}, start, end}) to list the outreach decisions. No text is ever parsed as HTML.
"use strict";

(function () {
  // Each plotted rate, its label and the conversations behind it (the drill-down's kind).
  const RATES = [
    { key: "goal_completion_rate", label: "Goal completion", kind: "goal_completed", color: "#2f6fbf" },
    { key: "first_contact_resolution_rate", label: "First-contact resolution", kind: "first_contact_resolved", color: "#1f9d55" },
    { key: "containment_rate", label: "Containment", kind: "not_handed_over", color: "#8a5cc2" },
    { key: "handover_rate", label: "Hand-over rate", kind: "handed_over", color: "#d9822b" },
  ];
  const JOURNEY_RATES = RATES.filter((rate) => rate.key !== "containment_rate");
  const CHANNELS = { socketio: "Web chat", twilio: "WhatsApp", twilio_voice: "Phone", email: "E-mail", rest: "API" };
  const charts = [];

  const percent = (value) => (value === null || value === undefined ? null : Math.round(value * 1000) / 10);
  const channelName = (name) => CHANNELS[name] || name;
  const goalName = (name) => name.replace(/_/g, " ");

  function chart(canvas, type, labels, datasets, onPick, yTitle) {
    const made = new window.Chart(canvas, {
      type,
      data: { labels, datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: "nearest", intersect: true },
        scales: { y: { beginAtZero: true, title: { display: Boolean(yTitle), text: yTitle } } },
        onClick: (event, elements) => {
          if (!elements.length || !onPick) return;
          const { datasetIndex, index } = elements[0];
          onPick(datasetIndex, index);
        },
      },
    });
    charts.push(made);
    canvas.dataset.drawn = "true";
    return made;
  }

  function rateSets(rates, rows) {
    return rates.map((rate) => ({
      label: `${rate.label} (%)`,
      data: rows.map((row) => percent(row[rate.key])),
      borderColor: rate.color,
      backgroundColor: rate.color,
    }));
  }

  function draw(figures, canvases, pick) {
    charts.splice(0).forEach((made) => made.destroy());
    const days = figures.days;
    const labels = days.map((day) => day.day);
    const when = (index) => ({ start: days[index].day, end: days[index].day });
    chart(canvases.rates, "line", labels, rateSets(RATES, days.map((day) => day.total)),
      (set, index) => pick({ kind: RATES[set].kind, ...when(index) }), "%");
    chart(canvases.cost, "bar", labels, [{
      label: `Cost per resolution (${figures.currency})`,
      data: days.map((day) => day.total.cost_per_resolution),
      backgroundColor: "#5b7fa6",
    }], (set, index) => pick({ kind: "goal_completed", ...when(index) }), figures.currency);
    const channels = Object.keys(figures.period.by_channel);
    chart(canvases.channels, "bar", channels.map(channelName),
      rateSets(RATES, channels.map((name) => figures.period.by_channel[name])),
      (set, index) => pick({ kind: RATES[set].kind, channel: channels[index] }), "%");
    const goals = Object.keys(figures.period.by_goal);
    chart(canvases.journeys, "bar", goals.map(goalName),
      rateSets(JOURNEY_RATES, goals.map((name) => figures.period.by_goal[name])),
      (set, index) => pick({ kind: JOURNEY_RATES[set].kind, goal: goals[index] }), "%");
    const reasons = Object.entries(figures.period.total.handover_reasons || {});
    chart(canvases.reasons, "bar", reasons.map(([code]) => code.replace(/_/g, " ")), [{
      label: "Hand-overs",
      data: reasons.map(([, count]) => count),
      backgroundColor: "#d9822b",
    }], (set, index) => pick({ kind: "handed_over", reason: reasons[index][0] }), "conversations");
    const bars = funnelBars(figures);
    chart(canvases.funnels, "bar", bars.map((bar) => `${goalName(bar.journey)}: ${bar.index + 1}. ${bar.step.replace(/_/g, " ")}`), [{
      label: "Reached the step (% of those who entered)",
      data: bars.map((bar) => percent(bar.rate)),
      backgroundColor: bars.map((bar) => ["#2f6fbf", "#1f9d55", "#8a5cc2", "#d9822b"][bar.index % 4]),
    }], (set, index) => pick({ kind: "conversations", funnel: bars[index].journey, step: bars[index].step }), "%");
    drawOutreach(figures, canvases, pick);
  }

  // Outreach: per day sent, suppressed and failed (stacked); per rule, the share who
  // came back about it on their own, contacted vs held out (the preventable contacts).
  const ACTIONS = [
    { key: "sent", label: "Sent", color: "#2f6fbf" },
    { key: "suppressed", label: "Suppressed", color: "#d9822b" },
    { key: "failed", label: "Failed", color: "#b83232" },
  ];
  const GROUPS = [
    { key: "contacted", label: "Contacted: came back (%)", color: "#2f6fbf" },
    { key: "held_out", label: "Held out: came back (%)", color: "#8a8f99" },
  ];

  function drawOutreach(figures, canvases, pick) {
    if (!canvases.outreach || !figures.period.outreach) return;
    const days = figures.days;
    const made = chart(canvases.outreach, "bar", days.map((day) => day.day), ACTIONS.map((action) => ({
      label: action.label,
      data: days.map((day) => day.outreach.total[action.key]),
      backgroundColor: action.color,
      stack: "decisions",
    })), (set, index) => pick({ outreach: { action: ACTIONS[set].key }, start: days[index].day, end: days[index].day }), "decisions");
    made.options.scales.x = { stacked: true };
    made.options.scales.y.stacked = true;
    made.update();
    const rules = Object.keys(figures.period.outreach.by_rule);
    chart(canvases.holdout, "bar", rules.map(goalName), GROUPS.map((group) => ({
      label: group.label,
      data: rules.map((rule) => percent(figures.period.outreach.by_rule[rule][`${group.key}_came_back_rate`])),
      backgroundColor: group.color,
    })), (set, index) => pick({ outreach: { rule: rules[index], group: GROUPS[set].key, came_back: true } }), "%");
  }

  // Each journey's funnel: the share of those who entered that reached each step.
  function funnelBars(figures) {
    const bars = [];
    for (const [journey, funnel] of Object.entries(figures.period.funnels || {})) {
      funnel.steps.forEach((step, index) => bars.push({ journey, step: step.step, index, rate: step.rate }));
    }
    return bars;
  }

  window.FigureCharts = { draw, RATES, percent, channelName, goalName };
})();
