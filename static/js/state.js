// The whole page state lives in the URL, so a comparison can be bookmarked and shared:
//   ?prompt=Hi&model=echo&pane=transport:get&pane=transport:post,client:naive-parser,split:on&large=1
// A pane lists only what differs from the defaults. Unknown or invalid values are dropped.
//
// options: the server's option schema (streamlab/options.py, schema()), the one list that
// validation, `flask chat` and this page all read. Each is a choice or a number, e.g.
//   { name: 'frame', values: ['plain', 'json'], ... }, { name: 'delay', values: [], whole: true, ... }
import { CLIENTS } from './clients.js';

export const TRANSPORTS = ['get', 'post', 'blocking', 'relay', 'openai'];
export const MIN_PANES = 2;
export const MAX_PANES = 4; // over HTTP/1.1: a browser opens at most six connections to one server
export const MAX_PANES_HTTP2 = 8; // HTTP/2 carries every stream on one connection
export const DEFAULT_PROMPT = 'How does streaming work?'; // the page passes its own language's

// Every option but the model (one for the whole page) is set per pane.
export function paneOptions(options) {
  return options.filter((option) => option.name !== 'model');
}

// A choice starts at its first value; a number starts empty, which means the server's default.
// Two settings are the page's own: the transport, and the client (correct, or a broken one).
export function defaultPane(options) {
  const server = paneOptions(options).map((option) => [option.name, option.values[0] ?? '']);
  return Object.fromEntries([['transport', 'get'], ['client', 'correct'], ...server]);
}

// The clients a transport can run: each broken one is a mistake of EventSource code or of fetch code.
export function clientsFor(transport) {
  return Object.keys(CLIENTS).filter((name) => CLIENTS[name].transports.includes(transport));
}

// Numbers are only checked for shape: the server judges the range and says so (a lesson in itself).
function valid(name, value, options) {
  if (name === 'transport') return TRANSPORTS.includes(value);
  if (name === 'client') return Object.hasOwn(CLIENTS, value);
  const option = paneOptions(options).find((candidate) => candidate.name === name);
  if (!option) return false;
  if (option.values.length) return option.values.includes(value);
  return (option.whole ? /^[0-9]{1,6}$/ : /^[0-9]{1,6}(\.[0-9]{1,3})?$/).test(value);
}

export function paneFrom(text, options) {
  const pane = defaultPane(options);
  for (const pair of text.split(',')) {
    const [name, value = ''] = pair.split(':');
    if (valid(name, value, options)) pane[name] = value;
  }
  if (!clientsFor(pane.transport).includes(pane.client)) pane.client = 'correct';
  return pane;
}

export function paneText(pane, options) {
  const defaults = defaultPane(options);
  return Object.keys(defaults)
    .filter((name) => pane[name] !== defaults[name])
    .map((name) => `${name}:${pane[name]}`)
    .join(',');
}

export function readState(search, options, maxPanes = MAX_PANES, defaultPrompt = DEFAULT_PROMPT) {
  const params = new URLSearchParams(search);
  const panes = params.getAll('pane').slice(0, maxPanes).map((text) => paneFrom(text, options));
  while (panes.length < MIN_PANES) panes.push({ ...defaultPane(options), transport: TRANSPORTS[panes.length] });
  const model = params.get('model');
  const models = options.find((option) => option.name === 'model').values;
  return {
    prompt: params.get('prompt') ?? defaultPrompt,
    model: models.includes(model) ? model : models[0],
    panes,
    large: params.get('large') === '1',
    conversation: params.get('history') === '1', // POST panes send the conversation so far
    quiz: params.get('quiz') === '1', // spot the bug with the answers hidden until revealed
    preset: params.get('preset') ?? '', // the comparison whose "what to watch" note is shown
    lesson: LESSON.test(params.get('lesson') ?? '') ? params.get('lesson') : '', // the lesson that opened the page
    lang: params.get('lang') ?? '', // read by the server; kept so a shared link keeps its language
  };
}

// A request line may be at most 8,190 bytes (gunicorn's bound, and nginx's): a page URL holding a
// longer prompt could not even be loaded again. Such a prompt stays out of the URL; the rest stays in.
export const MAX_QUERY = 6000;

const LESSON = /^[0-9]{2}-[a-z0-9-]+$/;

export function writeState({ prompt, model, panes, large, conversation = false, quiz = false, preset = '', lesson = '', lang = '' }, options) {
  const params = new URLSearchParams({ prompt, model });
  for (const pane of panes) params.append('pane', paneText(pane, options));
  if (large) params.set('large', '1');
  if (conversation) params.set('history', '1');
  if (quiz) params.set('quiz', '1');
  if (preset) params.set('preset', preset);
  if (lesson) params.set('lesson', lesson);
  if (lang) params.set('lang', lang);
  if (`?${params}`.length > MAX_QUERY) params.delete('prompt');
  return `?${params}`;
}
