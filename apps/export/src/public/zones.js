// The time zones the page offers: the browser's IANA zones, each with its UTC offset now.

// Chromium's ICU still lists these zones under names IANA has since replaced (Asia/Calcutta for
// Asia/Kolkata): the list shows today's name, which every browser and the API accept as well.
const RENAMED = {
  'Africa/Asmera': 'Africa/Asmara', 'America/Buenos_Aires': 'America/Argentina/Buenos_Aires', 'America/Catamarca': 'America/Argentina/Catamarca',
  'America/Coral_Harbour': 'America/Atikokan', 'America/Cordoba': 'America/Argentina/Cordoba', 'America/Godthab': 'America/Nuuk',
  'America/Indianapolis': 'America/Indiana/Indianapolis', 'America/Jujuy': 'America/Argentina/Jujuy', 'America/Louisville': 'America/Kentucky/Louisville',
  'America/Mendoza': 'America/Argentina/Mendoza', 'Asia/Calcutta': 'Asia/Kolkata', 'Asia/Katmandu': 'Asia/Kathmandu', 'Asia/Rangoon': 'Asia/Yangon',
  'Asia/Saigon': 'Asia/Ho_Chi_Minh', 'Atlantic/Faeroe': 'Atlantic/Faroe', 'Europe/Kiev': 'Europe/Kyiv', 'Pacific/Enderbury': 'Pacific/Kanton',
  'Pacific/Ponape': 'Pacific/Pohnpei', 'Pacific/Truk': 'Pacific/Chuuk',
};

function known(zone) {
  try { new Intl.DateTimeFormat('en-US', { timeZone: zone }); return true; } catch { return false; }
}

/** The browser's zones under their current names, with `extra` (the app's default, UTC) when the browser leaves them out. */
export function zoneList(extra) {
  const zones = (Intl.supportedValuesOf?.('timeZone') ?? []).map((z) => (RENAMED[z] && known(RENAMED[z]) ? RENAMED[z] : z));
  return [...new Set([...zones, ...extra.filter(known)])].sort();
}

/** "Asia/Kathmandu (UTC+5:45)", "America/New_York (UTC-5)", "UTC (UTC+0)"; a zone the browser does not know, as given. */
export function zoneLabel(zone, now = new Date()) {
  let offset;
  try {
    offset = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' }).formatToParts(now).find((p) => p.type === 'timeZoneName').value;
  } catch { return zone; }
  const m = /([+-])(\d\d):(\d\d)/.exec(offset); // "GMT+05:45"; plain "GMT" at zero
  return `${zone} (UTC${m ? `${m[1]}${Number(m[2])}${m[3] === '00' ? '' : `:${m[3]}`}` : '+0'})`;
}
