// hopt dashboard page. Live: polls api/state every 2 s and swaps the chart images when
// the charts were drawn again. Report: reads the same data from the page itself
// (the JSON block with id "hopt-data") and never asks the network.
// Every value from the store reaches the document through textContent, never as markup.
"use strict";

(function () {
  const POLL_MS = 2000;
  const MAX_ROWS = 1000; // rows shown after filtering and sorting; the count says how many match

  const token = new URLSearchParams(window.location.search).get("token");
  const embedded = document.getElementById("hopt-data");
  const table = { sortKey: "tid", ascending: true };
  let data = null;
  let key = null;
  let shownCharts = null; // the chart_version whose images are shown

  // -- helpers ---------------------------------------------------------------------------
  function url(path, query) {
    const search = new URLSearchParams(query || {});
    if (token !== null) search.set("token", token);
    const text = search.toString();
    return text ? path + "?" + text : path;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function formatValue(value) {
    if (value === null || value === undefined) return "";
    if (Array.isArray(value)) return value.map(formatValue).join(", ");
    if (typeof value === "number") {
      if (Number.isInteger(value)) return String(value);
      return String(Number(value.toPrecision(6)));
    }
    return String(value);
  }

  function setStatus(text, isError) {
    const status = document.getElementById("status");
    status.textContent = text;
    status.classList.toggle("error", Boolean(isError));
  }

  // -- summary -----------------------------------------------------------------------------
  function card(title, className) {
    const node = el("div", "card" + (className ? " " + className : ""));
    node.appendChild(el("h3", "", title));
    return node;
  }

  function definitionList(entries) {
    const list = el("dl");
    for (const [name, value] of entries) {
      list.appendChild(el("dt", "", name));
      list.appendChild(el("dd", "", formatValue(value)));
    }
    return list;
  }

  function renderSummary() {
    const summary = data.summary;
    const cards = [];

    const count = card("Trials");
    const big = el("div", "big", summary.trials);
    big.id = "trial-count";
    count.appendChild(big);
    const states = Object.entries(summary.states).filter(([, n]) => n > 0);
    count.appendChild(el("div", "small", states.map(([s, n]) => n + " " + s).join(" · ")));
    cards.push(count);

    const statuses = card("Results");
    const statusEntries = Object.entries(summary.statuses);
    statuses.appendChild(
      statusEntries.length ? definitionList(statusEntries) : el("div", "small", "none yet"),
    );
    cards.push(statuses);

    const several = summary.objectives !== null && summary.objectives > 1;
    const best = card(several ? "Pareto front" : "Best loss");
    const bestValue = el("div", "big");
    bestValue.id = "best-loss";
    if (several) {
      bestValue.textContent = summary.front_size + " trials";
      best.appendChild(bestValue);
      best.appendChild(el("div", "small", summary.objectives + " objectives"));
    } else if (summary.best) {
      bestValue.textContent = formatValue(summary.best.loss);
      best.appendChild(bestValue);
      best.appendChild(el("div", "small", "trial " + formatValue(summary.best.tid)));
    } else {
      bestValue.textContent = "–";
      best.appendChild(bestValue);
      best.appendChild(el("div", "small", "no trial has finished with a loss yet"));
    }
    cards.push(best);

    if (summary.best) {
      const params = card(several ? "Best on the first loss" : "Best parameters", "wide");
      const entries = Object.entries(summary.best.params);
      if (several) entries.unshift(["losses", summary.best.loss], ["tid", summary.best.tid]);
      params.appendChild(definitionList(entries));
      cards.push(params);
    }
    document.getElementById("summary").replaceChildren(...cards);
  }

  // -- charts -------------------------------------------------------------------------------
  function chartFigure(view) {
    let figure = document.querySelector('figure[data-view="' + view.name + '"]');
    if (figure === null) {
      figure = el("figure", "chart" + (view.name === "slices" ? " wide" : ""));
      figure.dataset.view = view.name;
      figure.appendChild(el("figcaption", "", view.title));
      const image = el("img", "hidden");
      image.alt = view.title + " chart";
      figure.appendChild(image);
      figure.appendChild(el("p", "note"));
      document.getElementById("charts").appendChild(figure);
    }
    return figure;
  }

  function swapImage(figure, source) {
    // Load the new drawing off-page and put it in place once it has arrived, so the old
    // one stays on screen meanwhile.
    const fresh = el("img");
    fresh.alt = figure.querySelector("img").alt;
    fresh.addEventListener("load", function () {
      const current = figure.querySelector("img");
      if (current !== fresh) current.replaceWith(fresh);
    });
    fresh.src = source;
  }

  function renderCharts() {
    const version = data.chart_version;
    const redraw = version !== shownCharts;
    for (const view of data.views) {
      const figure = chartFigure(view);
      const note = figure.querySelector(".note");
      const image = figure.querySelector("img");
      if (!view.ready) {
        note.textContent = "Drawing…";
        continue;
      }
      note.textContent = view.note || "";
      if (!view.has_chart) {
        image.classList.add("hidden");
        image.removeAttribute("src");
        continue;
      }
      if (view.src) {
        image.src = view.src; // a report: the drawing is in the page (a data: URI)
        image.classList.remove("hidden");
      } else if (redraw || !image.getAttribute("src")) {
        swapImage(figure, url("chart/" + view.name + ".svg", { v: version }));
      }
    }
    shownCharts = version;
  }

  // -- trial table ----------------------------------------------------------------------------
  function columns() {
    const cols = [
      { key: "tid", title: "tid", get: (r) => r.tid, num: true },
      { key: "state", title: "state", get: (r) => r.state },
      { key: "status", title: "status", get: (r) => r.status, className: "status" },
    ];
    const count = data.summary.objectives || 1;
    if (count > 1) {
      for (let i = 0; i < count; i += 1) {
        cols.push({
          key: "loss" + i,
          title: "loss " + (i + 1),
          get: (r) => (Array.isArray(r.loss) ? r.loss[i] : null),
          num: true,
        });
      }
    } else {
      cols.push({ key: "loss", title: "loss", get: (r) => r.loss, num: true });
    }
    for (const label of data.labels) {
      cols.push({
        key: "param:" + label,
        title: label,
        hint: "parameter " + label + " (hp.choice: the option's index)",
        get: (r) => (label in r.params ? r.params[label] : null),
        num: true,
      });
    }
    cols.push(
      { key: "duration", title: "seconds", get: (r) => r.duration, num: true },
      { key: "reports", title: "reports", get: (r) => r.reports, num: true },
      { key: "error_type", title: "error", get: (r) => r.error_type },
      { key: "error_message", title: "message", get: (r) => r.error_message },
      { key: "attachments", title: "attachments", get: (r) => r.attachments.join(", ") },
      { key: "owner", title: "worker", get: (r) => r.owner },
    );
    return cols;
  }

  function missing(value) {
    return value === null || value === undefined || value === "";
  }

  function compare(a, b, ascending) {
    // empty cells (a failed trial's loss, an inactive parameter) go last either way
    if (missing(a) || missing(b)) return missing(a) === missing(b) ? 0 : missing(a) ? 1 : -1;
    let order;
    if (typeof a === "number" && typeof b === "number") order = a - b;
    else order = formatValue(a).localeCompare(formatValue(b), undefined, { numeric: true });
    return ascending ? order : -order;
  }

  function renderHeader(cols) {
    const row = el("tr");
    for (const col of cols) {
      const cell = el("th");
      const button = el("button", "", col.title);
      button.type = "button";
      if (col.hint) button.title = col.hint;
      if (col.key === table.sortKey) {
        button.textContent = col.title + (table.ascending ? " ▲" : " ▼");
        cell.setAttribute("aria-sort", table.ascending ? "ascending" : "descending");
      }
      button.addEventListener("click", function () {
        table.ascending = table.sortKey === col.key ? !table.ascending : true;
        table.sortKey = col.key;
        renderTable();
      });
      cell.appendChild(button);
      row.appendChild(cell);
    }
    document.querySelector("#trials thead").replaceChildren(row);
  }

  function updateStatusChoices() {
    const select = document.getElementById("status-filter");
    const wanted = new Set([""]);
    for (const row of data.trials) {
      if (row.status) wanted.add(row.status);
      wanted.add(row.state);
    }
    const present = new Set(Array.from(select.options, (o) => o.value));
    for (const value of wanted) {
      if (!present.has(value)) select.appendChild(el("option", "", value)).value = value;
    }
  }

  function renderTable() {
    const cols = columns();
    renderHeader(cols);
    updateStatusChoices();
    const filter = document.getElementById("filter").value.trim().toLowerCase();
    const status = document.getElementById("status-filter").value;
    const bestTid = data.summary.best ? data.summary.best.tid : null;
    let rows = data.trials.map((r) => ({ trial: r, cells: cols.map((c) => c.get(r)) }));
    if (status) rows = rows.filter((r) => r.trial.status === status || r.trial.state === status);
    if (filter) {
      rows = rows.filter((r) =>
        r.cells.some((v) => formatValue(v).toLowerCase().includes(filter)),
      );
    }
    const index = Math.max(
      0,
      cols.findIndex((c) => c.key === table.sortKey),
    );
    rows.sort((a, b) => compare(a.cells[index], b.cells[index], table.ascending));
    const body = document.createDocumentFragment();
    for (const row of rows.slice(0, MAX_ROWS)) {
      const line = el("tr", "status-" + (row.trial.status || row.trial.state));
      if (row.trial.tid === bestTid) line.classList.add("best");
      line.dataset.tid = formatValue(row.trial.tid);
      cols.forEach((col, i) => {
        const cell = el("td", (col.num ? "num " : "") + (col.className || ""), formatValue(row.cells[i]));
        line.appendChild(cell);
      });
      body.appendChild(line);
    }
    document.querySelector("#trials tbody").replaceChildren(body);
    const shown = Math.min(rows.length, MAX_ROWS);
    document.getElementById("row-count").textContent =
      shown < rows.length
        ? "showing " + shown + " of " + rows.length + " matching trials (narrow the filter)"
        : rows.length + " of " + data.trials.length + " trials";
  }

  // -- the whole page ---------------------------------------------------------------------------
  function apply(next) {
    data = next;
    key = next.key;
    document.getElementById("title").textContent = data.title;
    document.title = "hopt · " + data.title;
    renderSummary();
    renderCharts();
    renderTable();
  }

  function liveStatus() {
    if (data.error) {
      setStatus("Cannot read the store (showing the last read): " + data.error, true);
      return;
    }
    const when = new Date().toLocaleTimeString();
    const drawing = data.drawing ? " · charts follow the trials every few seconds" : "";
    setStatus("Live · " + data.store_kind + " · checked " + when + drawing, false);
  }

  async function poll() {
    try {
      const response = await fetch(url("api/state", key ? { have: key } : {}), {
        cache: "no-store",
      });
      if (!response.ok) {
        throw new Error("the server answered " + response.status + ": " + (await response.text()));
      }
      const next = await response.json();
      if (!next.unchanged) apply(next);
      liveStatus();
    } catch (error) {
      setStatus("Cannot reach the dashboard server: " + error.message, true);
    } finally {
      window.setTimeout(poll, POLL_MS);
    }
  }

  document.getElementById("filter").addEventListener("input", function () {
    if (data) renderTable();
  });
  document.getElementById("status-filter").addEventListener("change", function () {
    if (data) renderTable();
  });

  if (embedded !== null) {
    apply(JSON.parse(embedded.textContent));
    setStatus("Report of a " + data.store_kind + " · read " + data.read_at, false);
  } else {
    poll();
  }
})();
