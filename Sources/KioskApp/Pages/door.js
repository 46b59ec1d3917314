// The door screen: a tool for speed at the entrance. The search field is always ready for the next
// person; everything works from the keyboard (type, ↓/↑, Enter checks in and prints, Esc clears,
// F2 reprint, F9 undo, F4 walk-in); a scan checks in (with `scan: checkin`) or opens the card; each
// outcome covers the screen in its colour and clears itself; only the actions that fit the
// attendee's state are offered; reasons are picked from a short list in the page.
const $ = id => document.getElementById(id);
const locale = CONFIG.language === "fr" ? "fr-FR" : "en-GB";
const hhmm = iso => iso ? new Date(iso).toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit", timeZone: CONFIG.time_zone }) : "";
const regions = (() => { try { return new Intl.DisplayNames([locale], { type: "region" }); } catch (e) { return null; } })();
/// A country's name in the kiosk's language ("LB" → "Liban"), the code when the browser has none.
const countryName = code => { try { return (code && regions && regions.of(code)) || code || ""; } catch (e) { return code; } };
const printing = CONFIG.printing === "yes";
for (const el of document.querySelectorAll("[data-t]")) el.textContent = T[el.dataset.t];
$("q").placeholder = T.search_placeholder;
$("clear").textContent = "✕"; $("clear").setAttribute("aria-label", T.clear_search); $("clear").title = T.clear_search + " (Esc)";
$("checkin").textContent = printing ? T.checkin_print : T.checkin_only;
$("reprint").textContent = T.reprint; $("undo").textContent = T.undo;
$("walkin").textContent = T.walkin; $("lock").textContent = T.lock;
$("lock").hidden = CONFIG.mode !== "self-service";
$("walkok").textContent = printing ? T.register_print : T.register_only;
$("keys").innerHTML = [["↑ ↓", T.key_choose], [T.key_enter, printing ? T.checkin_print : T.checkin_only], ["Esc", T.key_clear],
  ["F2", T.reprint], ["F9", T.undo], ["F4", T.walkin.replace(/^\+ */, "")]]
  .map(([k, what]) => `<kbd>${k}</kbd> ${what}`).join(" · ");
const roleLabel = role => (ROLES[role] || {})[CONFIG.language] || role;
const roleColour = role => (ROLES[role] || {}).color || "#888";
for (const role of Object.keys(ROLES)) {
  const o = document.createElement("option"); o.value = role; o.textContent = roleLabel(role);
  if (role === "participant") o.selected = true;
  document.querySelector("#walkform select[name=role]").appendChild(o);
}
// Country names in the page's language, for the walk-in form's list and back to their codes.
const countryCodes = new Map();
if (regions) {
  const list = $("countries");
  for (let a = 65; a < 91; a++) for (let b = 65; b < 91; b++) {
    const code = String.fromCharCode(a, b), name = regions.of(code);
    if (name && name !== code) { countryCodes.set(name, code); const o = document.createElement("option"); o.value = name; list.appendChild(o); }
  }
}

// Keystroke-to-results times (ms), read by `accueil bench kiosk`; outcome times read by the volunteer bench.
window.__timings = [];
window.__outcomes = [];
// The last outcomes shown, in words: a green one clears itself after 2.5 s, sooner than a loaded
// test machine may look (the browser tests read this when the box has gone).
window.__shown = [];
let current = null, asked = 0, results = [], selected = -1, resultTimer = 0, shownQuery = "";
async function api(path, body) {
  const r = await fetch(path, body ? { method:"POST", headers:{"Content-Type":"application/json"}, body:JSON.stringify(body) } : {});
  const text = await r.text();
  if (!r.ok) throw new Error(errorText(text) || r.statusText);
  return text ? JSON.parse(text) : {};
}
function line(a) {
  return [a.title, a.organisation, countryName(a.country), a.delegation,
    a.language && ("🗣 " + T.language + " : " + a.language)].filter(Boolean).join(" · ");
}
const displayName = a => a.last_name.toUpperCase() + " " + a.first_name;
const arrival = a => a.checked_in ? `${T.checked_in_at} ${hhmm(a.checked_in_at)} · ${a.checked_in_kiosk}` : "";

