// The classroom page: one prompt, 2 to 4 panes, presets with what to watch, and the whole state in the URL.
import { language, t } from './i18n.js';
import { Pane } from './pane.js';
import { COMPARISONS, PITFALLS, PRESETS } from './presets.js';
import { MAX_PANES, MAX_PANES_HTTP2, MIN_PANES, defaultPane, readState, writeState } from './state.js';

const OPEN_STREAMS_EVERY_MS = 1000;

const app = document.getElementById('app');
const options = JSON.parse(app.dataset.options); // the server's option schema
const template = document.getElementById('pane-template');
const panesBox = document.getElementById('panes');
const form = document.getElementById('ask');
const prompt = form.elements.prompt;
const model = form.elements.model;
const large = document.getElementById('large');
const conversation = document.getElementById('conversation');
const quiz = document.getElementById('quiz');
const watch = document.getElementById('watch');
const menus = { comparisons: document.getElementById('comparisons'), pitfalls: document.getElementById('pitfall-presets') };
let panes = [];
let preset = null;
let cameFrom = ''; // the lesson whose link opened this page: its note links back there

// The protocol this page came over: over HTTP/2 every stream shares one connection, so the page
// allows more panes than the six connections of HTTP/1.1 can carry (deploy/cluster --tls).
const protocol = performance.getEntriesByType('navigation')[0]?.nextHopProtocol ?? '';
const http2 = protocol === 'h2' || protocol === 'h3';
const maxPanes = http2 ? MAX_PANES_HTTP2 : MAX_PANES;
const protocolNote = document.getElementById('protocol');
protocolNote.textContent = http2 ? 'HTTP/2' : 'HTTP/1.1'; // short: the projector's toolbar is one row
protocolNote.title = t(http2 ? 'toolbar.http2' : 'toolbar.http1', { max: maxPanes });
protocolNote.dataset.protocol = protocol;

// With FLASK_ACCESS_TOKEN set, streams need the class's token. The page asks for it once; the
// server answers with an HttpOnly cookie that every later request carries, EventSource's included.
async function signInIfAsked() {
  const signIn = document.getElementById('sign-in');
  if ((await fetch('/api/token')).status !== 401) return;
  signIn.hidden = false;
  signIn.elements.token.focus();
  signIn.addEventListener('submit', async (event) => {
    event.preventDefault();
    const answer = await fetch('/api/token', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: signIn.elements.token.value }),
    });
    signIn.querySelector('[data-role=token-error]').textContent = answer.ok ? '' : t('token.wrong');
    if (answer.ok) {
      signIn.reset();
      signIn.hidden = true;
    }
  });
}
signInIfAsked();

for (const value of options.find((option) => option.name === 'model').values) model.append(new Option(value, value));

function currentState() {
  return {
    prompt: prompt.value, model: model.value, panes: panes.map((pane) => pane.settings), large: large.checked,
    conversation: conversation.checked, quiz: quiz.checked,
    preset: preset?.id ?? '', lesson: cameFrom, lang: language,
  };
}

function save() {
  const state = currentState();
  history.replaceState(null, '', writeState(state, options));
  // The other language keeps everything else: the same comparison, in the other words.
  document.getElementById('language').search = writeState({ ...state, lang: language === 'zh-CN' ? 'en' : 'zh' }, options);
  document.documentElement.classList.toggle('large', large.checked); // rem units follow the root
  document.documentElement.classList.toggle('quiz', quiz.checked); // the panes hide their mistake's name
  document.getElementById('add-pane').disabled = panes.length >= maxPanes;
  for (const pane of panes) pane.part('remove').disabled = panes.length <= MIN_PANES;
  panesBox.dataset.count = String(panes.length);
  watchOpenStreams();
}

function showPanes(settingsList) {
  for (const pane of panes) pane.stop(); // a finished comparison gives its connections back
  panes = settingsList.map((settings) => new Pane(template, options, settings, { onChange: changed, onRemove: remove }));
  panesBox.replaceChildren(...panes.map((pane) => pane.root));
  save();
}

// A pane changed by hand: the comparison is no longer the preset's, so its note goes.
function changed() {
  showWatch(null);
  save();
}

function remove(pane) {
  if (panes.length <= MIN_PANES) return;
  pane.stop();
  showWatch(null);
  showPanes(panes.filter((other) => other !== pane).map((other) => other.settings));
}

function send() {
  const sentAt = performance.now();
  for (const pane of panes) pane.start(prompt.value, model.value, sentAt, conversation.checked);
}

// A pitfall's name, or while the class guesses (hide answers) only its number.
function pitfallName(chosen, hidden = quiz.checked) {
  return hidden ? t('quiz.bug', { n: PITFALLS.indexOf(chosen) + 1 }) : t(`preset.${chosen.id}`);
}

