// One pane: its own settings, one stream at a time, and what the class sees of it:
// the reply with a cursor, the frames on the wire, and live figures.
import { streamWithEventSource } from './eventsource-client.js';
import { fetchWhole, streamWithFetch } from './fetch-client.js';
import { defaultPane, paneOptions } from './state.js';

const MAX_RECONNECTS = 20; // a stream without ids would otherwise start over forever
const MAX_WIRE_ROWS = 500;
const CONNECTION_HINT_MS = 2500;
const ACTIVE = new Set(['connecting', 'streaming', 'reconnecting']);
const UTF8 = new TextEncoder();

export class Pane {
  constructor(template, options, settings, { onChange, onRemove }) {
    this.root = template.content.firstElementChild.cloneNode(true);
    this.part = (role) => this.root.querySelector(`[data-role="${role}"]`);
    this.options = paneOptions(options);
    this.root.querySelector('.pane-options').append(...this.options.map(optionControl));
    this.controls = Object.fromEntries(Object.keys(defaultPane(options)).map((name) => [name, this.root.querySelector(`[name="${name}"]`)]));
    for (const [name, control] of Object.entries(this.controls)) {
      control.value = settings[name];
      control.addEventListener('change', () => {
        this.summarize();
        onChange();
      });
    }
    this.summarize();
    this.figures = Object.fromEntries([...this.root.querySelectorAll('[data-figure]')].map((dd) => [dd.dataset.figure, dd]));
    this.part('stop').addEventListener('click', () => this.stop());
    this.part('remove').addEventListener('click', () => onRemove(this));
    this.client = null;
    this.setState('idle');
  }

  get settings() {
    return Object.fromEntries(Object.entries(this.controls).map(([name, control]) => [name, control.value.trim()]));
  }

  // One line that says what this pane does, readable from the back of the room: the lesson
  // modes always, and any other option that differs from its default (a pitfall, a fault).
  summarize() {
    const s = this.settings;
    const parts = this.options.map((option) => {
      const value = s[option.name] || (option.name === 'delay' ? String(option.default) : '');
      if (!value || (!ALWAYS.has(option.name) && value === option.values[0])) return '';
      const shown = option.values.length ? value : `${value}${UNITS[option.unit] ?? ''}`;
      return BARE.has(option.name) ? shown : `${labelOf(option)} ${shown}`;
    });
    this.part('summary').textContent = parts.filter(Boolean).join(' · ');
  }

  start(prompt, model, sentAt) {
    this.stop();
    const settings = this.settings;
    const run = { sentAt, frame: settings.frame, events: 0, bytes: 0, estimated: settings.transport === 'get', reconnects: 0 };
    this.run = run;
    this.part('text').textContent = '';
    this.part('wire').replaceChildren();
    this.showNotice('');
    for (const figure of ['open', 'text', 'events', 'bytes', 'reconnects', 'elapsed']) this.figure(figure, '–');
    this.setState('connecting');
    this.ticker = setInterval(() => this.figure('elapsed', `${this.ms()} ms`), 100);
    if (settings.transport !== 'blocking') {
      this.hint = setTimeout(() => this.showNotice(
        'Still waiting for a connection. Over HTTP/1.1 a browser opens at most six connections to one ' +
        'server, shared by all its tabs: stop other panes or close other StreamLab tabs.'), CONNECTION_HINT_MS);
    }
    const on = this.listener(run);
    const { url, body } = request(prompt, model, settings, this.options);
    if (settings.transport === 'get') this.client = streamWithEventSource(url, on, { maxReconnects: MAX_RECONNECTS });
    else if (settings.transport === 'post') this.client = streamWithFetch(url, body, on, { maxReconnects: MAX_RECONNECTS });
    else this.client = fetchWhole(url, body, on);
  }

  stop() {
    this.client?.stop();
  }

  // The callbacks a client reports to; each ignores a run that has been replaced.
  listener(run) {
    const live = (fn) => (...args) => run === this.run && fn(...args);
    return {
      opened: live(() => {
        clearTimeout(this.hint);
        this.showNotice('');
        if (this.figures.open.textContent === '–') this.figure('open', `${this.ms()} ms`);
        this.setState('streaming');
        this.wireNote('● connected');
      }),
      bytes: live((n) => {
        run.bytes += n;
        this.figure('bytes', String(run.bytes));
      }),
      frame: live((frame) => this.addFrame(run, frame)),
      reconnecting: live((lastEventId, wait) => {
        run.reconnects += 1;
        this.figure('reconnects', String(run.reconnects));
        this.setState('reconnecting');
        const after = wait === undefined ? '' : ` in ${wait} ms`;
        this.wireNote(lastEventId
          ? `↻ reconnecting${after} with Last-Event-ID: ${lastEventId}`
          : `↻ reconnecting${after} without Last-Event-ID: the stream starts over`, 'reconnect');
      }),
      finished: live((kind, message) => {
        clearTimeout(this.hint);
        clearInterval(this.ticker);
        this.figure('elapsed', `${this.ms()} ms`);
        this.setState(kind);
        this.wireNote(`■ ${message}`, kind);
        if (kind === 'error') this.showNotice(message);
        this.client = null;
      }),
    };
  }