// ---- Search and the list of results ----
/// `e`: the keystroke (a new query: its first result is chosen); none: a refresh after an action
/// (the attendee on the card stays chosen).
async function search(e) {
  const started = e && e.timeStamp ? e.timeStamp : performance.now();
  const q = $("q").value, n = ++asked;
  $("clear").hidden = !q;
  if (!q.trim()) { results = []; selected = -1; shownQuery = q; $("results").innerHTML = ""; return; }
  // A scanner typing a code (a badge's "AC1:…", Indico's JSON, a long token): no name to look up.
  // Each of its 30 to 300 characters would ask the kiosk, and on a busy station the scan itself
  // would wait behind those searches. Enter sends it as a code (`enter`, `looksLikeCode`).
  if (beingScanned(q) && e && e.type === "input") return;
  const answer = await api("/api/v1/search?limit=30&q=" + encodeURIComponent(q));
  if (n !== asked) return;               // a newer keystroke already asked
  // Among equally good matches, people not yet here first: at the door the one arriving is rarely in.
  results = answer.results.map((a, i) => [a, i])
    .sort(([a, i], [b, j]) => (b.score ?? 0) - (a.score ?? 0) || (a.checked_in ? 1 : 0) - (b.checked_in ? 1 : 0) || i - j)
    .map(([a]) => a);
  // A new query chooses its first result; a refresh after an action keeps the attendee on the card.
  const keep = !e && current ? results.findIndex(a => a.id === current.id) : -1;
  selected = results.length ? Math.max(keep, 0) : -1;
  shownQuery = q;
  $("results").innerHTML = "";
  results.forEach((a, i) => {
    const li = document.createElement("li");
    li.style.setProperty("--role", roleColour(a.role));
    li.className = a.checked_in ? "in" : "";
    li.dataset.id = a.id; li.id = "r" + i;
    li.setAttribute("role", "option");
    li.innerHTML = `<div><div class="name" dir="auto"></div><div class="native" dir="auto"></div><div class="meta" dir="auto"></div></div><div class="state"></div>`;
    li.querySelector(".name").textContent = displayName(a);
    li.querySelector(".native").textContent = a.native_name;
    li.querySelector(".meta").textContent = roleLabel(a.role) + " · " + line(a);
    const state = li.querySelector(".state");
    state.textContent = a.pending ? T.pending_short : a.checked_in ? "✓ " + hhmm(a.checked_in_at) : "";
    if (a.pending) state.className = "state pending";
    li.onclick = () => { select(i); show(a); $("q").focus(); };
    $("results").appendChild(li);
  });
  if (!results.length) { const li = document.createElement("li"); li.textContent = T.no_results; $("results").appendChild(li); }
  markSelected();
  if (selected >= 0) show(results[selected]);
  if (e) requestAnimationFrame(() => setTimeout(() => {
    window.__painted = { q, ms: performance.now() - started };
    window.__timings.push(performance.now() - started);
    if (window.__timings.length > 5000) window.__timings.shift();
  }, 0));
}
function markSelected() {
  for (const li of $("results").children) li.setAttribute("aria-selected", li.id === "r" + selected ? "true" : "false");
  const li = $("r" + selected);
  if (li) { li.scrollIntoView({ block: "nearest" }); $("q").setAttribute("aria-activedescendant", li.id); }
  else $("q").removeAttribute("aria-activedescendant");
}
function select(i) { selected = i; markSelected(); }
function move(step) {
  if (!results.length) return;
  select(Math.max(0, Math.min(results.length - 1, selected + step)));
  show(results[selected]);
}
/// Ready for the next person: an empty search field with the focus.
function next() {
  $("q").value = ""; $("clear").hidden = true; results = []; selected = -1; $("results").innerHTML = ""; asked++;
  $("q").focus();
}

// ---- The attendee's card: only the actions that fit their state ----
function show(a, message, tone) {
  current = a;
  $("card").hidden = false;
  $("card").style.setProperty("--role", roleColour(a.role));
  $("role").textContent = roleLabel(a.role);
  $("name").textContent = displayName(a);
  $("native").textContent = a.native_name;
  $("details").textContent = line(a);
  $("state").textContent = a.pending ? T.registration_pending : a.checked_in ? "✓ " + arrival(a) : T.not_arrived;
  $("state").className = a.pending ? "bad" : a.checked_in ? "in" : "";
  $("vip").hidden = !a.vip;
  $("vip").textContent = a.vip ? "⚠ " + a.vip : "";
  $("checkin").hidden = !!(a.checked_in || a.pending);
  $("reprint").hidden = !a.checked_in || !printing;
  $("undo").hidden = !a.checked_in;
  $("message").textContent = message || "";
  $("message").className = tone || "";
}

