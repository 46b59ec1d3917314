const roleColours = { elected_official:"#1f4e9c", embassy:"#6a1b9a", delegation:"#00838f", speaker:"#c62828",
  press:"#ef6c00", staff:"#2e7d32", partner:"#8d6e63", participant:"#546e7a" };
const roleNames = { fr: { elected_official:"Élu·e", embassy:"Ambassade", delegation:"Délégation", speaker:"Intervenant·e",
    press:"Presse", staff:"Organisation", partner:"Partenaire", participant:"Participant·e" },
  en: { elected_official:"Elected official", embassy:"Embassy", delegation:"Delegation", speaker:"Speaker",
    press:"Press", staff:"Staff", partner:"Partner", participant:"Participant" } }[CONFIG.language];
const $ = id => document.getElementById(id);
const hhmm = iso => iso ? new Date(iso).toLocaleTimeString(CONFIG.language === "fr" ? "fr-FR" : "en-GB", { hour: "2-digit", minute: "2-digit", timeZone: CONFIG.time_zone }) : "";
for (const el of document.querySelectorAll("[data-t]")) el.textContent = T[el.dataset.t];
$("q").placeholder = T.search_placeholder;
$("checkin").textContent = T.checkin_print; $("reprint").textContent = T.reprint; $("undo").textContent = T.undo;
$("walkin").textContent = T.walkin; $("lock").textContent = T.lock;
$("lock").hidden = CONFIG.mode !== "self-service";
for (const [value, label] of Object.entries(roleNames)) {
  const o = document.createElement("option"); o.value = value; o.textContent = label;
  if (value === "participant") o.selected = true;
  document.querySelector("#walkform select[name=role]").appendChild(o);
}
// Keystroke-to-results times (ms), read by `accueil bench kiosk`.
window.__timings = [];
let current = null, asked = 0;
async function api(path, body) {
  const r = await fetch(path, body ? { method:"POST", headers:{"Content-Type":"application/json"}, body:JSON.stringify(body) } : {});
  const text = await r.text();
  if (!r.ok) throw new Error(errorText(text) || r.statusText);
  return text ? JSON.parse(text) : {};
}
function line(a) {
  return [a.title, a.organisation, a.country, a.delegation, a.language && ("🗣 " + T.language + " : " + a.language)].filter(Boolean).join(" · ");
}
function roleLabel(a) { return roleNames[a.role] || a.role; }
async function search(e) {
  const started = e && e.timeStamp ? e.timeStamp : performance.now();
  const q = $("q").value, n = ++asked;
  if (!q.trim()) { $("results").innerHTML = ""; return; }
  const answer = await api("/api/v1/search?limit=30&q=" + encodeURIComponent(q));
  if (n !== asked) return;               // a newer keystroke already asked
  $("results").innerHTML = "";
  for (const a of answer.results) {
    const li = document.createElement("li");
    li.style.setProperty("--role", roleColours[a.role] || "#888");
    li.className = a.checked_in ? "in" : "";
    li.dataset.id = a.id;
    li.innerHTML = `<div><div class="name"></div><div class="native"></div><div class="meta"></div></div>`;
    li.querySelector(".name").textContent = a.last_name.toUpperCase() + " " + a.first_name + (a.checked_in ? "  ✓" : "");
    li.querySelector(".native").textContent = a.native_name;
    li.querySelector(".meta").textContent = roleLabel(a) + " · " + line(a);
    li.onclick = () => show(a);
    $("results").appendChild(li);
  }
  if (!answer.results.length) { const li = document.createElement("li"); li.textContent = T.no_results; $("results").appendChild(li); }
  if (e) requestAnimationFrame(() => setTimeout(() => {
    window.__timings.push(performance.now() - started);
    if (window.__timings.length > 5000) window.__timings.shift();
  }, 0));
}
function show(a, message, tone) {
  current = a;
  $("card").hidden = false;
  $("card").style.setProperty("--role", roleColours[a.role] || "#888");
  $("role").textContent = roleLabel(a);
  $("name").textContent = a.last_name.toUpperCase() + " " + a.first_name;
  $("native").textContent = a.native_name;
  $("details").textContent = line(a) + (a.checked_in ? `  —  ✓ ${hhmm(a.checked_in_at)} (${a.checked_in_kiosk})` : "");
  $("vip").hidden = !a.vip;
  $("vip").textContent = a.vip ? "⚠ " + a.vip : "";
  $("message").textContent = message || "";
  $("message").className = tone || "";
}
async function act(path, body, done) {
  try { const r = await api(path, body); done(r); search(); }
  catch (e) { $("message").textContent = e.message; $("message").className = "bad"; }
}
$("checkin").onclick = () => current && act("/api/v1/checkin", { id: current.id, print: true }, r => {
  status();
  const ok = r.status === "checked_in";
  if (r.status === "pending") { show(r.attendee || current, T.registration_pending, "bad"); return; }
  show(r.attendee || current, ok ? T.checked_in : T.already + " : " + r.message, ok ? "ok" : "warn");
});
$("reprint").onclick = () => { if (!current) return;
  const reason = prompt(T.reason_reprint); if (!reason) return;
  act("/api/v1/reprint", { id: current.id, reason }, r => show(current, "🖨 " + T.reprint_queued + " (" + r.print_message + ")", "ok")); };