  addFrame(run, frame) {
    if (frame.event) {
      run.events += 1;
      this.figure('events', String(run.events));
    }
    if (run.estimated) {
      run.bytes += UTF8.encode(`${frame.lines.join('\n')}\n\n`).byteLength;
      this.figure('bytes', `≈${run.bytes}`);
    }
    const text = contentOf(frame.event, run.frame);
    if (text) {
      if (this.figures.text.textContent === '–') this.figure('text', `${this.ms()} ms`);
      this.part('text').append(text); // a text node: the reply is never parsed as HTML
    }
    const kind = frame.event ? frame.event.type : 'comment';
    const id = frame.event?.lastEventId ?? '';
    this.wireRow(`+${this.ms()} ms`, kind, id, frame.lines.join('\n'));
  }

  wireNote(text, kind = 'note') {
    this.wireRow(`+${this.ms()} ms`, kind, '', text);
  }

  wireRow(time, kind, id, text) {
    const row = document.createElement('li');
    row.className = `wire-${kind}`;
    for (const [name, value] of [['time', time], ['kind', kind], ['id', id], ['lines', text]]) {
      const cell = document.createElement(name === 'lines' ? 'pre' : 'span');
      cell.className = name;
      cell.textContent = value;
      row.append(cell);
    }
    const wire = this.part('wire');
    wire.append(row);
    if (wire.children.length > MAX_WIRE_ROWS) wire.firstElementChild.remove();
    wire.scrollTop = wire.scrollHeight;
  }

  figure(name, value) {
    this.figures[name].textContent = value;
  }

  showNotice(text) {
    const notice = this.part('notice');
    notice.textContent = text;
    notice.hidden = !text;
  }

  setState(state) {
    this.root.dataset.state = state;
    this.part('state').textContent = state;
    this.part('stop').disabled = !ACTIVE.has(state);
  }

  ms() {
    return Math.round(performance.now() - this.run.sentAt);
  }
}

// The text a frame adds to the reply, in this pane's framing.
function contentOf(event, frame) {
  if (!event) return '';
  if (event.type === 'whole') return event.data;
  if (event.type !== 'message' || event.data === '[DONE]') return '';
  if (frame !== 'json') return event.data;
  try {
    return JSON.parse(event.data).content ?? '';
  } catch {
    return '';
  }
}

const ALWAYS = new Set(['chunk', 'delay', 'frame', 'end', 'ids']);
const BARE = new Set(['chunk', 'delay', 'frame']); // their values say what they are: "word", "100 ms", "json"
const UNITS = { milliseconds: ' ms', seconds: ' s' };

function labelOf(option) {
  return option.name.replaceAll('_', ' ');
}

// The control for one option: a menu of its values, or a box for a number (empty: the default).
function optionControl(option) {
  const label = document.createElement('label');
  label.title = option.help; // the schema's phrase, as in `flask chat --help`
  let control;
  if (option.values.length) {
    control = document.createElement('select');
    for (const value of option.values) control.append(new Option(value, value));
  } else {
    control = document.createElement('input');
    control.inputMode = option.whole ? 'numeric' : 'decimal';
    control.placeholder = option.default === null ? 'off' : String(option.default);
    control.size = 4;
  }
  control.name = option.name;
  label.append(`${labelOf(option)} `, control);
  return label;
}

// GET carries everything in the query string; POST sends JSON, numbers as numbers.
function request(prompt, model, settings, paneOptions) {
  const options = { model };
  const numbers = new Set(paneOptions.filter((option) => !option.values.length).map((option) => option.name));
  for (const [name, value] of Object.entries(settings)) {
    if (name !== 'transport' && value !== '') options[name] = numbers.has(name) ? Number(value) : value;
  }
  if (settings.transport === 'get') return { url: `/stream?${new URLSearchParams({ prompt, ...options })}` };
  return { url: '/api/chat', body: { message: prompt, ...options } };
}
