// The page state <-> URL round trip. Run: node --test tests/js/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { MAX_QUERY, defaultPane, paneFrom, paneText, readState, writeState } from '../../static/js/state.js';
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
    prompt: '你好 & <b>?</b>', model: 'echo', large: true,
    panes: [{ ...DEFAULT_PANE, end: 'close', retry: '200' }, { ...DEFAULT_PANE, transport: 'blocking' }],
  };
  assert.deepEqual(readState(writeState(state, OPTIONS), OPTIONS), state);
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
  const state = readState('?model=gpt&pane=a&pane=b&pane=c&pane=d&pane=e', OPTIONS);
  assert.equal(state.model, 'tutor');
  assert.equal(state.panes.length, 4);
});

test('a URL without panes shows GET next to POST', () => {
  assert.deepEqual(readState('', OPTIONS).panes.map((pane) => pane.transport), ['get', 'post']);
});
