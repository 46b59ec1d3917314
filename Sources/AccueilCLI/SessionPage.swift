/// The session door's screen (`accueil kiosk --mode session`): the session, the people inside
/// against the capacity, and for each badge scanned a large green or red answer with the reason;
/// a supervisor's override with the PIN and a reason.
enum SessionPage {
    static let html = #"""
        <!doctype html>
        <html lang="fr">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Accueil — session</title>
        <style>
        :root { --ink:#1d1d1b; --ok:#1e7b34; --bad:#b3261e; --out:#2f5d8a; --warn:#a15c00; }
        * { box-sizing: border-box; }
        body { margin:0; font: 20px/1.35 "Noto Sans", system-ui, sans-serif; background:#f4f4f1; color:var(--ink);
               display:flex; flex-direction:column; height:100vh; }
        header { padding:18px 28px; background:#1d1d1b; color:#fff; }
        #title { font-size:34px; font-weight:700; margin:0; }
        #where { font-size:20px; opacity:.85; }
        main { flex:1; display:flex; flex-direction:column; align-items:center; justify-content:center; gap:18px; text-align:center; }
        #count { font-size:96px; font-weight:800; }
        #count.full { color:var(--bad); } #count.near { color:var(--warn); }
        #bar { width:60vw; height:22px; background:#ddd; border-radius:11px; overflow:hidden; }
        #fill { height:100%; width:0; background:var(--ok); }
        #prompt { font-size:40px; color:#555; }
        #verdict { position:fixed; inset:0; display:flex; flex-direction:column; align-items:center; justify-content:center;
                   gap:14px; color:#fff; text-align:center; padding:30px; }
        #verdict[hidden] { display:none; }
        #verdict.yes { background:var(--ok); } #verdict.no { background:var(--bad); } #verdict.out { background:var(--out); }
        #mark { font-size:180px; line-height:1; font-weight:800; }
        #vmessage { font-size:54px; font-weight:800; }
        #vname { font-size:40px; } #vcount { font-size:24px; opacity:.9; } #vnative { font-size:36px; } #vrole { font-size:26px; letter-spacing:.04em; }
        #vlocal { font-size:22px; background:rgba(0,0,0,.25); padding:8px 14px; border-radius:8px; }
        #vlocal[hidden], #override[hidden], #overrideform[hidden] { display:none; }
        button { font-size:28px; padding:16px 28px; border-radius:12px; border:3px solid #fff; background:transparent; color:#fff; cursor:pointer; }
        #overrideform { display:flex; gap:12px; align-items:center; flex-wrap:wrap; justify-content:center; }
        #overrideform input { font-size:26px; padding:10px; border-radius:8px; border:0; }
        #ovmessage { font-weight:700; }
        footer { display:flex; gap:24px; padding:10px 28px; background:#1d1d1b; color:#fff; font-size:18px; }
        #online.off { color:#ff8a80; font-weight:700; }
        </style>
        </head>
        <body>
        <header><h1 id="title">…</h1><div id="where"></div></header>
        <main>
          <div id="count">–</div>
          <div id="bar"><div id="fill"></div></div>
          <div id="prompt"></div>
        </main>
        <section id="verdict" hidden>
          <div id="mark"></div>
          <div id="vmessage"></div>
          <div id="vname"></div><div id="vnative"></div><div id="vrole"></div>
          <div id="vcount"></div>
          <div id="vlocal" hidden></div>
          <button id="override" hidden></button>
          <form id="overrideform" hidden>
            <input id="pin" type="password" inputmode="numeric" autocomplete="off">
            <input id="reason" autocomplete="off">
            <button id="letin" type="submit"></button><span id="ovmessage"></span>
          </form>
        </section>
        <footer><span id="online">…</span><span id="queued"></span><span id="kiosk"></span></footer>
        <script>
        /*CONFIG*/
        const $ = id => document.getElementById(id);
        const locale = CONFIG.language === "fr" ? "fr-FR" : "en-GB";
        const hhmm = iso => iso ? new Date(iso).toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit", timeZone: CONFIG.time_zone }) : "";
        $("prompt").textContent = T.scan_badge;
        $("override").textContent = T.supervisor;
        $("pin").placeholder = T.pin; $("reason").placeholder = T.override_reason; $("letin").textContent = T.let_in;
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
          hideTimer = setTimeout(() => { box.hidden = true; }, v.admitted ? 3000 : 8000);
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
        </script>
        </body>
        </html>
        """#
}
