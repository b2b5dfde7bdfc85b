// The whole page state lives in the URL, so a comparison can be bookmarked and shared:
//   ?prompt=Hi&model=echo&pane=transport:get&pane=transport:post,frame:json&large=1
// A pane lists only what differs from DEFAULT_PANE. Unknown or invalid values are dropped.

export const TRANSPORTS = ['get', 'post', 'blocking'];
export const NUMBERS = ['delay', 'drop_after', 'error_at', 'stall', 'retry'];
export const DEFAULT_PANE = {
  transport: 'get', frame: 'plain', end: 'sentinel', ids: 'on', chunk: 'char',
  delay: '', drop_after: '', error_at: '', stall: '', retry: '',
};
export const MIN_PANES = 2;
export const MAX_PANES = 4;
export const DEFAULT_PROMPT = 'How does streaming work?';

// choices: the server's valid values per option, e.g. { frame: ['plain', 'json'], ... }
function valid(name, value, choices) {
  if (name === 'transport') return TRANSPORTS.includes(value);
  if (NUMBERS.includes(name)) return /^[0-9]{1,6}$/.test(value);
  return name in DEFAULT_PANE && (choices[name] ?? []).includes(value);
}

export function paneFrom(text, choices) {
  const pane = { ...DEFAULT_PANE };
  for (const pair of text.split(',')) {
    const [name, value = ''] = pair.split(':');
    if (valid(name, value, choices)) pane[name] = value;
  }
  return pane;
}

export function paneText(pane) {
  return Object.keys(DEFAULT_PANE)
    .filter((name) => pane[name] !== DEFAULT_PANE[name])
    .map((name) => `${name}:${pane[name]}`)
    .join(',');
}

export function readState(search, choices) {
  const params = new URLSearchParams(search);
  const panes = params.getAll('pane').slice(0, MAX_PANES).map((text) => paneFrom(text, choices));
  while (panes.length < MIN_PANES) panes.push({ ...DEFAULT_PANE, transport: TRANSPORTS[panes.length] });
  const model = params.get('model');
  return {
    prompt: params.get('prompt') ?? DEFAULT_PROMPT,
    model: (choices.model ?? []).includes(model) ? model : choices.model?.[0] ?? 'tutor',
    panes,
    large: params.get('large') === '1',
  };
}

// A request line may be at most 8,190 bytes (gunicorn's bound, and nginx's): a page URL holding a
// longer prompt could not even be loaded again. Such a prompt stays out of the URL; the rest stays in.
export const MAX_QUERY = 6000;

export function writeState({ prompt, model, panes, large }) {
  const params = new URLSearchParams({ prompt, model });
  for (const pane of panes) params.append('pane', paneText(pane));
  if (large) params.set('large', '1');
  if (`?${params}`.length > MAX_QUERY) params.delete('prompt');
  return `?${params}`;
}
