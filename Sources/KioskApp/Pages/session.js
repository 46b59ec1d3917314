const $ = id => document.getElementById(id);
const locale = CONFIG.language === "fr" ? "fr-FR" : "en-GB";
const hhmm = iso => iso ? new Date(iso).toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit", timeZone: CONFIG.time_zone }) : "";
$("prompt").textContent = T.scan_badge;
$("override").textContent = T.supervisor;
$("pin").placeholder = T.pin; $("reason").placeholder = T.override_reason; $("letin").textContent = T.let_in;
$("pinlabel").textContent = T.pin; $("reasonlabel").textContent = T.override_reason;
$("kiosk").textContent = CONFIG.kiosk + " · " + ({ both: T.both_door, entry: T.entry_door, exit: T.exit_door })[CONFIG.direction];
// Scan-to-verdict times (ms), read by `accueil bench kiosk`.
window.__verdicts = [];
const overridable = ["room_full", "not_registered", "role_not_allowed", "not_in_group", "not_open_yet", "session_over"];
let info = null, lastScan = "", hideTimer = 0, offline = false;
function showCount(occupancy, capacity) {
  $("count").textContent = capacity ? `${occupancy} / ${capacity}` : `${occupancy}`;
  $("count").title = T.inside;
  const ratio = capacity ? occupancy / capacity : 0;
  $("count").className = capacity && ratio >= 1 ? "full" : capacity && ratio >= 0.9 ? "near" : "";
  $("fill").style.width = capacity ? Math.min(100, ratio * 100) + "%" : "0";
  $("fill").style.background = ratio >= 1 ? "var(--bad)" : ratio >= 0.9 ? "var(--warn)" : "var(--ok)";
  $("prompt").textContent = T.scan_badge + (capacity ? "" : " · " + T.no_limit);
}
async function refresh() {
  try {
    const r = await fetch("/api/v1/session"); info = await r.json();
    const s = info.session;
    $("title").textContent = s ? s.title : info.room ? info.room + " — " + T.no_session : CONFIG.session + " ?";
    $("where").textContent = s ? [s.room, hhmm(new Date(s.starts_at).toISOString()) + "–" + hhmm(new Date(s.ends_at).toISOString()), s.kind].filter(Boolean).join(" · ") : "";
    showCount(info.occupancy, s ? s.capacity : 0);
    const st = await (await fetch("/api/v1/status")).json();
    const sync = st.sync || {};
    offline = !!sync.server && !sync.online;
    $("online").className = offline ? "off" : "";
    $("online").textContent = !sync.server ? T.standalone : !offline ? T.online
      : T.offline + " " + T.since + " " + hhmm(sync.last_success || sync.started_at) + " — " + T.counted_locally;
    $("queued").textContent = T.queued + " : " + st.outbox;
  } catch (e) { $("online").className = "off"; $("online").textContent = T.kiosk_unreachable; }
}
function verdict(v, started) {
  clearTimeout(hideTimer);
  const box = $("verdict");
  box.hidden = false;
  box.className = !v.admitted ? "no" : v.outcome === "exited" ? "out" : "yes";
  $("mark").textContent = !v.admitted ? "✗" : v.outcome === "exited" ? "←" : "✓";
  $("vmessage").textContent = v.message;
  $("vname").textContent = v.name || "";
  $("vnative").textContent = v.native_name && v.native_name !== v.name ? v.native_name : "";
  $("vrole").textContent = (v.role_label || "") + (v.language ? "  ·  🗣 " + v.language : "");
  $("vcount").textContent = ($("title").textContent || "") + " · " + (v.capacity ? `${v.occupancy} / ${v.capacity}` : v.occupancy) + " " + T.inside;
  $("vlocal").hidden = !v.counted_locally; $("vlocal").textContent = T.counted_locally;
  $("override").hidden = v.admitted || !CONFIG.session || !overridable.includes(v.reason) || !(info && info.overridable);
  $("overrideform").hidden = true; $("ovmessage").textContent = "";
  showCount(v.occupancy, v.capacity);
  if (started) requestAnimationFrame(() => setTimeout(() => window.__verdicts.push(performance.now() - started), 0));
  // A refusal a supervisor may override stays up for them to walk over (30 s, or the next scan).
  hideTimer = setTimeout(() => { box.hidden = true; }, v.admitted ? 3000 : $("override").hidden ? 8000 : 30000);
}
async function scan(text, started, extra) {
  lastScan = text;
  const r = await fetch("/api/v1/session/scan", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ text, ...(extra || {}) }) });
  if (!r.ok) { $("ovmessage").textContent = errorText(await r.text()); return; }
  verdict(await r.json(), started);
}
$("override").onclick = () => { clearTimeout(hideTimer); $("override").hidden = true; $("overrideform").hidden = false; $("pin").focus(); };
$("overrideform").onsubmit = e => { e.preventDefault();
  scan(lastScan, 0, { pin: $("pin").value, reason: $("reason").value }); $("pin").value = ""; $("reason").value = ""; };
onScan(e => !$("overrideform").hidden && (e.target.id === "pin" || e.target.id === "reason"),
  (text, e) => scan(text, e.timeStamp), 1500);
refresh(); setInterval(refresh, 2000);
