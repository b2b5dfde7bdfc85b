// One pane: its own settings, one stream at a time, and what the class sees of it:
// the reply with a cursor, the frames on the wire, and live figures.
import { clientNamed } from './clients.js';
import { streamWithEventSource } from './eventsource-client.js';
import { fetchWhole, streamWithFetch } from './fetch-client.js';
import { t } from './i18n.js';
import { clientsFor, defaultPane, paneOptions } from './state.js';

const MAX_RECONNECTS = 20; // a stream without ids would otherwise start over forever
const MAX_WIRE_ROWS = 500;
const CONNECTION_HINT_MS = 2500;
const ACTIVE = new Set(['connecting', 'streaming', 'reconnecting']);
const UTF8 = new TextEncoder();
const EVENTSOURCE = new Set(['get', 'relay']); // the transports that read with EventSource: a URL, no body
const BLOCKING_OPTIONS = new Set(['chunk', 'delay', 'stall', 'fail', 'fail_times']); // all a blocking reply depends on
// OpenAI's format fixes the framing: these options would change StreamLab's own frames only.
const OPENAI_FIXES = new Set(['frame', 'end', 'ids', 'retry', 'newline', 'pitfall']);
const MAX_HISTORY = 100; // messages: the server's limit
// An emoji that is more than one code point: a skin tone, a joiner (ZWJ) or an emoji presentation selector.
const MULTI_CODE_POINT_EMOJI = /[\u{1F3FB}-\u{1F3FF}\u200D\uFE0F]/u;
// Markup that runs script, had the page's Content-Security-Policy not stopped it.
const ACTIVE_MARKUP = 'script, iframe, object, embed, [onerror], [onload], [onclick], [onmouseover], [onfocus], [href^="javascript:" i]';

export class Pane {
  constructor(template, options, settings, { onChange, onRemove }) {
    this.root = template.content.firstElementChild.cloneNode(true);
    this.part = (role) => this.root.querySelector(`[data-role="${role}"]`);
    this.options = paneOptions(options);
    this.root.querySelector('.pane-options').append(...this.options.map(optionControl));
    this.controls = Object.fromEntries(Object.keys(defaultPane(options)).map((name) => [name, this.root.querySelector(`[name="${name}"]`)]));
    this.controls.transport.value = settings.transport;
    this.offerClients();
    for (const [name, control] of Object.entries(this.controls)) {
      control.value = settings[name];
      control.addEventListener('change', () => {
        if (name === 'transport') this.offerClients();
        this.summarize();
        onChange();
      });
    }
    this.summarize();
    this.figures = Object.fromEntries([...this.root.querySelectorAll('[data-figure]')].map((dd) => [dd.dataset.figure, dd]));
    this.part('stop').addEventListener('click', () => this.stop());
    this.part('remove').addEventListener('click', () => onRemove(this));
    this.client = null;
    this.history = []; // this pane's conversation so far, when the page keeps one
    this.setState('idle');
  }

  get settings() {
    return Object.fromEntries(Object.entries(this.controls).map(([name, control]) => [name, control.value.trim()]));
  }

  // The client menu lists what this transport can run; a blocking pane hides what does not apply to it.
  offerClients() {
    const transport = this.controls.transport.value;
    const menu = this.controls.client;
    const chosen = menu.value;
    menu.replaceChildren(...clientsFor(transport).map((name) => new Option(name, name)));
    menu.value = clientsFor(transport).includes(chosen) ? chosen : 'correct';
    const blocking = transport === 'blocking';
    menu.parentElement.hidden = blocking;
    for (const option of this.options) this.controls[option.name].parentElement.hidden = !applies(transport, option.name);
    for (const figure of this.root.querySelectorAll('[data-streaming]')) figure.hidden = blocking;
  }

  // One line that says what this pane does, readable from the back of the room: a mistake first
  // (the client's or the server's), then every option set away from its default, then the lesson
  // modes left at theirs. A narrow pane cuts the line short, so what differs comes first.
  summarize() {
    const s = this.settings;
    const blocking = s.transport === 'blocking';
    const shown = (option) => {
      const value = s[option.name] || (option.name === 'delay' ? String(option.default) : '');
      const text = option.values.length ? value : `${value}${t(`unit.${option.unit}`)}`;
      return BARE.has(option.name) ? text : `${t(`option.${option.name}`)} ${text}`;
    };
    const set = (option) => s[option.name] !== '' && s[option.name] !== (option.values[0] ?? '');
    const applying = this.options.filter((option) => applies(s.transport, option.name));
    const mistake = applying.filter((option) => option.name === 'pitfall' && set(option));
    const changed = applying.filter((option) => option.name !== 'pitfall' && set(option));
    const modes = applying.filter((option) => ALWAYS.has(option.name) && !set(option));
    const mistakes = [...(s.client !== 'correct' && !blocking ? [s.client] : []), ...mistake.map(shown)];
    const summary = this.part('summary');
    summary.replaceChildren([...changed, ...modes].map(shown).join(' · '));
    if (mistakes.length) { // its own element, which the page hides while the class guesses (hide answers)
      const named = Object.assign(document.createElement('span'), { className: 'mistake', textContent: `${mistakes.join(' · ')} · ` });
      summary.prepend(named);
    }
  }

