// The browser's SSE parser, on the same cases as the server's decoder (tests/sse_cases.json).
// Run: node --test tests/js/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { EventStreamDecoder, EventStreamParser } from '../../static/js/sse-parser.js';

const CASES = JSON.parse(readFileSync(new URL('../sse_cases.json', import.meta.url), 'utf8'));
const events = (frames) => frames.filter((frame) => frame.event).map((frame) => frame.event);

for (const { name, wire, events: expected } of CASES) {
  test(`${name}: whole`, () => {
    assert.deepEqual(events(new EventStreamParser().push(wire)), expected);
  });

  test(`${name}: split at every character`, () => {
    for (let cut = 0; cut <= wire.length; cut += 1) {
      const parser = new EventStreamParser();
      const frames = [...parser.push(wire.slice(0, cut)), ...parser.push(wire.slice(cut))];
      assert.deepEqual(events(frames), expected, `cut at ${cut}`);
    }
  });

  test(`${name}: bytes split at every byte, one byte per read too`, () => {
    const bytes = new TextEncoder().encode(wire);
    for (let cut = 0; cut <= bytes.length; cut += 1) {
      const decoder = new EventStreamDecoder();
      const frames = [...decoder.push(bytes.slice(0, cut)), ...decoder.push(bytes.slice(cut))];
      assert.deepEqual(events(frames), expected, `cut at byte ${cut}`);
    }
    const decoder = new EventStreamDecoder();
    assert.deepEqual(events([...bytes].flatMap((byte) => decoder.push(new Uint8Array([byte])))), expected);
  });
}

test('a frame keeps its lines, comments and retry for the wire view', () => {
  const [open, chunk] = new EventStreamParser().push(': ok\nretry: 500\n\nid: 1\ndata: a\ndata: b\n\n');
  assert.deepEqual(open, { lines: [': ok', 'retry: 500'], comments: ['ok'], retry: 500, event: null });
  assert.deepEqual(chunk.lines, ['id: 1', 'data: a', 'data: b']);
  assert.deepEqual(chunk.event, { type: 'message', data: 'a\nb', lastEventId: '1' });
});

test('a CRLF split across reads is one line break, not two', () => {
  const parser = new EventStreamParser();
  const frames = [...parser.push('data: a\r'), ...parser.push('\ndata: b\r'), ...parser.push('\n\r\n')];
  assert.deepEqual(events(frames), [{ type: 'message', data: 'a\nb', lastEventId: '' }]);
});

test('the last event id carries over to a resumed connection', () => {
  const frames = new EventStreamParser('7').push('data: x\n\n');
  assert.equal(frames[0].event.lastEventId, '7');
});

test('an id only becomes the resume point at the blank line that ends its event', () => {
  const parser = new EventStreamParser();
  parser.push('id: 1\ndata: a\n\nid: 2\ndata: b\n');
  assert.equal(parser.lastEventId, '1'); // event 2 never ended: a reconnect must resume after 1
  parser.push('\nid: 3\n\n');
  assert.equal(parser.lastEventId, '3'); // an event with no data still sets it (and dispatches nothing)
});
