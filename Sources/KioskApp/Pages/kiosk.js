// Every request of the page carries its token: the kiosk refuses changes without it (KioskGuard).
const pageFetch = window.fetch.bind(window);
window.fetch = (url, options = {}) => {
  const headers = new Headers(options.headers || {});
  headers.set("X-Accueil-Page", CONFIG.page_token);
  if (options.method && options.method !== "GET" && !headers.has("Content-Type")) {
    headers.set("Content-Type", "application/json");
    if (options.body === undefined) options = Object.assign({}, options, { body: "{}" });
  }
  return pageFetch(url, Object.assign({}, options, { headers }));
};
function errorText(t) { try { return JSON.parse(t).error.message || t; } catch (e) { return t; } }
// A scanner is a keyboard that types fast and ends with Enter: a burst of at least four keys,
// recognised wherever the focus is. `gap` is the longest pause (ms) inside one burst: 60 on a page
// where people also type (they are slower than that); a page with nothing to type into (session
// door, self-service) takes every key as the scanner's, with a long gap, so that a slow Bluetooth
// scanner or a busy browser never splits a code. `ignore(event)` true sends the keys to a form
// instead; `handler(text, enterEvent)` gets what was scanned.
function onScan(ignore, handler, gap = 60) {
  let burst = "", lastKey = 0;
  document.addEventListener("keydown", e => {
    if (ignore(e)) return;
    const now = performance.now();
    if (now - lastKey > gap) burst = "";
    lastKey = now;
    if (e.key === "Enter") {
      if (burst.length >= 4) { e.preventDefault(); const text = burst; burst = ""; handler(text, e); }
    } else if (e.key.length === 1) { burst += e.key; }
  }, true);
}