// ---- The outcome, over the whole screen ----
let soundOn = localStorage.getItem("accueil.sound") === "on", audio = null;
function paintSound() { $("sound").textContent = "♪ " + T.sound + " : " + (soundOn ? T.sound_on : T.sound_off); $("sound").setAttribute("aria-pressed", String(soundOn)); }
$("sound").onclick = () => { soundOn = !soundOn; localStorage.setItem("accueil.sound", soundOn ? "on" : "off"); paintSound(); $("q").focus(); };
paintSound();
function beep(tone) {
  if (!soundOn) return;
  try {
    audio = audio || new AudioContext();
    const notes = tone === "ok" ? [880] : tone === "warn" ? [660, 660] : [220, 180];
    notes.forEach((f, i) => {
      const o = audio.createOscillator(), g = audio.createGain();
      o.frequency.value = f; o.connect(g); g.connect(audio.destination);
      const t = audio.currentTime + i * 0.18;
      g.gain.setValueAtTime(0.25, t); g.gain.exponentialRampToValueAtTime(0.001, t + 0.15);
      o.start(t); o.stop(t + 0.16);
    });
  } catch (e) { /* no audio device: silent */ }
}
/// `tone`: ok (green), warn (amber), bad (red). Clears itself (green sooner), on a key or a touch.
function outcome(tone, title, a, detail, started) {
  clearTimeout(resultTimer);
  const box = $("result");
  box.className = tone; box.hidden = false;
  $("rmark").textContent = tone === "ok" ? "✓" : tone === "warn" ? "!" : "✗";
  $("rtitle").textContent = title.replace(/^✓\s*/, "");
  $("rname").textContent = a ? displayName(a) : "";
  $("rnative").textContent = a && a.native_name ? a.native_name : "";
  $("rrole").textContent = a ? roleLabel(a.role) : "";
  $("rdetail").textContent = detail || "";
  $("rhint").textContent = T.result_hint;
  window.__shown.push({ tone, rtitle: $("rtitle").textContent, rname: $("rname").textContent,
    rnative: $("rnative").textContent, rdetail: $("rdetail").textContent });
  if (window.__shown.length > 100) window.__shown.shift();
  beep(tone);
  if (started) requestAnimationFrame(() => setTimeout(() => window.__outcomes.push({ tone, ms: performance.now() - started }), 0));
  resultTimer = setTimeout(closeOutcome, tone === "ok" ? 2500 : 6000);
}
function closeOutcome() { clearTimeout(resultTimer); $("result").hidden = true; }
$("result").onclick = () => { closeOutcome(); $("q").focus(); };

// ---- Actions ----
async function checkIn(a, started) {
  if (!a) return;
  if (a.pending) { outcome("bad", T.registration_pending, a, "", started); show(a, T.registration_pending, "bad"); return; }
  if (a.checked_in) { outcome("warn", T.already, a, arrival(a), started); show(a, T.already + " : " + arrival(a), "warn"); return; }
  try {
    const r = await api("/api/v1/checkin", { id: a.id, print: printing });
    const now = r.attendee || a;
    if (r.status === "pending") { outcome("bad", T.registration_pending, now, "", started); show(now, T.registration_pending, "bad"); }
    else if (r.status === "checked_in") {
      const printed = !printing ? "" : r.print_state === "pending" ? "🖨 " + T.badge_printing + " (" + r.print_message + ")"
        : r.print_state === "already_printed" ? "🖨 " + T.badge_already_printed : "";
      outcome("ok", T.checked_in, now, printed, started);
      show(now, T.checked_in + (printed ? " · " + printed : ""), "ok");
    } else {
      const where = r.attendee ? arrival(r.attendee) : r.message;
      outcome("warn", T.already, now, where, started);
      show(now, T.already + " : " + r.message, "warn");
    }
    next(); status();
  } catch (e) { outcome("bad", T.failed, a, e.message, started); show(a, e.message, "bad"); }
}
$("checkin").onclick = e => checkIn(current, e.timeStamp);

