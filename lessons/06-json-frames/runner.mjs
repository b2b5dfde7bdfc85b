// Lesson 06's runner, run by its grader (test_06.py) in Node. It imports the graded frames.js by
// path and prints one JSON object: what the module did with each case the grader gave it.
//
//   node runner.mjs text PATH/frames.js CASES       each case { name, event, frame }: textOf(event, frame)
//   node runner.mjs read PATH/frames.js CASES URL   each case { name, body }: readReply(URL, body, onText)
//
// The JSON follows a marker on the last line: { results: { NAME: ... } }, { importError } or { missing }.
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const [mode, path, cases, url] = process.argv.slice(2);
const TIMEOUT = 3000; // ms for a readReply() to settle: each stream here ends within milliseconds
const MARKER = '@@lesson-06-runner@@ ';

const messageOf = (error) => (error instanceof Error ? error.message : String(error));

// The promise's outcome, or { outcome: 'timeout' } after ms.
function within(ms, promise) {
  let timer;
  const timeout = new Promise((wake) => { timer = setTimeout(() => wake({ outcome: 'timeout' }), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// What textOf returned, in JSON: null stays null, undefined and other types are said so.
function text(textOf, { event, frame }) {
  try {
    const value = textOf(event, frame);
    if (value === undefined) return { kind: 'undefined' };
    if (value !== null && typeof value !== 'string') return { kind: typeof value, shown: JSON.stringify(value) ?? String(value) };
    return { value };
  } catch (error) {
    return { error: `${error?.name ?? 'Error'}: ${messageOf(error)}` };
  }
}

async function read(readReply, { body }) {
  const pieces = [];
  let promise;
  try {
    promise = readReply(url, body, (piece) => pieces.push(piece));
  } catch (error) {
    return { outcome: 'threw', error: `${error?.name ?? 'Error'}: ${messageOf(error)}`, pieces };
  }
  if (typeof promise?.then !== 'function') return { outcome: 'not-a-promise', pieces };
  const result = await within(TIMEOUT, Promise.resolve(promise).then(
    (reply) => ({ outcome: 'resolved', text: typeof reply === 'string' ? reply : String(reply) }),
    (error) => ({ outcome: 'rejected', error: `${error?.name ?? 'Error'}: ${messageOf(error)}` }),
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
  const name = mode === 'text' ? 'textOf' : 'readReply';
  if (typeof module[name] !== 'function') return { missing: name };
  // All at once: a readReply() that never settles costs one TIMEOUT, not one per case.
  const all = JSON.parse(cases);
  const found = await Promise.all(all.map((each) => (mode === 'text' ? text(module[name], each) : read(module[name], each))));
  return { results: Object.fromEntries(all.map((each, index) => [each.name, found[index]])) };
}

// After a marker, since the graded code may print too; then exit, as a stream the graded code
// left open must not keep Node running.
process.stdout.write(`\n${MARKER}${JSON.stringify(await main())}\n`, () => process.exit(0));