  // Start a stream of the reply to prompt. With conversation on, POST panes send the turns so far
  // as history (EventSource cannot: it only sends a URL).
  start(prompt, model, sentAt, conversation = false) {
    this.stop();
    const settings = this.settings;
    const history = conversation && !EVENTSOURCE.has(settings.transport) ? this.history : null;
    const client = clientNamed(settings.client);
    const run = {
      sentAt, client, frame: settings.transport === 'openai' ? 'openai' : settings.frame, text: '', events: 0, bytes: 0,
      explainEmoji: settings.chunk === 'char' && settings.transport !== 'blocking',
      estimated: EVENTSOURCE.has(settings.transport), reconnects: 0, over: false, warned: false, turn: conversation ? prompt : null,
    };
    this.run = run;
    this.part('text').replaceChildren();
    this.part('wire').replaceChildren();
    this.showNotice('');
    for (const figure of ['open', 'text', 'events', 'bytes', 'reconnects', 'elapsed']) this.figure(figure, '–');
    this.setState('connecting');
    this.ticker = setInterval(() => this.figure('elapsed', `${this.ms()} ms`), 100);
    if (settings.transport !== 'blocking') {
      this.hint = setTimeout(() => {
        run.waited = true;
        this.showNotice(t('notice.six-connections'), 'error');
      }, CONNECTION_HINT_MS);
    }
    const on = this.listener(run);
    const { url, body } = request(prompt, model, settings, this.options, history);
    this.showConversation(conversation);
    if (conversation && EVENTSOURCE.has(settings.transport)) this.showNotice(t('notice.history-get'));
    const limits = { maxReconnects: MAX_RECONNECTS };
    if (EVENTSOURCE.has(settings.transport)) this.client = streamWithEventSource(url, on, { ...limits, parts: client.eventSourceParts });
    else if (settings.transport === 'blocking') this.client = fetchWhole(url, body, on);
    // An SDK does not reconnect: OpenAI's streams have no ids to resume from, so a cut is an error.
    else if (settings.transport === 'openai') this.client = streamWithFetch(url, body, on, { maxReconnects: 0, parts: client.fetchParts });
    else this.client = streamWithFetch(url, body, on, { ...limits, parts: client.fetchParts });
  }

  stop() {
    this.client?.stop();
  }

  // The conversation ends: the next prompt starts a new one.
  forget() {
    this.history = [];
    this.figure('history', '0');
  }

  showConversation(on) {
    this.root.querySelector('[data-conversation]').hidden = !on || EVENTSOURCE.has(this.controls.transport.value);
  }

  // The callbacks a client reports to; each ignores a run that has been replaced or has failed.
  listener(run) {
    const live = (fn) => (...args) => run === this.run && !run.over && fn(...args);
    return {
      opened: live(() => {
        clearTimeout(this.hint);
        if (run.waited) this.showNotice(''); // connected at last: the six-connection hint is over
        if (this.figures.open.textContent === '–') this.figure('open', `${this.ms()} ms`);
        this.setState('streaming');
        this.wireNote(t('wire.connected'));
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
        const after = wait === undefined ? '' : t('wire.after', { ms: wait });
        this.wireNote(lastEventId
          ? t('wire.reconnect-with-id', { after, id: lastEventId })
          : t('wire.reconnect-without-id', { after }), 'reconnect');
      }),
      finished: live((kind, reason, detail = '') => this.finish(kind, t(`end.${reason}`, { detail }))),
    };
  }