const reasonChoices = {
  reprint: ["reason_lost", "reason_damaged", "reason_wrong_name", "reason_other"],
  undo: ["reason_wrong_person", "reason_not_arrived", "reason_duplicate", "reason_other"],
};
let picking = null;
/// The reason picker: 1–4 or a click chooses, Enter confirms, Esc cancels. "Other" needs a text.
function askReason(kind) {
  if (!current) return;
  picking = { kind, choice: 0, attendee: current };
  $("reasontitle").textContent = (kind === "reprint" ? T.reason_reprint : T.reason_undo) + " — " + displayName(current);
  const list = $("reasonlist"); list.innerHTML = "";
  reasonChoices[kind].forEach((key, i) => {
    const b = document.createElement("button");
    b.type = "button"; b.setAttribute("role", "radio"); b.dataset.key = key; b.id = "reason-" + key;
    b.innerHTML = `<kbd>${i + 1}</kbd><span></span>`; b.querySelector("span").textContent = T[key];
    b.onclick = () => pickReason(i);
    list.appendChild(b);
  });
  $("reasontext").value = ""; $("reasonerror").textContent = "";
  $("reasons").hidden = false;
  pickReason(0);
}
function pickReason(i) {
  picking.choice = i;
  [...$("reasonlist").children].forEach((b, j) => b.setAttribute("aria-checked", String(i === j)));
  const other = reasonChoices[picking.kind][i] === "reason_other";
  (other ? $("reasontext") : $("reasonlist").children[i]).focus();
}
function closeReasons() { $("reasons").hidden = true; picking = null; $("q").focus(); }
$("reasoncancel").onclick = closeReasons;
$("reasons").querySelector("form").onsubmit = ev => {
  ev.preventDefault();
  const p = picking; if (!p) return;
  const key = reasonChoices[p.kind][p.choice], text = $("reasontext").value.trim();
  if (key === "reason_other" && !text) { $("reasonerror").textContent = T.reason_needed; $("reasontext").focus(); return; }
  const reason = key === "reason_other" ? text : T[key] + (text ? " : " + text : "");
  closeReasons();
  if (p.kind === "reprint") {
    act("/api/v1/reprint", { id: p.attendee.id, reason }, r => {
      outcome("ok", "🖨 " + T.reprint_queued, p.attendee, r.print_message);
      show(p.attendee, "🖨 " + T.reprint_queued + " (" + r.print_message + ")", "ok");
    });
  } else {
    act("/api/v1/undo", { id: p.attendee.id, reason }, r => {
      outcome("warn", T.undone, r.attendee || p.attendee, reason);
      show(r.attendee || p.attendee, T.undone, "warn");
    });
  }
};
async function act(path, body, done) {
  try { const r = await api(path, body); done(r); search(); status(); }
  catch (e) { $("message").textContent = e.message; $("message").className = "bad"; }
}
$("reprint").onclick = () => askReason("reprint");
$("undo").onclick = () => askReason("undo");

// ---- Walk-in ----
function openWalkIn() {
  closeOutcome();
  $("walkform").hidden = false; $("walkerror").textContent = "";
  document.querySelector("#walkform input[name=first_name]").focus();
}
function closeWalkIn() { $("walkform").hidden = true; $("q").focus(); }
$("walkin").onclick = openWalkIn;
$("walkcancel").onclick = closeWalkIn;
document.querySelector("#walkform form").onsubmit = async ev => {
  ev.preventDefault();
  const form = Object.fromEntries(new FormData(ev.target).entries());
  if (!(form.first_name + form.last_name + form.native_name).trim()) { $("walkerror").textContent = T.name_needed; return; }
  // A country typed by its name in the kiosk's language: sent as its code.
  if (form.country) form.country = countryCodes.get(form.country.trim()) || form.country;
  try {
    const r = await api("/api/v1/walkin", { ...form, print: printing });
    ev.target.reset(); $("walkform").hidden = true;
    const printed = r.print_state === "pending" ? "🖨 " + T.badge_printing + " (" + r.print_message + ")" : "";
    outcome("ok", T.checked_in, r.attendee, printed);
    show(r.attendee, T.checked_in + (printed ? " · " + printed : ""), "ok");
    next(); status();
  } catch (e) { $("walkerror").textContent = e.message; }
};
$("lock").onclick = async () => { await fetch("/api/v1/lock", { method: "POST" }); location.href = "/"; };
$("q").addEventListener("input", search);
$("clear").onclick = () => { next(); $("card").hidden = true; current = null; };

