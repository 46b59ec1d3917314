// The organisers' dashboard: fed by server-sent events, in the organiser's language (FR/EN, kept in
// this browser). At a glance first: arrivals against registrations, each door's pace, rooms now
// against their sanitary limits, alerts; then the arrival curve by door; then the breakdowns (country
// names in the organiser's language, sortable); then sessions, kiosks and the downloads.
const $ = id => document.getElementById(id);
// The organiser's choice in this browser, else the first of the browser's languages the page has, else French.
let lang = localStorage.getItem("accueil.dashboard.lang")
  || (navigator.languages || [navigator.language]).map(l => (l || "").slice(0, 2)).find(l => WORDS[l]) || "fr";
if (!WORDS[lang]) lang = "fr";
let T = WORDS[lang], view = null, zone = CONFIG.time_zone;
const locale = () => lang === "fr" ? "fr-FR" : "en-GB";
const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, k) => values[k] ?? "");
const hhmm = iso => iso ? new Date(iso).toLocaleTimeString(locale(), { hour: "2-digit", minute: "2-digit", timeZone: zone }) : "";
const pct = (a, b) => b ? Math.round(100 * a / b) + " %" : "–";
let regions = null;
const countryName = code => { try { return (regions && regions.of(code)) || code; } catch (e) { return code; } };
const roleName = role => (ROLES[role] || {})[lang] || role;
const ago = iso => {
  const s = Math.max(0, Math.round((Date.now() - new Date(iso)) / 1000));
  return fill(T.ago, { t: s < 60 ? s + " s" : s < 3600 ? Math.floor(s / 60) + " min" : Math.floor(s / 3600) + " h " + Math.floor(s % 3600 / 60) + " min" });
};

function applyLanguage() {
  T = WORDS[lang];
  document.documentElement.lang = lang;
  try { regions = new Intl.DisplayNames([locale()], { type: "region" }); } catch (e) { regions = null; }
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = T[el.dataset.t];
  for (const b of document.querySelectorAll("#languages button")) b.setAttribute("aria-pressed", String(b.dataset.lang === lang));
  document.title = (CONFIG.event_name ? CONFIG.event_name + " — " : "") + T.dashboard;
  $("event").textContent = CONFIG.event_name || T.dashboard;
  $("who").textContent = T.signed_in_as + " " + CONFIG.organiser;
  const select = $("certificate-role"); select.innerHTML = "";
  for (const role of ["elected_official", ...Object.keys(ROLES).filter(r => r !== "elected_official"), ""]) {
    const o = document.createElement("option"); o.value = role; o.textContent = role ? roleName(role) : T.all_roles; select.appendChild(o);
  }
  $("certificates").hidden = !CONFIG.names; $("no-certificates").hidden = !!CONFIG.names;
  if (view) render(view);
}
for (const b of document.querySelectorAll("#languages button")) b.onclick = () => {
  lang = b.dataset.lang; localStorage.setItem("accueil.dashboard.lang", lang); applyLanguage();
};

