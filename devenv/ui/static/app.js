// devenv ui: renders what the server pushes (server-sent events); no polling, no framework.
"use strict";
(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const $ = (id) => document.getElementById(id);
  const MAX_LINES = 5000;   // kept in the page, all services
  const MAX_DOM = 500;      // shown at once: a flood never grows the page
  const PER_FRAME = 100;    // new lines drawn per frame
  const PER_SERVICE = 20;   // for the red rows
  let state = null;
  let lines = [];
  const recent = new Map(); // service -> last lines
  let logsDirty = false, rowsDirty = false;

  // The token is in a cookie now: keep it out of the address bar and history.
  if (location.search.includes("token=")) history.replaceState(null, "", location.pathname);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v; else if (k.startsWith("data-")) node.setAttribute(k, v); else node[k] = v;
    }
    for (const c of children) if (c !== null && c !== undefined) node.append(c);
    return node;
  }

  function uptime(started) {
    if (!started) return "";
    const s = Math.max(0, Math.floor((Date.now() - Date.parse(started)) / 1000));
    if (s < 60) return s + "s";
    if (s < 3600) return Math.floor(s / 60) + "m " + (s % 60) + "s";
    if (s < 86400) return Math.floor(s / 3600) + "h " + Math.floor((s % 3600) / 60) + "m";
    return Math.floor(s / 86400) + "d " + Math.floor((s % 86400) / 3600) + "h";
  }

  function stateText(svc) {
    if (svc.state === "exited") return "exited (" + (svc.exit_code ?? "?") + ")";
    return svc.state;
  }

  function actionButton(label, action, inst, svc) {
    const b = el("button", { type: "button", textContent: label, "data-action": action });
    b.addEventListener("click", () => act(action, inst, svc, b));
    return b;
  }

  function serviceRows(inst, svc) {
    const ports = el("td", { class: "ports" });
    svc.urls.forEach((u, i) => {
      if (i) ports.append(" ");
      ports.append(u.startsWith("http://") ? el("a", { href: u, target: "_blank", rel: "noopener noreferrer", textContent: u.replace("http://", "") }) : u);
    });
    const flags = el("td");
    for (const f of svc.security) flags.append(el("span", { class: "flag", textContent: f }), " ");
    const image = el("td", { class: "image", title: svc.digest || "" }, svc.image || "");
    if (svc.digest) image.append(el("br"), el("small", { textContent: svc.digest.replace(/^.*@/, "").slice(0, 19) }));
    const actions = el("td", { class: "actions" });
    if (inst.current) {
      actions.append(actionButton("Restart", "restart", inst.instance, svc.service), " ",
        actionButton("Rebuild", "rebuild", inst.instance, svc.service), " ");
      const env = el("button", { type: "button", textContent: "Env", "data-action": "env" });
      env.addEventListener("click", () => showEnv(svc.service));
      const logs = el("button", { type: "button", textContent: "Logs", "data-action": "logs" });
      logs.addEventListener("click", () => { $("log-service").value = svc.service; renderLogs(true); $("logs").scrollIntoView(); });
      actions.append(env, " ", logs);
    }
    const name = el("td", { class: "name" }, el("strong", { textContent: svc.service }));
    if (svc.include) {
      // From an included stack: which one, and whether it runs as released (a pinned commit, a
      // published stack) or from a local folder (a link or a path: watched, reloaded on save).
      const released = { git: "released (pinned commit)", image: "released (published stack)" }[svc.source];
      name.append(el("br"), el("span", {
        class: "include " + (released ? "released" : "from-source"), "data-include": svc.include, "data-source": svc.source || "",
        title: released ? "runs the include as released: not watched" : "runs from a local checkout (" + svc.source + "): edits reload it",
        textContent: "include " + svc.include + " · " + (released || "from source (" + svc.source + ")"),
      }));
    }
    const row = el("tr", { class: svc.verdict, "data-service": svc.service, "data-instance": inst.instance },
      name,
      el("td", {}, el("span", { class: "pill state", textContent: stateText(svc) })),
      el("td", { class: "health", textContent: svc.health || "—" }),
      image, ports,
      el("td", { class: "uptime", "data-started": svc.started_at, textContent: uptime(svc.started_at) }),
      el("td", { class: "restarts", textContent: String(svc.restarts) }),
      el("td", { class: "cmd", textContent: svc.command.join(" ") }),
      flags, actions);
    const out = [row];
    if (svc.verdict === "bad") {
      const detail = el("td", { colSpan: 10 });
      if (svc.probe) detail.append(el("div", {}, el("strong", { textContent: "last health probe: " })), el("pre", { class: "probe", textContent: svc.probe }));
      if (svc.error) detail.append(el("pre", { textContent: svc.error }));
      const last = inst.current ? (recent.get(svc.service) || []) : [];
      detail.append(el("div", {}, el("strong", { textContent: "last log lines:" })),
        el("pre", { class: "last-lines", textContent: last.length ? last.join("\n") : "(none)" }));
      out.push(el("tr", { class: "detail", "data-detail": svc.service, "data-instance": inst.instance }, detail));
    }
    return out;
  }

  function renderState() {
    rowsDirty = false;
    if (!state) return;
    const box = $("instances");
    const frag = document.createDocumentFragment();
    for (const inst of state.instances) {
      const title = el("h2", {}, "instance " + inst.instance + " ",
        el("small", { textContent: (inst.current ? "this folder" + (inst.source ? " · " + inst.source : "") : "") + " · " + inst.project_dir }));
      const head = el("tr", {}, ...["Service", "State", "Health", "Image", "Ports", "Uptime", "Restarts", "Command", "Flags", ""].map((h) => el("th", { textContent: h })));
      const body = el("tbody");
      for (const svc of inst.services) body.append(...serviceRows(inst, svc));
      frag.append(el("div", { class: "instance", "data-instance": inst.instance }, title, el("table", {}, el("thead", {}, head), body)));
    }
    box.replaceChildren(frag);
    const select = $("log-service"), chosen = select.value;
    const names = (state.instances.find((i) => i.current) || { services: [] }).services.map((s) => s.service);
    select.replaceChildren(el("option", { value: "", textContent: "all" }), ...names.map((n) => el("option", { value: n, textContent: n })));
    select.value = names.includes(chosen) ? chosen : "";
    // When the stack is first on screen (benchmarks/bench_ui.py reads it).
    if (!performance.getEntriesByName("devenv:first-state").length) performance.mark("devenv:first-state");
  }

  let renderedSeq = 0; // the newest line in the pane
  function renderLogs(full) {
    logsDirty = false;
    const pre = $("log-lines");
    const service = $("log-service").value, needle = $("log-search").value.toLowerCase();
    if (full) { pre.replaceChildren(); renderedSeq = 0; }
    // Only what came since the last draw is added (a flood appends, never redraws the pane).
    // A frame draws at most PER_FRAME new lines: in a flood the newest, and a note of how many
    // it passed over (they stay searchable; picking a service or a search redraws from them).
    const limit = full ? MAX_DOM : PER_FRAME;
    const shown = [];
    let skipped = 0;
    for (let i = lines.length - 1; i >= 0; i--) {
      const [seq, svc, text] = lines[i];
      if (seq <= renderedSeq) break;
      if (service && svc !== service) continue;
      if (needle && !text.toLowerCase().includes(needle) && !svc.includes(needle)) continue;
      if (shown.length < limit) shown.push(lines[i]); else if (full) break; else skipped++;
    }
    if (lines.length) renderedSeq = lines[lines.length - 1][0];
    shown.reverse();
    const frag = document.createDocumentFragment();
    if (skipped) frag.append(el("div", { class: "l gap", textContent: "… " + skipped + " lines in between (search or pick a service to see them)" }));
    for (const [, svc, text] of shown) frag.append(el("div", { class: "l" }, el("span", { class: "svc", textContent: svc.padEnd(10) + " | " }), text));
    pre.append(frag);
    const excess = pre.childElementCount - MAX_DOM;
    if (excess > 0) {
      const range = document.createRange();
      range.setStartBefore(pre.firstElementChild);
      range.setEndBefore(pre.children[excess]);
      range.deleteContents();
    }
    if ($("log-follow").checked || full) pre.scrollTop = pre.scrollHeight;
  }

  function schedule() {
    requestAnimationFrame(() => {
      if (rowsDirty) renderState();
      if (logsDirty) renderLogs(false);
    });
  }

  function onLogs(msg) {
    const touched = new Set();
    for (const line of msg.lines) {
      lines.push(line);
      const r = recent.get(line[1]) || [];
      r.push(line[2]);
      if (r.length > PER_SERVICE) r.shift();
      recent.set(line[1], r);
      touched.add(line[1]);
    }
    if (lines.length > MAX_LINES) lines = lines.slice(lines.length - MAX_LINES);
    if (msg.dropped) $("log-dropped").textContent = msg.dropped + " lines skipped (flood)";
    // A red row's last lines change in place: the table is not drawn again for a log line.
    for (const svc of touched) {
      const pre = document.querySelector('div.instance[data-instance="' + (state && state.instance) + '"] tr[data-detail="' + CSS.escape(svc) + '"] pre.last-lines');
      if (pre) pre.textContent = recent.get(svc).join("\n");
    }
    const wasDirty = logsDirty || rowsDirty;
    logsDirty = true;
    if (!wasDirty) schedule();
  }

  // The files that triggered a reload: the first few by name, the rest counted (the journal
  // keeps at most 20 names; a 5,000-file checkout is one reload of 5,000 files).
  const FILES_SHOWN = 3;
  function reloadFiles(r) {
    const paths = r.paths || [];
    const cell = el("td", { class: "files", title: paths.join("\n") + (r.files > paths.length ? "\n…" : "") });
    paths.slice(0, FILES_SHOWN).forEach((p, i) => { if (i) cell.append(el("br")); cell.append(el("code", { textContent: p })); });
    const more = r.files - Math.min(paths.length, FILES_SHOWN);
    if (more > 0) { if (paths.length) cell.append(el("br")); cell.append(el("small", { textContent: (paths.length ? "+ " + more + " more" : r.files + " files") })); }
    return cell;
  }

  let reloads = [];
  function onReloads(msg) {
    reloads = (msg.all ? msg.entries : reloads.concat(msg.entries)).slice(-50);
    const rows = reloads.slice().reverse().map((r) => {
      const when = new Date(r.time * 1000).toLocaleTimeString();
      if (r.kind === "failed") {
        return el("tr", { class: "bad", "data-reload": r.service }, el("td", { textContent: when }),
          el("td", { textContent: r.service }), el("td", { colSpan: 3, class: "problem", textContent: "failed: " + r.message }));
      }
      return el("tr", { class: "ok", "data-reload": r.service }, el("td", { textContent: when }),
        el("td", { textContent: r.service }), el("td", { textContent: r.action }),
        reloadFiles(r), el("td", { class: "ms", textContent: Math.round(r.ms) + " ms" }));
    });
    $("reload-rows").replaceChildren(...(rows.length ? rows : [el("tr", { class: "none" }, el("td", { colSpan: 5, textContent: "no reload yet" }))]));
  }

  function connect() {
    const source = new EventSource("/api/stream");
    source.addEventListener("open", () => { $("link").textContent = "live"; $("link").classList.remove("off"); });
    source.addEventListener("error", () => { $("link").textContent = "reconnecting…"; $("link").classList.add("off"); });
    source.addEventListener("state", (e) => {
      state = JSON.parse(e.data);
      const wasDirty = logsDirty || rowsDirty;
      rowsDirty = true;
      if (!wasDirty) schedule();
    });
    source.addEventListener("logs", (e) => onLogs(JSON.parse(e.data)));
    source.addEventListener("reloads", (e) => onReloads(JSON.parse(e.data)));
    source.addEventListener("notice", (e) => say(JSON.parse(e.data).message, false));
  }

  function say(message, ok) {
    const box = $("result");
    box.textContent = message;
    box.className = ok ? "" : "failed";
    box.hidden = false;
  }

  async function post(body) {
    const answer = await fetch("/api/action", {
      method: "POST", credentials: "same-origin",
      headers: { "content-type": "application/json", "x-csrf-token": csrf },
      body: JSON.stringify(body),
    });
    return answer.json();
  }

  async function act(action, instance, service, button) {
    if (button) button.disabled = true;
    say(action + (service ? " " + service : "") + "…", true);
    try {
      const result = await post({ action, instance, service });
      say(result.message, result.ok);
    } catch (err) {
      say(String(err), false);
    } finally {
      if (button) button.disabled = false;
    }
  }

  async function showEnv(service) {
    const box = $("env");
    box.hidden = false;
    box.replaceChildren(el("h2", { textContent: "Env of " + service + " …" }));
    const answer = await fetch("/api/env/" + encodeURIComponent(service), { credentials: "same-origin" });
    const doc = await answer.json();
    if (doc.error) { box.replaceChildren(el("h2", { textContent: "Env of " + service }), el("p", { class: "problem", textContent: doc.error })); return; }
    const rows = doc.variables.map((v) => el("tr", { "data-key": v.key },
      el("td", {}, el("code", { textContent: v.key })),
      el("td", { class: v.secret ? "secret" : "", textContent: v.value }),
      el("td", { class: "source", textContent: v.source + (v.via ? " (via " + v.via + ")" : "") })));
    const close = el("button", { type: "button", textContent: "Close" });
    close.addEventListener("click", () => { box.hidden = true; });
    box.replaceChildren(
      el("div", { class: "bar" }, el("h2", {}, "Env of " + service + " ", el("small", { textContent: "profile " + doc.profile + " · " + doc.variables.length + " variables" })), close),
      el("table", {}, el("thead", {}, el("tr", {}, ...["Key", "Value", "Source"].map((h) => el("th", { textContent: h })))), el("tbody", {}, ...rows)),
      ...doc.warnings.map((w) => el("p", { class: "problem", textContent: w })));
  }

  async function showDrift() {
    const box = $("drift");
    box.hidden = false;
    box.replaceChildren(el("h2", { textContent: "Drift: checking…" }));
    const answer = await fetch("/api/drift?lock=1", { credentials: "same-origin" });
    const doc = await answer.json();
    const parts = [el("h2", { textContent: "Drift" })];
    const env = doc.env;
    parts.push(el("p", { class: env.ok ? "" : "problem", textContent: "env check: " + (env.error || (env.ok ? "no drift (profiles " + env.profiles.join(", ") + ")" : env.problems.length + " problem(s)")) }));
    for (const p of env.problems) parts.push(el("p", { class: "problem", textContent: p.message + " — fix: " + p.hint }));
    if (doc.lock) {
      const lock = doc.lock;
      parts.push(el("p", { class: lock.ok ? "" : "problem", textContent: "lock --check: " + (lock.error || (!lock.present ? "no devenv.lock" : lock.ok ? "every image matches devenv.lock" : lock.drifts.length + " drifted")) }));
      for (const d of lock.drifts) parts.push(el("p", { class: "problem", textContent: d }));
    }
    box.replaceChildren(...parts);
  }

  $("up").addEventListener("click", (e) => act("up", state && state.instance, null, e.target));
  $("drift-check").addEventListener("click", showDrift);
  $("down").addEventListener("click", () => {
    const instance = state && state.instance;
    $("confirm-text").textContent = "Take instance " + instance + " down? Its containers and network are removed; volumes stay.";
    const dialog = $("confirm");
    dialog.returnValue = "";
    dialog.showModal();
    dialog.addEventListener("close", async function once() {
      dialog.removeEventListener("close", once);
      if (dialog.returnValue !== "ok") return;
      say("down…", true);
      const result = await post({ action: "down", instance, confirm: instance });
      say(result.message, result.ok);
    });
  });
  $("log-service").addEventListener("change", () => renderLogs(true));
  $("log-search").addEventListener("input", () => renderLogs(true));
  setInterval(() => {
    for (const cell of document.querySelectorAll("td.uptime")) cell.textContent = uptime(cell.dataset.started);
  }, 5000);
  // The state as it was when the page was served: drawn before the event stream is open.
  const initial = $("initial-state");
  if (initial) { state = JSON.parse(initial.textContent); renderState(); }
  connect();
})();
