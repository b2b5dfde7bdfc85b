// Every word the page shows comes from one table per language (static/i18n/en.json, zh-CN.json),
// which the server puts into the page as data-strings. Modules ask t(key, values); none holds words.
const strings = JSON.parse(document.getElementById('app').dataset.strings);

export const language = document.documentElement.lang;

// t('end.reconnect-limit', { detail: 20 }) -> "stopped after 20 reconnects"
export function t(key, values = {}) {
  const text = strings[key] ?? key; // a missing key shows itself, so a test can spot it
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

export function has(key) {
  return key in strings;
}