$("undo").onclick = () => { if (!current) return;
  const reason = prompt(T.reason_undo); if (!reason) return;
  act("/api/v1/undo", { id: current.id, reason }, r => show(r.attendee || current, T.undone, "warn")); };
$("q").addEventListener("input", search);
$("walkin").onclick = () => { $("walkform").hidden = false; $("walkerror").textContent = "";
  document.querySelector("#walkform input[name=first_name]").focus(); };
$("walkcancel").onclick = () => { $("walkform").hidden = true; $("q").focus(); };
document.querySelector("#walkform form").onsubmit = async ev => {
  ev.preventDefault();
  const form = Object.fromEntries(new FormData(ev.target).entries());
  if (!(form.first_name + form.last_name).trim()) { $("walkerror").textContent = T.name_needed; return; }
  try {
    const r = await api("/api/v1/walkin", { ...form, print: CONFIG.printing === "yes" });
    ev.target.reset(); $("walkform").hidden = true;
    show(r.attendee, T.checked_in + (r.print_message ? " · 🖨 " + r.print_message : ""), "ok"); status();
  } catch (e) { $("walkerror").textContent = e.message; }
};
$("lock").onclick = async () => { await fetch("/api/v1/lock", { method: "POST" }); location.href = "/"; };
onScan(() => !$("walkform").hidden, async text => {
  if ($("q").value.endsWith(text)) { $("q").value = $("q").value.slice(0, -text.length); }
  const r = await api("/api/v1/scan", { text });
  if (r.attendee && CONFIG.scan === "checkin" && !r.attendee.pending) { current = r.attendee; $("checkin").onclick(); return; }
  if (r.attendee) { show(r.attendee, r.attendee.pending ? T.registration_pending : "", r.attendee.pending ? "bad" : ""); return; }
  current = null; $("card").hidden = false;
  for (const id of ["role", "name", "native", "details"]) $(id).textContent = "";
  $("vip").hidden = true;
  $("message").textContent = r.status === "cancelled" ? T.registration_cancelled + " : " + r.message
    : T.unknown_code + (r.message ? " : " + r.message : "");
  $("message").className = "bad";
});
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
    let printer = CONFIG.printing !== "yes" ? T.printer_none
      : waiting ? `🖨 ${waiting} ${T.printer_waiting}` : "🖨 " + T.printer_ready;
    if (q.failed) printer += ` · ${q.failed} ${T.printer_failed}`;
    const trouble = s.printer_trouble && (q.pending || q.failed);
    if (trouble) printer += " · ⚠ " + s.printer_trouble;
    if (s.last_print) printer += ` · ${T.last_print} ${hhmm(s.last_print.updated_at)} (${T["job_" + s.last_print.state] || s.last_print.state})`;
    // Without a signing key, badges cannot print: said in red, whatever the printer.
    const keyless = CONFIG.printing === "yes" && !(s.badge_keys && s.badge_keys.signs);
    if (keyless) printer = "⚠ " + T.no_signing_key;
    $("printer").textContent = printer;
    $("printer").className = trouble || keyless ? "bad" : "";
    const c = await api("/api/v1/stats");
    $("counts").textContent = `${T.arrived} : ${c.checked_in} / ${c.registered}`;
  } catch (e) { $("online").className = "off"; $("online").textContent = T.kiosk_unreachable; }
}
status(); setInterval(status, 2000);
