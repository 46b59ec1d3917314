import Foundation

/// The organisers' dashboard in the browser: one page, no external files, fed by server-sent events.
enum DashboardPage {
    /// Fields of an `application/x-www-form-urlencoded` body.
    static func form(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
            }
            if let key = parts.first { fields[key] = parts.count > 1 ? parts[1] : "" }
        }
        return fields
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func login(error: String?) -> String {
        """
        <!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Accueil — tableau de bord</title>
        <style>body{font:18px system-ui,sans-serif;background:#f4f4f1;display:flex;align-items:center;justify-content:center;height:100vh;margin:0}
        form{background:#fff;padding:28px;border-radius:14px;display:flex;flex-direction:column;gap:12px;min-width:320px}
        input,button{font-size:20px;padding:10px;border-radius:8px;border:2px solid #bbb}button{background:#1f4e9c;color:#fff;border:0}
        .error{color:#b3261e;font-weight:700}</style></head><body>
        <form method="post" action="/dashboard/login"><h1>Accueil</h1>
        <div>Tableau de bord des organisateurs / Organisers' dashboard</div>
        \(error.map { "<div class=\"error\" id=\"error\">\(escape($0))</div>" } ?? "")
        <input name="name" id="name" placeholder="Nom / Name" autocomplete="username">
        <input name="password" id="password" type="password" placeholder="Mot de passe / Password" autocomplete="current-password">
        <button id="signin" type="submit">Se connecter / Sign in</button></form></body></html>
        """
    }

    static let html = #"""
        <!doctype html>
        <html lang="fr">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Accueil — tableau de bord</title>
        <style>
        * { box-sizing: border-box; }
        body { margin:0; font: 15px/1.35 "Noto Sans", system-ui, sans-serif; background:#f4f4f1; color:#1d1d1b; }
        header { display:flex; align-items:center; gap:18px; padding:12px 20px; background:#1d1d1b; color:#fff; }
        header h1 { font-size:20px; margin:0; flex:1; }
        #live.off { color:#ff8a80; }
        main { display:grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap:14px; padding:14px 20px; }
        section { background:#fff; border-radius:12px; padding:14px 16px; }
        h2 { font-size:15px; margin:0 0 8px; text-transform:uppercase; letter-spacing:.04em; color:#555; }
        .big { font-size:44px; font-weight:800; } .sub { color:#555; }
        table { width:100%; border-collapse:collapse; } td, th { padding:3px 6px; text-align:left; border-bottom:1px solid #eee; }
        td.n { text-align:right; font-variant-numeric: tabular-nums; }
        .bar { height:8px; background:#e5e5e0; border-radius:4px; overflow:hidden; } .bar i { display:block; height:100%; background:#1e7b34; }
        tr.near td { background:#fff3cd; } tr.full td, tr.over td { background:#fde0dc; font-weight:700; }
        tr.offline td { background:#fde0dc; }
        #alerts li { margin:4px 0; } #alerts .vip { color:#6a1b9a; } #alerts .duplicate, #alerts .room_full, #alerts .kiosk_offline, #alerts .printer { color:#b3261e; }
        svg rect { fill:#1f4e9c; } svg text { font-size:10px; fill:#555; }
        button { font-size:14px; padding:6px 12px; border-radius:8px; border:0; background:#555; color:#fff; }
        </style>
        </head>
        <body>
        <header><h1>Accueil — tableau de bord / dashboard</h1><span id="live">…</span>
          <form method="post" action="/dashboard/logout"><button>Se déconnecter / Sign out</button></form></header>
        <main>
          <section><h2>Arrivés / Checked in</h2><div class="big" id="checked-in">–</div><div class="sub" id="registered"></div>
            <div class="bar"><i id="progress" style="width:0"></i></div>
            <div class="sub" id="share"></div><div class="sub" id="walkins"></div></section>
          <section><h2>Alertes / Alerts</h2><ul id="alerts"></ul></section>
          <section><h2>Arrivées par 5 min / Arrivals per 5 min</h2><svg id="chart" width="100%" height="140"></svg></section>
          <section><h2>Par catégorie / By role</h2><table id="roles"></table></section>
          <section><h2>Par pays / By country</h2><table id="countries"></table></section>
          <section><h2>Délégations / Delegations</h2><table id="delegations"></table></section>
          <section><h2>Sessions (présents / jauge) / People inside</h2><table id="sessions"></table></section>
          <section><h2>Kiosques / Kiosks</h2><table id="kiosks"></table></section>
        </main>
        <script>
        const $ = id => document.getElementById(id);
        const roles = { elected_official:"Élus / Elected officials", embassy:"Ambassades / Embassies", delegation:"Délégations / Delegations",
          speaker:"Intervenants / Speakers", press:"Presse / Press", staff:"Organisation / Staff", partner:"Partenaires / Partners",
          participant:"Participants" };
        // Times in the event's zone (the view says which), not the browser's.
        let zone;
        const hhmm = iso => new Date(iso).toLocaleTimeString("fr-FR", { hour:"2-digit", minute:"2-digit", timeZone: zone });
        const pct = (a, b) => b ? Math.round(100 * a / b) + " %" : "–";
        function rows(table, entries, head) {
          table.innerHTML = head;
          for (const cells of entries) {
            const tr = document.createElement("tr");
            if (cells.cls) tr.className = cells.cls;
            for (const c of cells.values) { const td = document.createElement("td"); td.textContent = c; if (typeof c === "number") td.className = "n"; tr.appendChild(td); }
            table.appendChild(tr);
          }
        }
        function counts(table, map, label) {
          const entries = Object.entries(map).sort((a, b) => b[1].registered - a[1].registered)
            .map(([k, v]) => ({ values: [label(k), v.checked_in, v.registered, pct(v.checked_in, v.registered)] }));
          rows(table, entries, "<tr><th></th><th>arrivés</th><th>inscrits</th><th></th></tr>");
        }
        function render(d) {
          window.__view = d;
          zone = d.time_zone;
          // For `accueil bench dashboard`: when the first figures were drawn, and each count seen.
          if (window.__drawnAt === undefined) { window.__drawnAt = null; requestAnimationFrame(() => setTimeout(() => { window.__drawnAt = performance.now(); }, 0)); }
          (window.__seen = window.__seen || []).push([d.total.checked_in, Date.now()]);
          $("checked-in").textContent = d.total.checked_in;
          $("registered").textContent = `sur ${d.total.registered} inscrits / of ${d.total.registered} registered (${pct(d.total.checked_in, d.total.registered)})`;
          $("progress").style.width = pct(d.total.checked_in, d.total.registered).replace(" ", "");
          $("share").textContent = `France ${d.french.checked_in} · international ${d.foreign.checked_in} (${pct(d.foreign.checked_in, d.total.checked_in)} des arrivés / of arrivals)`;
          $("walkins").textContent = `Sur place / walk-ins : ${d.walk_ins} · doubles / duplicates : ${d.duplicates}`;
          counts($("roles"), d.by_role, k => roles[k] || k);
          counts($("countries"), d.by_country, k => k);
          counts($("delegations"), d.by_delegation, k => k);
          rows($("sessions"), d.sessions.map(s => ({ cls: s.level, values: [hhmm(s.start), s.title, s.room, s.capacity ? `${s.inside} / ${s.capacity}` : `${s.inside}`] })),
            "<tr><th></th><th>session</th><th>salle / room</th><th>présents / inside</th></tr>");
          rows($("kiosks"), d.kiosks.map(k => ({ cls: k.offline ? "offline" : "", values: [k.name,
            k.offline ? `hors ligne / offline ${Math.round(k.offline_seconds / 60)} min` : "en ligne / online " + hhmm(k.last_contact),
            k.health ? `à envoyer / queued ${k.health.outbox}` + (k.health.set_aside ? ` · ⚠ refusés / refused ${k.health.set_aside}` : "") : "", k.health ? (k.health.printer_trouble ? "⚠ " + k.health.printer_trouble
              : `🖨 ${(k.health.print_queue.pending || 0) + (k.health.print_queue.submitted || 0)} en attente`) : ""] })),
            "<tr><th>kiosque</th><th>contact</th><th></th><th>imprimante / printer</th></tr>");
          const list = $("alerts"); list.innerHTML = "";
          for (const a of d.alerts) { const li = document.createElement("li"); li.className = a.kind; li.textContent = `${hhmm(a.at)} — ${a.message}`; list.appendChild(li); }
          if (!d.alerts.length) list.innerHTML = "<li>Aucune / None</li>";
          const svg = $("chart"), buckets = d.arrivals.slice(-36), max = Math.max(1, ...buckets.map(b => b.arrivals));
          const w = svg.clientWidth || 340, bw = w / Math.max(buckets.length, 1);
          svg.innerHTML = buckets.map((b, i) => { const h = 110 * b.arrivals / max;
            return `<rect x="${i * bw + 1}" y="${115 - h}" width="${Math.max(bw - 2, 1)}" height="${h}"><title>${hhmm(b.start)}: ${b.arrivals}</title></rect>` +
              (i % 6 === 0 ? `<text x="${i * bw}" y="135">${hhmm(b.start)}</text>` : ""); }).join("");
        }
        function connect() {
          const source = new EventSource("/api/v1/dashboard/stream");
          source.onmessage = e => { $("live").className = ""; $("live").textContent = "● en direct / live " + new Date().toLocaleTimeString("fr-FR", { timeZone: zone }); render(JSON.parse(e.data)); };
          source.onerror = () => { $("live").className = "off"; $("live").textContent = "○ reconnexion / reconnecting…"; };
        }
        connect();
        </script>
        </body>
        </html>
        """#
}
