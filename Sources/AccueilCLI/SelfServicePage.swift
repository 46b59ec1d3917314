/// The self-service screen (`accueil kiosk --mode self-service`): attendees scan the QR of their
/// confirmation e-mail and their badge prints. It shows nobody's data but a first name, and has no
/// search; staff leave it for the door screen with the kiosk's PIN.
enum SelfServicePage {
    static let html = #"""
        <!doctype html>
        <html lang="fr">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Accueil</title>
        <style>
        * { box-sizing: border-box; }
        body { margin:0; font: 22px/1.35 "Noto Sans", system-ui, sans-serif; background:#1f4e9c; color:#fff;
               display:flex; flex-direction:column; align-items:center; justify-content:center; height:100vh; text-align:center; }
        h1 { font-size:56px; margin:0 0 20px; }
        .line { font-size:34px; margin:6px 0; } .line.other { opacity:.8; font-size:28px; }
        #answer { font-size:46px; font-weight:800; margin-top:36px; min-height:2.5em; }
        #answer.ok { color:#b9f6ca; } #answer.bad { color:#ffcdd2; }
        #staff { position:fixed; right:14px; bottom:12px; font-size:16px; background:transparent; color:#fff8; border:1px solid #fff4;
                 border-radius:8px; padding:8px 12px; }
        #pinform { position:fixed; inset:0; background:rgba(0,0,0,.6); display:flex; align-items:center; justify-content:center; gap:12px; }
        #pinform[hidden] { display:none; }
        #pinform input, #pinform button { font-size:28px; padding:12px; border-radius:10px; border:0; }
        #pinmessage { color:#ffcdd2; font-weight:700; }
        </style>
        </head>
        <body>
        <h1 id="title"></h1>
        <div class="line" id="scan"></div>
        <div class="line other" id="scanother"></div>
        <div id="answer"></div>
        <button id="staff"></button>
        <form id="pinform" hidden><input id="pin" type="password" inputmode="numeric" autocomplete="off"><button id="unlock" type="submit">OK</button><span id="pinmessage"></span></form>
        <script>
        /*CONFIG*/
        const $ = id => document.getElementById(id);
        $("title").textContent = T.self_title;
        $("scan").textContent = T.self_scan;
        $("scanother").textContent = T_OTHER.self_scan;
        $("staff").textContent = T.staff;
        $("pin").placeholder = T.pin;
        let clear = 0;
        async function scan(text) {
          clearTimeout(clear);
          const r = await fetch("/api/v1/self/checkin", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ text }) });
          const a = await r.json();
          $("answer").className = a.status === "refused" ? "bad" : "ok";
          $("answer").textContent = (a.first_name ? a.first_name + ", " : "") + a.message;
          if (a.language) $("answer").lang = a.language;
          clear = setTimeout(() => { $("answer").textContent = ""; }, 8000);
        }
        $("staff").onclick = () => { $("pinform").hidden = false; $("pinmessage").textContent = ""; $("pin").focus(); };
        $("pinform").onsubmit = async e => { e.preventDefault();
          const r = await fetch("/api/v1/unlock", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ pin: $("pin").value }) });
          $("pin").value = "";
          if (r.ok) location.href = "/staff"; else $("pinmessage").textContent = errorText(await r.text()); };
        $("pinform").onclick = e => { if (e.target.id === "pinform") $("pinform").hidden = true; };
        onScan(() => !$("pinform").hidden, text => scan(text), 1500);
        </script>
        </body>
        </html>
        """#
}
