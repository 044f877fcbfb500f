// The page's words in its reader's language (docs/I18N.md). The server writes the language
// into <html lang dir> (the patient's, as their therapist set it, or the browser's); this
// module loads that language's catalog, the gettext catalog compiled for the page as JSON
// (/i18n/LANG.json), before any module that imports it runs (a top-level await). English
// needs none: the message ids are its words.
//
// t("Start set {n} now", {n: 2}), tn(singular, plural, n, params), tp(context, msgid, params)
// are the extraction keywords (coach/i18n/extract.py): write their first arguments as plain
// string literals. A message missing from the catalog (a therapist's own exercise) is shown in
// its own words. say(message) renders a message the server sent as an id and parameters
// (scoring/words.py); words(text, said) a server's text, by its `say` when it has one.

const root = document.documentElement;
export const lang = root.lang || "en";
export const dir = root.dir === "rtl" ? "rtl" : "ltr";
const CONTEXT = "\u0004";
const messages = await load(lang);
const plurals = new Intl.PluralRules(lang);
const numberFormats = new Map();

async function load(code) {
  if (code === "en") return {};
  try {
    const r = await fetch(`/i18n/${encodeURIComponent(code)}.json`, { credentials: "same-origin" });
    if (r.ok) return (await r.json()).messages || {};
  } catch { /* no server to ask (a saved page): the words as written */ }
  return {};
}

function fill(text, params) {
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? param(params[name]) : whole));
}

function param(value) {
  if (typeof value === "number") return num(value);
  if (Array.isArray(value)) return list(value.map(param));
  if (value && typeof value === "object") return say(value);
  return String(value ?? "");
}

function plural(key, singular, pluralId, n, params) {
  const forms = englishOnly ? undefined : messages[key];
  let text;
  if (forms && typeof forms === "object") text = forms[plurals.select(n)] || forms.other || singular;
  else text = n === 1 ? singular : pluralId;
  return fill(text, { n, ...params });
}

/** A message in the reader's language, its `{name}` placeholders filled from `params`. */
export function t(msgid, params) {
  const found = englishOnly ? undefined : messages[msgid];
  return fill(typeof found === "string" ? found : msgid, params);
}

/** A message in its own (English) words, its placeholders filled: for what the page tells
 * the server (the therapist reads it in their own language). `message` is a function that
 * calls t(...), tn(...) or tp(...) (so the id is extracted) or returns the id. */
export function english(message, params) {
  const saved = englishOnly;
  englishOnly = true;
  try {
    return fill(message(), params);
  } finally {
    englishOnly = saved;
  }
}
let englishOnly = false;

/** A message in a context (the same words meaning two things). */
export function tp(context, msgid, params) {
  const found = englishOnly ? undefined : messages[context + CONTEXT + msgid];
  return fill(typeof found === "string" ? found : msgid, params);
}

/** A message that counts `n` (in its `{n}`), in the form the language uses for that number. */
export function tn(singular, pluralId, n, params) {
  return plural(singular, singular, pluralId, n, params);
}

/** A message the server sent as {id, params, plural, context} (or a plain message id). */
export function say(message) {
  if (!message) return "";
  if (typeof message === "string") return t(message);
  const params = message.params || {};
  const key = message.context ? message.context + CONTEXT + message.id : message.id;
  if (message.plural) return plural(key, message.id, message.plural, params.n, params);
  return message.context ? tp(message.context, message.id, params) : t(message.id, params);
}

/** A server's words: by their message when given (`said`), else the text as a message id. */
export function words(text, said) {
  if (said) return say(said);
  return text ? t(text) : "";
}

/** A number in the reader's digits and separators: `digits` decimals, or up to 3. Latin
 * digits, as Babel formats the server's pages. */
export function num(value, digits) {
  if (typeof value !== "number" || !Number.isFinite(value)) return "–";
  const key = digits ?? -1;
  if (!numberFormats.has(key)) {
    numberFormats.set(key, new Intl.NumberFormat(lang, {
      numberingSystem: "latn",
      minimumFractionDigits: digits ?? 0,
      maximumFractionDigits: digits ?? 3,
    }));
  }
  return numberFormats.get(key).format(value);
}

/** An exercise's name inside a sentence ("Do squat again"): lower-cased where the language
 * does so (a translator's switch in the catalog: German keeps its nouns' capitals). */
export function inSentence(name) {
  const lower = tp("lower-case exercise names inside a sentence: yes or no", "yes") !== "no";
  return lower ? name.toLocaleLowerCase(lang) : name;
}

/** Items joined as the language lists them ("a, b, and c"; "a, b y c"). */
export function list(items) {
  return new Intl.ListFormat(lang, { type: "conjunction" }).format(items);
}