// ---- Tables: `columns` are [key, heading, numeric]; a sortable table sorts on a header's click ----
const sorting = {};
function table(id, columns, rows, sortable) {
  const el = $(id);
  const sort = sorting[id];
  if (sortable && sort) {
    rows = rows.slice().sort((a, b) => {
      const x = a.values[sort.column], y = b.values[sort.column];
      const order = typeof x === "number" ? x - y : String(x).localeCompare(String(y), locale());
      return sort.descending ? -order : order;
    });
  }
  el.innerHTML = "";
  const head = el.createTHead().insertRow();
  columns.forEach(([, heading, numeric], i) => {
    const th = document.createElement("th"); th.scope = "col";
    if (numeric) th.className = "n";
    if (sortable && heading) {
      const b = document.createElement("button"); b.type = "button"; b.textContent = heading;
      b.onclick = () => { const s = sorting[id]; sorting[id] = { column: i, descending: s && s.column === i ? !s.descending : !!numeric }; render(view); };
      th.appendChild(b);
      if (sort && sort.column === i) th.setAttribute("aria-sort", sort.descending ? "descending" : "ascending");
    } else th.textContent = heading;
    head.appendChild(th);
  });
  const body = el.createTBody();
  for (const row of rows) {
    const tr = body.insertRow();
    if (row.cls) tr.className = row.cls;
    row.values.forEach((v, i) => {
      const td = tr.insertCell();
      if (row.html && row.html[i]) td.appendChild(row.html[i]); else td.textContent = typeof v === "number" && columns[i][3] ? columns[i][3](v) : v;
      if (columns[i][2]) td.className = "n";
    });
  }
}
function counts(id, map, label) {
  const rows = Object.entries(map).map(([k, v]) => ({ values: [label(k), v.checked_in, v.registered, v.registered ? v.checked_in / v.registered : 0] }));
  if (!sorting[id]) rows.sort((a, b) => b.values[2] - a.values[2]);
  table(id, [["name", T.name], ["in", T.arrived, true], ["reg", T.registered, true], ["pct", "%", true, r => Math.round(100 * r) + " %"]], rows, true);
}
function bar(ratio) {
  const d = document.createElement("div"); d.className = "bar"; const i = document.createElement("i");
  i.style.width = Math.min(100, Math.round(100 * ratio)) + "%"; if (ratio >= 1) i.style.background = "#b3261e"; else if (ratio >= 0.9) i.style.background = "#a15c00";
  d.appendChild(i); return d;
}