// What to watch: the symptom, why it happens, the fix, and the line of code that differs. While the
// class guesses, a pitfall's note shows the symptom alone until the teacher reveals the rest.
function showWatch(chosen) {
  preset = chosen;
  menus.comparisons.value = COMPARISONS.includes(chosen) ? chosen.id : '';
  menus.pitfalls.value = PITFALLS.includes(chosen) ? chosen.id : '';
  watch.hidden = !chosen;
  if (!chosen) return;
  watch.open = !large.checked; // on a projector the note is its summary line, and the panes keep their room
  const part = (role) => watch.querySelector(`[data-role="${role}"]`);
  const guessing = quiz.checked && PITFALLS.includes(chosen);
  part('title').textContent = PITFALLS.includes(chosen) ? pitfallName(chosen, guessing) : t(`preset.${chosen.id}`);
  part('answer').hidden = guessing;
  part('reveal').hidden = !guessing;
  for (const role of ['symptom', 'cause', 'fix']) part(role).textContent = t(`preset.${chosen.id}.${role}`);
  part('lesson').href = `/lessons/${cameFrom || chosen.lesson}?lang=${language === 'zh-CN' ? 'zh' : 'en'}`;
  part('code').hidden = !chosen.code;
  part('broken').textContent = chosen.code?.broken ?? '';
  part('fixed').textContent = chosen.code?.fixed ?? '';
}

function load(chosen) {
  if (chosen.prompt !== undefined) prompt.value = chosen.prompt;
  if (chosen.model !== undefined) model.value = chosen.model;
  showWatch(chosen);
  showPanes(chosen.panes.map((settings) => ({ ...defaultPane(options), ...settings })));
  prompt.focus(); // so Enter sends straight away
}

// `no-cleanup` is only visible on the server: while a pane uses it, show the server's count.
let polling = null;
function watchOpenStreams() {
  const wanted = panes.some((pane) => pane.settings.pitfall === 'no-cleanup');
  const figure = document.getElementById('open-streams');
  figure.hidden = !wanted;
  if (wanted && !polling) {
    const poll = async () => {
      try {
        const { open_streams: count } = await (await fetch('/healthz')).json();
        figure.textContent = t('toolbar.open-streams', { count });
      } catch {
        figure.textContent = t('toolbar.open-streams', { count: '?' });
      }
    };
    poll();
    polling = setInterval(poll, OPEN_STREAMS_EVERY_MS);
  } else if (!wanted && polling) {
    clearInterval(polling);
    polling = null;
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  send();
});
prompt.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) { // Shift+Enter: a new line
    event.preventDefault();
    send();
  }
});
for (const control of [prompt, model, large]) control.addEventListener('change', save);
conversation.addEventListener('change', () => {
  for (const pane of panes) {
    pane.forget();
    pane.showConversation(conversation.checked);
  }
  save();
});
document.getElementById('add-pane').addEventListener('click', () => {
  showWatch(null);
  showPanes([...panes.map((pane) => pane.settings), defaultPane(options)]);
});
document.getElementById('stop-all').addEventListener('click', () => panes.forEach((pane) => pane.stop()));
watch.querySelector('[data-role=reveal]').addEventListener('click', (event) => {
  event.target.hidden = true;
  watch.querySelector('[data-role=answer]').hidden = false;
  watch.querySelector('[data-role=title]').textContent = pitfallName(preset, false);
});
function namePitfalls() {
  for (const option of menus.pitfalls.querySelectorAll('option[value]:not([value=""])')) {
    option.textContent = pitfallName(PITFALLS.find((choice) => choice.id === option.value));
  }
}
quiz.addEventListener('change', () => {
  namePitfalls();
  showWatch(preset);
  save();
});
for (const [name, list] of [['comparisons', COMPARISONS], ['pitfalls', PITFALLS]]) {
  const menu = menus[name];
  for (const choice of list) menu.append(new Option(t(`preset.${choice.id}`), choice.id));
  menu.addEventListener('change', () => {
    cameFrom = ''; // another comparison: its own lesson
    const chosen = list.find((candidate) => candidate.id === menu.value);
    if (chosen) load(chosen);
  });
}

const state = readState(location.search, options, maxPanes, t('ask.default-prompt'));
prompt.value = state.prompt;
model.value = state.model;
large.checked = state.large;
conversation.checked = state.conversation;
quiz.checked = state.quiz;
cameFrom = state.lesson;
namePitfalls();
const linked = PRESETS.find((candidate) => candidate.id === state.preset) ?? null;
if (linked && !new URLSearchParams(location.search).has('pane')) {
  load(linked); // a lesson's link names only the preset: open it whole, its prompt and panes too
} else {
  showWatch(linked);
  showPanes(state.panes);
}
