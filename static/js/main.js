// The classroom page: one prompt, 2 to 4 panes, presets, and the whole state in the URL.
import { Pane } from './pane.js';
import { PRESETS } from './presets.js';
import { MAX_PANES, MIN_PANES, defaultPane, readState, writeState } from './state.js';

const app = document.getElementById('app');
const options = JSON.parse(app.dataset.options); // the server's option schema
const template = document.getElementById('pane-template');
const panesBox = document.getElementById('panes');
const form = document.getElementById('ask');
const prompt = form.elements.prompt;
const model = form.elements.model;
const large = document.getElementById('large');
let panes = [];

for (const value of options.find((option) => option.name === 'model').values) model.append(new Option(value, value));

function currentState() {
  return { prompt: prompt.value, model: model.value, panes: panes.map((pane) => pane.settings), large: large.checked };
}

function save() {
  history.replaceState(null, '', writeState(currentState(), options));
  document.documentElement.classList.toggle('large', large.checked); // rem units follow the root
  document.getElementById('add-pane').disabled = panes.length >= MAX_PANES;
  for (const pane of panes) pane.part('remove').disabled = panes.length <= MIN_PANES;
  panesBox.dataset.count = String(panes.length);
}

function showPanes(settingsList) {
  for (const pane of panes) pane.stop(); // a finished comparison gives its connections back
  panes = settingsList.map((settings) => new Pane(template, options, settings, { onChange: save, onRemove: remove }));
  panesBox.replaceChildren(...panes.map((pane) => pane.root));
  save();
}

function remove(pane) {
  if (panes.length <= MIN_PANES) return;
  pane.stop();
  showPanes(panes.filter((other) => other !== pane).map((other) => other.settings));
}

function send() {
  const sentAt = performance.now();
  for (const pane of panes) pane.start(prompt.value, model.value, sentAt);
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
document.getElementById('add-pane').addEventListener('click', () => {
  showPanes([...panes.map((pane) => pane.settings), defaultPane(options)]);
});
document.getElementById('stop-all').addEventListener('click', () => panes.forEach((pane) => pane.stop()));

const presetBox = document.getElementById('presets');
for (const preset of PRESETS) {
  const button = document.createElement('button');
  button.type = 'button';
  button.textContent = preset.title;
  button.dataset.preset = preset.id;
  button.addEventListener('click', () => {
    showPanes(preset.panes.map((settings) => ({ ...defaultPane(options), ...settings })));
    prompt.focus(); // so Enter sends straight away
  });
  presetBox.append(button);
}

const state = readState(location.search, options);
prompt.value = state.prompt;
model.value = state.model;
large.checked = state.large;
showPanes(state.panes);
