// The page state <-> URL round trip. Run: node --test tests/js/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { MAX_QUERY, clientsFor, defaultPane, paneFrom, paneText, readState, writeState } from '../../static/js/state.js';
import { PRESETS } from '../../static/js/presets.js';

// The server's option schema, as the page receives it (tests/test_pages.py keeps this file equal to it).
const OPTIONS = JSON.parse(readFileSync(new URL('./options.json', import.meta.url)));
const DEFAULT_PANE = defaultPane(OPTIONS);

test('a pane lists only what differs from the defaults', () => {
  assert.equal(paneText(DEFAULT_PANE, OPTIONS), '');
  assert.equal(paneText({ ...DEFAULT_PANE, transport: 'post', frame: 'json', drop_after: '5' }, OPTIONS), 'transport:post,frame:json,drop_after:5');
});

test('state survives the URL, Chinese and all', () => {
  const state = {
    prompt: '你好 & <b>?</b>', model: 'echo', large: true, conversation: true, quiz: true, preset: 'no-close', lang: 'zh',
    lesson: '08-reconnect-resume',
    panes: [{ ...DEFAULT_PANE, end: 'close', retry: '200', client: 'no-close' }, { ...DEFAULT_PANE, transport: 'blocking' }],
  };
  assert.deepEqual(readState(writeState(state, OPTIONS), OPTIONS), state);
});

test('a lesson that opened the page is kept only when it looks like one', () => {
  assert.equal(readState('?lesson=08-reconnect-resume', OPTIONS).lesson, '08-reconnect-resume');
  assert.equal(readState('?lesson=../../evil', OPTIONS).lesson, '');
});

test('a prompt too long for a URL stays out of it, and the panes stay in', () => {
  const panes = [{ ...DEFAULT_PANE, transport: 'post' }, DEFAULT_PANE];
  const long = writeState({ prompt: '你'.repeat(1000), model: 'echo', panes, large: false }, OPTIONS);
  assert.ok(long.length <= MAX_QUERY);
  assert.ok(!long.includes('prompt='));
  assert.deepEqual(readState(long, OPTIONS).panes, panes);
  const fits = writeState({ prompt: '你'.repeat(500), model: 'echo', panes, large: false }, OPTIONS);
  assert.equal(readState(fits, OPTIONS).prompt, '你'.repeat(500));
});

test('every preset survives the URL', () => {
  for (const preset of PRESETS) {
    const panes = preset.panes.map((pane) => ({ ...DEFAULT_PANE, ...pane }));
    assert.deepEqual(readState(writeState({ prompt: 'p', model: 'tutor', panes, large: false }, OPTIONS), OPTIONS).panes, panes, preset.id);
  }
});

test('invalid values from a hand-edited URL are dropped, not passed to the server', () => {
  assert.deepEqual(paneFrom('frame:xml,delay:-5,transport:ftp,bogus:1,ids:off,heartbeat:0.5,delay:1.5', OPTIONS), { ...DEFAULT_PANE, ids: 'off', heartbeat: '0.5' });
  assert.equal(paneFrom('client:toString', OPTIONS).client, 'correct');
  assert.equal(paneFrom('pitfall:no-blank-line,split:on', OPTIONS).pitfall, 'no-blank-line');
  const state = readState('?model=gpt&pane=a&pane=b&pane=c&pane=d&pane=e', OPTIONS);
  assert.equal(state.model, 'tutor');
  assert.equal(state.panes.length, 4);
});

test('a broken client runs only on the transport whose mistake it is', () => {
  assert.deepEqual(clientsFor('get'), ['correct', 'parse-done', 'onmessage-only', 'no-close', 'innerhtml']);
  assert.deepEqual(clientsFor('post'), ['correct', 'naive-parser', 'no-stream-decode', 'parse-done', 'innerhtml']);
  assert.deepEqual(clientsFor('blocking'), ['correct']);
  assert.equal(paneFrom('transport:post,client:naive-parser', OPTIONS).client, 'naive-parser');
  assert.equal(paneFrom('transport:get,client:naive-parser', OPTIONS).client, 'correct');
  assert.equal(paneFrom('transport:blocking,client:innerhtml', OPTIONS).client, 'correct');
});

test('every preset runs each broken client on its own transport', () => {
  for (const preset of PRESETS) {
    for (const pane of preset.panes) {
      const settings = { ...DEFAULT_PANE, ...pane };
      assert.ok(clientsFor(settings.transport).includes(settings.client), `${preset.id}: ${settings.client}`);
    }
  }
});

test('a URL without panes shows GET next to POST', () => {
  assert.deepEqual(readState('', OPTIONS).panes.map((pane) => pane.transport), ['get', 'post']);
});

test('every preset names a lesson of the course', () => {
  const lessons = readdirSync(new URL('../../lessons/', import.meta.url)).filter((name) => /^\d\d-/.test(name));
  for (const preset of PRESETS) assert.ok(lessons.includes(preset.lesson), `${preset.id}: ${preset.lesson}`);
});
