// Lesson 05's runner, run by its grader (test_05.py) in Node. It imports the graded parser.js by
// path and prints one JSON object: what the module did with each case the grader gave it.
//
//   node runner.mjs parser PATH/parser.js CASES   each case { name, pieces }: the pieces (hex) pushed
//                                                 one by one into one createParser()
//   node runner.mjs chat PATH/parser.js CASES URL each case { name, body }: streamChat(URL, body, onText)
//
// The JSON follows a marker on the last line: { results: { NAME: ... } }, { importError } or { missing }.
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const [mode, path, cases, url] = process.argv.slice(2);
const TIMEOUT = 10000; // ms for one streamChat() to settle
const MARKER = '@@lesson-05-runner@@ ';

const messageOf = (error) => (error instanceof Error ? error.message : String(error));

// The promise's outcome, or { outcome: 'timeout' } after ms.
function within(ms, promise) {
  let timer;
  const timeout = new Promise((wake) => { timer = setTimeout(() => wake({ outcome: 'timeout' }), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function eventOf(event) {
  if (event === null || typeof event !== 'object') return { notAnEvent: event === undefined ? 'undefined' : JSON.stringify(event) };
  return { type: event.type, data: event.data };
}

function parse(createParser, { pieces }) {
  try {
    const parser = createParser();
    const events = [];
    for (const piece of pieces) {
      const found = parser.push(Uint8Array.from(Buffer.from(piece, 'hex')));
      if (!Array.isArray(found)) return { error: `push() returned ${found === undefined ? 'undefined' : JSON.stringify(found)}, not an array` };
      events.push(...found.map(eventOf));
    }
    return { events };
  } catch (error) {
    return { error: `${error?.name ?? 'Error'}: ${messageOf(error)}` };
  }
}

async function chat(streamChat, { body }) {
  const pieces = [];
  let promise;
  try {
    promise = streamChat(url, body, (text) => pieces.push(text));
  } catch (error) {
    return { outcome: 'threw', error: messageOf(error), pieces };
  }
  if (typeof promise?.then !== 'function') return { outcome: 'not-a-promise', pieces };
  const result = await within(TIMEOUT, Promise.resolve(promise).then(
    (text) => ({ outcome: 'resolved', text: typeof text === 'string' ? text : String(text) }),
    (error) => ({ outcome: 'rejected', error: messageOf(error), isError: error instanceof Error }),
  ));
  return { ...result, pieces };
}

async function main() {
  let module;
  try {
    module = await import(pathToFileURL(resolve(path)).href);
  } catch (error) {
    return { importError: `${error?.name ?? 'Error'}: ${messageOf(error)}` };
  }
  const name = mode === 'parser' ? 'createParser' : 'streamChat';
  if (typeof module[name] !== 'function') return { missing: name };
  const results = {};
  for (const each of JSON.parse(cases)) {
    results[each.name] = mode === 'parser' ? parse(module[name], each) : await chat(module[name], each);
  }
  return { results };
}

// After a marker, since the graded code may print too; then exit, as a stream the graded code
// left open must not keep Node running.
process.stdout.write(`\n${MARKER}${JSON.stringify(await main())}\n`, () => process.exit(0));
