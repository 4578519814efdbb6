"use strict";
// The pages' only script (the Content-Security-Policy allows no inline one).
document.addEventListener("DOMContentLoaded", () => {
  // A barcode scanner types a code and Enter: in a one-line field Enter moves to the next field
  // instead of sending the form half filled (in a list, Enter starts the next line).
  for (const field of document.querySelectorAll("input[data-scan]")) {
    field.addEventListener("keydown", (event) => {
      if (event.key !== "Enter") {
        return;
      }
      const order = Array.from(field.form.querySelectorAll("input:not([type=hidden]), textarea, button"));
      const next = order[order.indexOf(field) + 1];
      if (next) {
        event.preventDefault();
        next.focus();
      }
    });
  }
  // Charts: the figure is JSON in a data attribute, drawn by the local copy of plotly.js.
  if (window.Plotly) {
    for (const element of document.querySelectorAll("[data-figure]")) {
      const figure = JSON.parse(element.dataset.figure);
      window.Plotly.newPlot(element, figure.data, figure.layout, {displaylogo: false, responsive: true});
    }
  }
  // A plan being made: its progress bar follows the plan's status (polled), and the page is
  // reloaded once the plan is done or failed, to show its comparison or its failure.
  const poll = document.querySelector("progress[data-poll]");
  if (poll) {
    const phase = document.getElementById("plan-phase");
    const follow = () => {
      fetch(poll.dataset.poll, {credentials: "same-origin", headers: {Accept: "application/json"}})
        .then((answer) => (answer.ok ? answer.json() : Promise.reject(answer.status)))
        .then((status) => {
          poll.value = Math.round(100 * status.progress);
          poll.textContent = `${poll.value}%`;
          if (phase) {
            phase.textContent = status.phase;
          }
          if (status.finished) {
            window.location.reload();
          } else {
            window.setTimeout(follow, 1000);
          }
        })
        .catch(() => window.setTimeout(follow, 5000));
    };
    window.setTimeout(follow, 500);
  }
});