  finish(kind, message) {
    clearTimeout(this.hint);
    clearInterval(this.ticker);
    this.figure('elapsed', `${this.ms()} ms`);
    this.setState(kind);
    this.wireNote(`■ ${message}`, kind);
    if (kind === 'done' && this.run.turn !== null) {
      this.history.push({ role: 'user', content: this.run.turn }, { role: 'assistant', content: this.run.text });
      this.history.splice(0, Math.max(0, this.history.length - MAX_HISTORY));
      this.figure('history', String(this.history.length));
    }
    if (kind === 'error') this.showNotice(message, 'error');
    else if (this.run.explainEmoji && MULTI_CODE_POINT_EMOJI.test(this.run.text)) this.showNotice(t('notice.emoji'));
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
    const kind = frame.event ? frame.event.type : 'comment';
    this.wireRow(`+${this.ms()} ms`, kind, frame.event?.lastEventId ?? '', frame.lines.join('\n'));
    let text;
    try {
      text = frame.event ? run.client.content(frame.event, run.frame) : '';
    } catch (error) {
      this.threw(run, error); // the page's own code failed, as it would in a student's app
      return;
    }
    if (!text) return;
    if (this.figures.text.textContent === '–') this.figure('text', `${this.ms()} ms`);
    run.text += text;
    run.client.render(this.part('text'), text, run.text);
    this.reportMarkup(run);
  }

  // A broken client threw: the stream stops, and the class sees the exception, not a console.
  threw(run, error) {
    run.over = true; // so the client's own "stopped" report is not shown over the exception
    this.stop();
    this.finish('error', t('end.thrown', { detail: `${error.name}: ${error.message}` }));
  }

  // innerHTML made the reply's markup part of the page: say what an attacker would have had.
  reportMarkup(run) {
    if (run.warned) return;
    const active = this.part('text').querySelector(ACTIVE_MARKUP);
    if (!active) return;
    run.warned = true;
    const markup = active.outerHTML.length > 120 ? `${active.outerHTML.slice(0, 117)}...` : active.outerHTML;
    this.showNotice(t('notice.markup', { markup }), 'error');
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

  showNotice(text, kind = 'info') {
    const notice = this.part('notice');
    notice.textContent = text;
    notice.dataset.kind = kind;
    notice.hidden = !text;
  }

  setState(state) {
    this.root.dataset.state = state;
    this.part('state').textContent = t(`state.${state}`);
    this.part('stop').disabled = !ACTIVE.has(state);
  }

  ms() {
    return Math.round(performance.now() - this.run.sentAt);
  }
}

const ALWAYS = new Set(['chunk', 'delay', 'frame', 'end', 'ids']);
const BARE = new Set(['chunk', 'delay', 'frame']); // their values say what they are: "word", "100 ms", "json"

// The control for one option: a menu of its values, or a box for a number (empty: the default).
function optionControl(option) {
  const label = document.createElement('label');
  label.title = t(`help.${option.name}`); // the schema's phrase, in the class's language
  let control;
  if (option.values.length) {
    control = document.createElement('select');
    for (const value of option.values) control.append(new Option(value, value));
  } else {
    control = document.createElement('input');
    control.inputMode = option.whole ? 'numeric' : 'decimal';
    control.placeholder = option.default === null ? t('option.off') : String(option.default);
    control.size = 4;
  }
  control.name = option.name;
  label.append(`${t(`option.${option.name}`)} `, control);
  return label;
}

// Whether a pane on transport can apply the option (the page hides the ones it cannot).
function applies(transport, name) {
  if (transport === 'blocking') return BLOCKING_OPTIONS.has(name);
  if (transport === 'openai') return !OPENAI_FIXES.has(name);
  return true;
}

// GET carries everything in the query string; POST sends JSON, numbers as numbers. The relay takes
// what /stream takes; the OpenAI pane sends a Chat Completions request, StreamLab's options as extra fields.
// The transport and the client are the page's own settings, not the server's.
function request(prompt, model, settings, paneOptions, history) {
  const options = { model };
  const numbers = new Set(paneOptions.filter((option) => !option.values.length).map((option) => option.name));
  for (const option of paneOptions) {
    const value = settings[option.name];
    if (value !== '' && applies(settings.transport, option.name)) options[option.name] = numbers.has(option.name) ? Number(value) : value;
  }
  const query = () => new URLSearchParams({ prompt, ...options });
  if (settings.transport === 'get') return { url: `/stream?${query()}` };
  if (settings.transport === 'relay') return { url: `/relay?${query()}` };
  if (settings.transport === 'openai') {
    const messages = [...(history ?? []), { role: 'user', content: prompt }];
    return { url: '/v1/chat/completions', body: { ...options, messages, stream: true, stream_options: { include_usage: true } } };
  }
  return { url: '/api/chat', body: { message: prompt, ...(history ? { history } : {}), ...options } };
}
