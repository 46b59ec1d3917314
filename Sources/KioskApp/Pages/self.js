const $ = id => document.getElementById(id);
$("title").textContent = T.self_title;
$("scan").textContent = T.self_scan;
$("scanother").textContent = T_OTHER.self_scan;
$("scanother").lang = CONFIG.language === "fr" ? "en" : "fr";
$("staff").textContent = T.staff;
$("pin").placeholder = T.pin; $("pinlabel").textContent = T.pin;
let clear = 0;
// The answers shown, in words: one clears itself after 8 s, sooner than a loaded test machine may
// look (the browser tests read this when the answer has gone).
window.__shown = [];
async function scan(text) {
  clearTimeout(clear);
  const r = await fetch("/api/v1/self/checkin", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ text }) });
  const a = await r.json();
  $("answer").className = a.status === "refused" ? "bad" : "ok";
  $("answer").textContent = (a.first_name ? a.first_name + ", " : "") + a.message;
  if (a.language) $("answer").lang = a.language;
  window.__shown.push({ answer: $("answer").textContent });
  if (window.__shown.length > 100) window.__shown.shift();
  clear = setTimeout(() => { $("answer").textContent = ""; }, 8000);
}
$("staff").onclick = () => { $("pinform").hidden = false; $("pinmessage").textContent = ""; $("pin").focus(); };
$("pinform").onsubmit = async e => { e.preventDefault();
  const r = await fetch("/api/v1/unlock", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ pin: $("pin").value }) });
  $("pin").value = "";
  if (r.ok) location.href = "/staff"; else $("pinmessage").textContent = errorText(await r.text()); };
$("pinform").onclick = e => { if (e.target.id === "pinform") $("pinform").hidden = true; };
onScan(() => !$("pinform").hidden, text => scan(text), 1500);
