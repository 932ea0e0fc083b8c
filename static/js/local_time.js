// Times come from the server in UTC (<time data-local>) and are shown here in the reader's own
// zone, in pages and in everything live events insert later. The zone is also told to the
// server in a cookie, which groups the chat list by the reader's days.
const COOKIE = "tz";
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;

function zoneInCookie() {
  const pair = document.cookie.split("; ").find((cookie) => cookie.startsWith(`${COOKIE}=`));
  return pair ? pair.slice(COOKIE.length + 1) : null;
}

function offsetNow(name) {
  try {
    const format = new Intl.DateTimeFormat("en-US", { timeZone: name, timeZoneName: "longOffset" });
    return format.formatToParts(new Date()).find((part) => part.type === "timeZoneName")?.value;
  } catch {
    return null; // a zone this browser does not know
  }
}

// The server grouped this page's chats by the days of the zone in the cookie, or of UTC.
const zoneGroupedBy = zoneInCookie() ?? "UTC";
export const groupedByAnotherZone = Boolean(zone) && offsetNow(zoneGroupedBy) !== offsetNow(zone);
if (zone && zoneInCookie() !== zone) {
  const secure = location.protocol === "https:" ? "; Secure" : "";
  document.cookie = `${COOKIE}=${zone}; Path=/; Max-Age=31536000; SameSite=Lax${secure}`;
}

const twoDigits = (number) => String(number).padStart(2, "0");

function localize(time) {
  const moment = new Date(time.getAttribute("datetime"));
  if (Number.isNaN(moment.getTime())) return;
  const clock = `${twoDigits(moment.getHours())}:${twoDigits(moment.getMinutes())}`;
  const day = `${moment.getFullYear()}-${twoDigits(moment.getMonth() + 1)}-${twoDigits(moment.getDate())}`;
  time.textContent = time.dataset.local === "time" ? clock : `${day} ${clock}`;
  time.title = zone ? `${day} ${clock} (${zone})` : `${day} ${clock}`;
}

function localizeWithin(root) {
  if (root.matches("time[data-local]")) localize(root);
  for (const time of root.querySelectorAll("time[data-local]")) localize(time);
}

localizeWithin(document.documentElement);
new MutationObserver((records) => {
  for (const record of records) {
    for (const node of record.addedNodes) {
      if (node.nodeType === Node.ELEMENT_NODE) localizeWithin(node);
    }
  }
}).observe(document.documentElement, { childList: true, subtree: true });