// ---- The keyboard ----
document.addEventListener("keydown", e => {
  if (!$("reasons").hidden) {
    if (e.key === "Escape") { e.preventDefault(); closeReasons(); }
    else if (/^[1-9]$/.test(e.key) && e.target.id !== "reasontext" && Number(e.key) <= reasonChoices[picking.kind].length) {
      e.preventDefault(); pickReason(Number(e.key) - 1);
    } else if (e.key === "Enter" && e.target.id !== "reasontext" && e.target.id !== "reasonok" && e.target.id !== "reasoncancel") {
      e.preventDefault(); $("reasons").querySelector("form").requestSubmit();
    }
    return;
  }
  if (!$("walkform").hidden) { if (e.key === "Escape") { e.preventDefault(); closeWalkIn(); } return; }
  if (!$("result").hidden) {
    // The next person: any key clears the outcome; a character goes on into the search field.
    closeOutcome();
    if (e.key === "Escape" || e.key === "Enter") { e.preventDefault(); $("q").focus(); return; }
    if (document.activeElement !== $("q")) $("q").focus();
  }
  if (e.key === "F2") { e.preventDefault(); if (current && current.checked_in && printing) askReason("reprint"); return; }
  if (e.key === "F9") { e.preventDefault(); if (current && current.checked_in) askReason("undo"); return; }
  if (e.key === "F4") { e.preventDefault(); openWalkIn(); return; }
  if (e.key === "Escape") { e.preventDefault(); next(); $("card").hidden = true; current = null; return; }
  const inSearch = e.target === $("q") || e.target === document.body;
  if (inSearch && e.key === "ArrowDown") { e.preventDefault(); move(1); return; }
  if (inSearch && e.key === "ArrowUp") { e.preventDefault(); move(-1); return; }
  if (e.key === "Enter" && e.target === $("q") && !e.defaultPrevented) {
    e.preventDefault();
    enter(e);
    return;
  }
  // A letter typed anywhere but a field goes to the search field.
  if (e.key.length === 1 && !e.ctrlKey && !e.altKey && !e.metaKey && !["INPUT", "SELECT", "TEXTAREA"].includes(e.target.tagName)) $("q").focus();
});

