/// The door screen in the browser (`accueil kiosk`, GET /): one page, no external files, for a touch
/// screen in a full-screen browser. Search as you type, the attendee's card with big buttons, a
/// scanner (keyboard wedge) recognised wherever the focus is, and a status bar, in French and English.
enum DoorPage {
    static let html = #"""
        <!doctype html>
        <html lang="fr">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Accueil</title>
        <style>
        :root { --bg:#f4f4f1; --ink:#1d1d1b; --muted:#6b6b66; --ok:#1e7b34; --bad:#b3261e; --warn:#a15c00; }
        * { box-sizing: border-box; }
        body { margin:0; font: 18px/1.35 "Noto Sans", system-ui, sans-serif; background:var(--bg); color:var(--ink);
               display:flex; flex-direction:column; height:100vh; }
        header { padding:16px 20px 8px; }
        #q { width:100%; font-size:30px; padding:14px 18px; border:2px solid #bbb; border-radius:12px; }
        main { flex:1; display:flex; gap:16px; padding:8px 20px; overflow:hidden; }
        #results { flex:1; overflow:auto; margin:0; padding:0; list-style:none; }
        #results li { display:flex; gap:12px; align-items:center; padding:12px; margin-bottom:6px; background:#fff;
                      border-radius:10px; cursor:pointer; border-left:12px solid var(--role, #888); }
        #results li.in { opacity:.65; }
        #results .name { font-weight:700; font-size:22px; }
        #results .native { font-size:20px; }
        #results .meta { color:var(--muted); font-size:16px; }
        #card { flex:1; background:#fff; border-radius:14px; padding:20px; overflow:auto; border-top:18px solid var(--role, #888); }
        #card[hidden] { display:none; }
        #card h2 { margin:0; font-size:34px; }
        #card .native { font-size:30px; margin:4px 0; }
        #card .role { font-weight:700; letter-spacing:.03em; }
        .vip { background:#fff3cd; border:3px solid var(--warn); padding:12px; border-radius:10px; font-size:22px; margin:12px 0; }
        .buttons { display:flex; flex-wrap:wrap; gap:12px; margin-top:16px; }
        button { font-size:24px; padding:18px 26px; border-radius:12px; border:0; cursor:pointer; color:#fff; }
        #checkin { background:var(--ok); } #reprint { background:#2f5d8a; } #undo { background:#7a7a75; }
        #message { min-height:1.5em; font-size:24px; font-weight:700; margin-top:14px; }
        #message.ok { color:var(--ok); } #message.bad { color:var(--bad); } #message.warn { color:var(--warn); }
        footer { display:flex; gap:24px; padding:10px 20px; background:#1d1d1b; color:#fff; font-size:16px; }
        #online.off { color:#ff8a80; font-weight:700; }
        </style>
        </head>
        <body>
        <header><input id="q" autocomplete="off" autofocus placeholder="Nom, organisation, pays… / Name, organisation, country…"></header>
        <main>
          <ul id="results"></ul>
          <section id="card" hidden>
            <div class="role" id="role"></div>
            <h2 id="name"></h2>
            <div class="native" id="native"></div>
            <div id="details"></div>
            <div class="vip" id="vip" hidden></div>
            <div class="buttons">
              <button id="checkin">Enregistrer et imprimer / Check in and print</button>
              <button id="reprint">Réimprimer / Reprint</button>
              <button id="undo">Annuler / Undo</button>
            </div>
            <div id="message"></div>
          </section>
        </main>
        <footer>
          <span id="online">…</span><span id="queued"></span><span id="printer"></span><span id="counts"></span>
        </footer>
        <script>
        const roleColours = { elected_official:"#1f4e9c", embassy:"#6a1b9a", delegation:"#00838f", speaker:"#c62828",
          press:"#ef6c00", staff:"#2e7d32", partner:"#8d6e63", participant:"#546e7a" };
        const $ = id => document.getElementById(id);
        const hhmm = iso => iso ? new Date(iso).toLocaleTimeString("fr-FR", { hour: "2-digit", minute: "2-digit" }) : "";
        let current = null, asked = 0;
        async function api(path, body) {
          const r = await fetch(path, body ? { method:"POST", headers:{"Content-Type":"application/json"}, body:JSON.stringify(body) } : {});
          const text = await r.text();
          if (!r.ok) throw new Error(text || r.statusText);
          return JSON.parse(text);
        }
        function line(a) {
          return [a.title, a.organisation, a.country, a.delegation, a.language && ("🗣 " + a.language)].filter(Boolean).join(" · ");
        }
        async function search() {
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
            li.querySelector(".meta").textContent = a.role_label + " · " + line(a);
            li.onclick = () => show(a);
            $("results").appendChild(li);
          }
        }
        function show(a, message, tone) {
          current = a;
          $("card").hidden = false;
          $("card").style.setProperty("--role", roleColours[a.role] || "#888");
          $("role").textContent = a.role_label;
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
          show(r.attendee || current, ok ? "✓ Enregistré·e / Checked in" : "Déjà enregistré·e / Already checked in: " + r.message, ok ? "ok" : "warn");
        });
        $("reprint").onclick = () => { if (!current) return;
          const reason = prompt("Motif / Reason (perdu / lost, abîmé / damaged…)"); if (!reason) return;
          act("/api/v1/reprint", { id: current.id, reason }, r => show(current, "🖨 " + r.print_message, "ok")); };
        $("undo").onclick = () => { if (!current) return;
          const reason = prompt("Motif / Reason"); if (!reason) return;
          act("/api/v1/undo", { id: current.id, reason }, r => show(r.attendee || current, "Annulé / Undone", "warn")); };
        $("q").addEventListener("input", search);
        // A scanner is a keyboard that types fast and ends with Enter: recognised wherever the focus is.
        let burst = "", lastKey = 0;
        document.addEventListener("keydown", async e => {
          const now = performance.now();
          if (now - lastKey > 60) burst = "";
          lastKey = now;
          if (e.key === "Enter") {
            if (burst.length >= 4) {
              e.preventDefault();
              const text = burst; burst = "";
              if ($("q").value.endsWith(text)) { $("q").value = $("q").value.slice(0, -text.length); }
              const r = await api("/api/v1/scan", { text });
              if (r.attendee) show(r.attendee, "", ""); else { $("card").hidden = false; $("message").textContent = r.message; $("message").className = "bad"; }
            }
          } else if (e.key.length === 1) { burst += e.key; }
        }, true);
        async function status() {
          try {
            const s = await api("/api/v1/status");
            const sync = s.sync || {};
            const on = !sync.server || sync.online;
            $("online").className = on ? "" : "off";
            $("online").textContent = !sync.server ? "Local" : on ? "En ligne / Online"
              : "Hors ligne / Offline" + (sync.last_error_at ? " · depuis / since " + hhmm(sync.last_error_at) : "");
            $("online").title = sync.last_error || "";
            $("queued").textContent = "À envoyer / Queued: " + s.outbox;
            const q = s.print_queue || {};
            const waiting = (q.pending || 0) + (q.submitted || 0);
            $("printer").textContent = "🖨 " + (waiting ? `${waiting} en attente / waiting` : "prêt / ready")
              + (q.failed ? ` · ${q.failed} en échec / failed` : "");
            const c = await api("/api/v1/stats");
            $("counts").textContent = `Arrivés / Checked in: ${c.checked_in} / ${c.registered}`;
          } catch (e) { $("online").className = "off"; $("online").textContent = "Kiosque injoignable / Kiosk unreachable"; }
        }
        status(); setInterval(status, 2000);
        </script>
        </body>
        </html>
        """#
}