// ---- The arrival curve: cumulative arrivals over time, all doors and each door ----
const palette = ["#1f4e9c", "#c62828", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#8d6e63", "#546e7a"];
function curve(d) {
  const svg = $("chart"), width = svg.clientWidth || 660, height = 220, left = 40, bottom = 24;
  const series = [{ name: T.all_doors, buckets: d.arrivals, colour: "#1d1d1b" }]
    .concat(d.doors.map((door, i) => ({ name: door.name, buckets: door.arrivals, colour: palette[i % palette.length] })));
  const times = d.arrivals.map(b => new Date(b.start).getTime());
  if (!times.length) { svg.innerHTML = `<text x="${left}" y="${height / 2}">${T.no_arrivals}</text>`; $("legend").innerHTML = ""; return; }
  const t0 = Math.min(...times), t1 = Math.max(Date.now(), Math.max(...times) + 300000), total = d.total.checked_in || 1;
  const x = t => left + (width - left - 8) * (t - t0) / Math.max(1, t1 - t0), y = n => height - bottom - (height - bottom - 8) * n / total;
  let out = `<title>${T.arrival_curve}</title><line class="axis" x1="${left}" y1="${height - bottom}" x2="${width}" y2="${height - bottom}"/>`
    + `<line class="axis" x1="${left}" y1="0" x2="${left}" y2="${height - bottom}"/><text x="4" y="14">${total}</text><text x="4" y="${height - bottom}">0</text>`;
  for (let i = 0; i <= 4; i++) {
    const t = t0 + (t1 - t0) * i / 4, anchor = i === 0 ? "start" : i === 4 ? "end" : "middle";
    out += `<text x="${x(t)}" y="${height - 6}" text-anchor="${anchor}">${hhmm(new Date(t).toISOString())}</text>`;
  }
  for (const s of series) {
    let n = 0; const points = [`${x(t0)},${y(0)}`];
    for (const b of s.buckets) { const t = new Date(b.start).getTime(); points.push(`${x(t)},${y(n)}`); n += b.arrivals; points.push(`${x(t + 300000)},${y(n)}`); }
    points.push(`${x(t1)},${y(n)}`);
    out += `<polyline stroke="${s.colour}" points="${points.join(" ")}"><title></title></polyline>`;
  }
  svg.innerHTML = out;
  [...svg.querySelectorAll("polyline title")].forEach((t, i) => { t.textContent = series[i].name; });
  $("legend").innerHTML = "";
  for (const s of series) {
    const span = document.createElement("span"); const i = document.createElement("i"); i.style.background = s.colour;
    span.appendChild(i); span.appendChild(document.createTextNode(s.name)); $("legend").appendChild(span);
  }
}

// An alert in the organiser's language: the page's sentence for its kind (one or several, by its
// count) filled with its values; the server's English sentence for a kind the page does not know.
function alertText(a) {
  const v = Object.assign({}, a.values || {});
  if (lang === "fr" && v.trouble_fr) v.trouble = v.trouble_fr;
  const plural = v.count !== undefined && Number(v.count) !== 1 ? "_other" : "";
  const sentence = T["alert_" + a.kind + plural] || T["alert_" + a.kind];
  if (!sentence || !a.values) return a.message;
  return fill(sentence, v) + (v.note ? " — " + v.note : "");
}

function render(d) {
  view = d; window.__view = d; zone = d.time_zone;
  // For `accueil bench dashboard`: when the first figures were drawn, and each count seen.
  if (window.__drawnAt === undefined) { window.__drawnAt = null; requestAnimationFrame(() => setTimeout(() => { window.__drawnAt = performance.now(); }, 0)); }
  (window.__seen = window.__seen || []).push([d.total.checked_in, Date.now()]);
  $("checked-in").textContent = d.total.checked_in;
  $("registered").textContent = fill(T.of_registered, { n: d.total.registered, p: pct(d.total.checked_in, d.total.registered) });
  $("progress").style.width = pct(d.total.checked_in, d.total.registered).replace(" ", "").replace("–", "0");
  $("share").textContent = fill(T.share, { fr: d.french.checked_in, intl: d.foreign.checked_in, p: pct(d.foreign.checked_in, d.total.checked_in) });
  $("walkins").textContent = fill(T.walkins, { w: d.walk_ins, d: d.duplicates });

  // Queue pressure: each door's pace over the last 10 minutes and its last check-in.
  table("doors", [["door", T.door], ["in", T.arrived, true], ["pace", T.per_minute, true, v => v.toFixed(1)], ["last", T.since_last]],
    d.doors.map(door => ({ values: [door.name, door.checked_in, door.per_minute, door.last_at ? hhmm(door.last_at) + " · " + ago(door.last_at) : ""] })));
  if (!d.doors.length) $("doors").innerHTML = `<tbody><tr><td>${T.no_arrivals}</td></tr></tbody>`;

  // Rooms now: each room's current session, people inside against its limit.
  const now = d.sessions.filter(s => s.current);
  table("rooms", [["room", T.room], ["session", T.session], ["inside", T.inside, true], ["bar", ""]],
    now.map(s => ({ cls: s.level, values: [s.room, s.title, s.capacity ? `${s.inside} / ${s.capacity}` : `${s.inside}`, ""],
      html: [null, null, null, s.capacity ? bar(s.inside / s.capacity) : null] })));
  if (!now.length) $("rooms").innerHTML = `<tbody><tr><td>${T.no_rooms}</td></tr></tbody>`;

  const list = $("alerts"); list.innerHTML = "";
  for (const a of d.alerts) { const li = document.createElement("li"); li.className = a.kind; li.textContent = `${hhmm(a.at)} — ${alertText(a)}`; li.dir = "auto"; list.appendChild(li); }
  if (!d.alerts.length) { const li = document.createElement("li"); li.textContent = T.none; list.appendChild(li); }

  curve(d);
  counts("roles", d.by_role, roleName);
  counts("countries", d.by_country, countryName);
  counts("delegations", d.by_delegation, k => k);
  table("sessions", [["start", T.start], ["session", T.session], ["room", T.room], ["inside", T.inside, true]],
    d.sessions.map(s => ({ cls: s.level, values: [hhmm(s.start), s.title, s.room, s.capacity ? `${s.inside} / ${s.capacity}` : `${s.inside}`] })));
  table("kiosks", [["kiosk", T.kiosk], ["contact", T.contact], ["queue", ""], ["printer", T.printer]],
    d.kiosks.map(k => ({ cls: k.offline ? "offline" : "", values: [k.name,
      k.offline ? fill(T.offline_for, { m: Math.round(k.offline_seconds / 60) }) : T.online + " " + hhmm(k.last_contact),
      k.health ? fill(T.queued, { n: k.health.outbox }) + (k.health.set_aside ? " · ⚠ " + fill(T.refused, { n: k.health.set_aside }) : "") : "",
      k.health ? (k.health.printer_trouble ? "⚠ " + (lang === "fr" && k.printer_trouble_fr || k.health.printer_trouble)
        : "🖨 " + fill(T.waiting, { n: (k.health.print_queue.pending || 0) + (k.health.print_queue.submitted || 0) })) : ""] })));
}

// ---- Downloads: certificates of one attendee, or of a whole role as one PDF ----
async function download(url) {
  $("certificate-error").textContent = "";
  const r = await fetch(url);
  if (!r.ok) { let m = await r.text(); try { m = JSON.parse(m).error.message; } catch (e) {} $("certificate-error").textContent = m; return; }
  const blob = await r.blob(), a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = (r.headers.get("Content-Disposition") || "").match(/filename="([^"]+)"/)?.[1] || "accueil.pdf";
  document.body.appendChild(a); a.click(); a.remove();
  window.__downloaded = (window.__downloaded || []).concat([{ url, type: blob.type, size: blob.size }]);
}
// One attendee's certificate: found by name as at the door (typos, accents, any script) or by id;
// the matches are listed, each a button; Enter takes the only match, or an exact id.
const certificateOf = id => download("/api/v1/reports/certificate/" + encodeURIComponent(id));
let matches = [], searching = 0;
async function findAttendees() {
  const q = $("certificate-id").value.trim(), ticket = ++searching;
  if (!q) { matches = []; $("certificate-matches").innerHTML = ""; return; }
  const r = await fetch("/api/v1/reports/attendees?q=" + encodeURIComponent(q));
  if (ticket !== searching || !r.ok) return;
  matches = await r.json();
  const list = $("certificate-matches"); list.innerHTML = "";
  if (!matches.length) { const li = document.createElement("li"); li.textContent = T.no_match; list.appendChild(li); }
  for (const m of matches) {
    const li = document.createElement("li"), b = document.createElement("button");
    b.type = "button"; b.disabled = !m.arrived; b.onclick = () => certificateOf(m.id);
    const who = document.createElement("bdi"); who.className = "who"; who.textContent = m.name;
    b.appendChild(who);
    if (m.native_name && m.native_name !== m.name) { const n = document.createElement("bdi"); n.textContent = m.native_name; b.append(" (", n, ")"); }
    const meta = document.createElement("span"); meta.className = "meta";
    meta.textContent = " — " + [m.organisation, countryName(m.country), roleName(m.role), m.id].filter(x => x).join(" · ")
      + (m.arrived ? "" : " — " + T.not_arrived);
    b.appendChild(meta); li.appendChild(b); list.appendChild(li);
  }
}
let findTimer = null;
$("certificate-id").oninput = () => { clearTimeout(findTimer); findTimer = setTimeout(findAttendees, 150); };
$("one-certificate").onsubmit = async e => {
  e.preventDefault();
  const q = $("certificate-id").value.trim(); if (!q) return;
  clearTimeout(findTimer); await findAttendees();
  const exact = matches.find(m => m.id.toLowerCase() === q.toLowerCase()), arrived = matches.filter(m => m.arrived);
  if (exact) certificateOf(exact.id);
  else if (arrived.length === 1 && matches.length === 1) certificateOf(arrived[0].id);
  else if (!matches.length) certificateOf(q);  // the server says why (unknown id…)
};
$("role-certificates").onsubmit = e => { e.preventDefault(); const role = $("certificate-role").value; download("/api/v1/reports/certificates.pdf" + (role ? "?role=" + role : "")); };

function connect() {
  const source = new EventSource("/api/v1/dashboard/stream");
  source.onmessage = e => {
    $("live").className = ""; $("live").textContent = "● " + T.live + " " + new Date().toLocaleTimeString(locale(), { timeZone: zone });
    render(JSON.parse(e.data));
  };
  source.onerror = () => { $("live").className = "off"; $("live").textContent = "○ " + T.reconnecting; };
}
applyLanguage();
connect();