/// Enter in the search field. What a slow scanner typed (a code, not a name: see `looksLikeCode`) is
/// a scan; otherwise the chosen person is checked in, from the results of what is in the field now
/// (Enter pressed before they arrived waits for them: never the previous query's choice); text that
/// matches nobody is tried as a code (and said unknown if it is none).
async function enter(e) {
  const value = $("q").value;
  if (looksLikeCode(value)) { scanned(value.trim(), e); return; }
  if (shownQuery !== value) await search(e);
  if ($("q").value !== value) return;    // typed on meanwhile
  if (selected >= 0 && results[selected]) checkIn(results[selected], e.timeStamp);
  else if (value.trim().length >= 4) scanned(value.trim(), e);   // nobody by that name: a code, perhaps
}
/// What only a scanner types: a badge code, Indico's JSON, or 32 characters and more without a space
/// (pretix's secrets; a long surname typed by hand still searches as it grows).
function beingScanned(value) {
  const v = value.trim();
  return v.startsWith("{") || v.startsWith("AC1:") || (v.length >= 32 && !/\s/.test(v));
}
/// A code rather than a name: JSON (Indico's ticket QR); digits, a colon or Base45's symbols (a badge
/// QR "AC1: …", tickets, ids "ACC-00042"); or 20 characters and more without a space. Names have none.
function looksLikeCode(value) {
  const v = value.trim();
  return v.startsWith("{") || (v.length >= 6 && (/[0-9:{}"$%*+\/]/.test(v) || (v.length >= 20 && !/\s/.test(v))));
}

// A scanner: a badge or a registration ticket. With `scan: checkin` one scan checks in and prints.
// A busy browser may deliver a scanner's keys unevenly: the burst then holds only the code's end,
// and its beginning is in the search field. Both are tried, the burst first.
// And a fast typist's name followed by Enter, or keys a starved browser delivered all at once, is no
// code: it is the Enter of the search field.
onScan(() => !$("walkform").hidden || !$("reasons").hidden, (text, e) => {
  const typed = $("q").value;
  const whole = typed.endsWith(text) && typed.length > text.length && looksLikeCode(typed) ? typed.trim() : null;
  if (!looksLikeCode(text) && !whole && e.target === $("q")) { enter(e); return; }
  scanned(text, e, whole);
});
async function scanned(text, e, whole) {
  const started = e.timeStamp;
  closeOutcome();
  next();
  let r;
  try {
    r = await api("/api/v1/scan", { text });
    // Neither found: the whole read says why (a forged signature, not the end of one).
    if (!r.attendee && whole) { const again = await api("/api/v1/scan", { text: whole }); if (again.attendee || r.status !== "cancelled") r = again; }
  } catch (err) { outcome("bad", T.failed, null, err.message, started); return; }
  if (r.attendee && CONFIG.scan === "checkin") { await checkIn(r.attendee, started); return; }
  if (r.attendee) {
    show(r.attendee, r.attendee.pending ? T.registration_pending : "", r.attendee.pending ? "bad" : "");
    if (r.attendee.pending) outcome("bad", T.registration_pending, r.attendee, "", started);
    else if (r.attendee.checked_in) outcome("warn", T.already, r.attendee, arrival(r.attendee), started);
    return;
  }
  current = null; $("card").hidden = false;
  for (const id of ["role", "name", "native", "details", "state"]) $(id).textContent = "";
  for (const id of ["checkin", "reprint", "undo"]) $(id).hidden = true;
  $("vip").hidden = true;
  const title = r.status === "cancelled" ? T.registration_cancelled : T.unknown_code;
  $("message").textContent = title + (r.message ? " : " + r.message : "");
  $("message").className = "bad";
  outcome("bad", title, null, r.message, started);
}

// ---- The status bar ----
async function status() {
  try {
    const s = await api("/api/v1/status");
    const sync = s.sync || {};
    const on = !sync.server || sync.online;
    $("online").className = on ? "" : "off";
    $("online").textContent = !sync.server ? T.standalone : on ? T.online
      : T.offline + " " + T.since + " " + hhmm(sync.last_success || sync.started_at);
    $("online").title = sync.last_error || "";
    $("queued").textContent = T.queued + " : " + s.outbox
      + (s.set_aside && s.set_aside.count ? ` · ⚠ ${s.set_aside.count} ${T.set_aside}` : "");
    $("queued").className = s.set_aside && s.set_aside.count ? "bad" : "";
    $("queued").title = (s.set_aside && s.set_aside.last_reason) || "";
    const q = s.print_queue || {};
    const waiting = (q.pending || 0) + (q.submitted || 0);
    let printer = !printing ? T.printer_none
      : waiting ? `🖨 ${waiting} ${T.printer_waiting}` : "🖨 " + T.printer_ready;
    if (q.failed) printer += ` · ${q.failed} ${T.printer_failed}`;
    const trouble = s.printer_trouble && (q.pending || q.failed);
    if (trouble) printer += " · ⚠ " + (CONFIG.language === "fr" && s.printer_trouble_fr || s.printer_trouble);
    if (s.last_print) printer += ` · ${T.last_print} ${hhmm(s.last_print.updated_at)} (${T["job_" + s.last_print.state] || s.last_print.state})`;
    // Without a signing key, badges cannot print: said in red, whatever the printer.
    const keyless = printing && !(s.badge_keys && s.badge_keys.signs);
    if (keyless) printer = "⚠ " + T.no_signing_key;
    $("printer").textContent = printer;
    $("printer").className = trouble || keyless ? "bad" : "";
    const c = await api("/api/v1/stats");
    $("counts").textContent = `${T.arrived} : ${c.checked_in} / ${c.registered}`
      + (s.roster_index && s.roster_index.building ? " · " + T.indexing : "");
  } catch (e) { $("online").className = "off"; $("online").textContent = T.kiosk_unreachable; }
}
status(); setInterval(status, 2000);
