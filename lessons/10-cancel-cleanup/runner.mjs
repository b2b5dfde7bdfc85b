// Lesson 10's runner, run by its grader (test_10.py) in Node. It imports the graded stop.js by
// path, runs streamReply() on each case against a real StreamLab, and prints one JSON object.
//
//   node runner.mjs PATH/stop.js CASES BASE_URL
//
// Each case is { name, body, abortAfter }: abortAfter N presses Stop (controller.abort()) once
// onText has received N pieces; 0 presses it at once, before the response arrives; null never.
// After a case that pressed Stop, the runner asks /healthz how long the server took to notice.
// The JSON follows a marker on the last line: { results: { NAME: ... } }, { importError } or { missing }.
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const [path, cases, base] = process.argv.slice(2);
const TIMEOUT = 4000; // ms for one streamReply() to settle (the longest case takes 1.6 s)
const NOTICE = 800; // ms the server may take to notice that the client left (it takes ~50; the reply has 1.5 s to go)
const MARKER = '@@lesson-10-runner@@ ';

const messageOf = (error) => (error instanceof Error ? error.message : String(error));
const sleep = (ms) => new Promise((wake) => setTimeout(wake, ms));

async function openStreams() {
  return (await (await fetch(`${base}/healthz`)).json()).open_streams;
}

function within(ms, promise) {
  let timer;
  const timeout = new Promise((wake) => { timer = setTimeout(() => wake({ outcome: 'timeout' }), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function run(streamReply, { body, abortAfter }) {
  const before = await openStreams();
  const controller = new AbortController();
  const pieces = [];
  const onText = (piece) => {
    pieces.push(piece);
    if (pieces.length === abortAfter) controller.abort(); // the Stop button
  };
  let promise;
  try {
    promise = streamReply(`${base}/api/chat`, body, onText, controller.signal);
  } catch (error) {
    return { outcome: 'threw', error: messageOf(error), pieces };
  }
  if (abortAfter === 0) controller.abort();
  if (typeof promise?.then !== 'function') return { outcome: 'not-a-promise', pieces };
  const result = await within(TIMEOUT, Promise.resolve(promise).then(
    (value) => ({ outcome: 'resolved', value: value === undefined ? 'undefined' : value }),
    (error) => ({ outcome: 'rejected', error: messageOf(error), name: error?.name ?? '', isError: error instanceof Error }),
  ));
  let noticedAfter = null; // ms until the server's open_streams was back where it was
  if (abortAfter !== null) {
    const start = Date.now();
    while (Date.now() - start < NOTICE) {
      if (await openStreams() <= before) {
        noticedAfter = Date.now() - start;
        break;
      }
      await sleep(20);
    }
  }
  return { ...result, pieces, noticedAfter };
}

async function main() {
  let module;
  try {
    module = await import(pathToFileURL(resolve(path)).href);
  } catch (error) {
    return { importError: `${error?.name ?? 'Error'}: ${messageOf(error)}` };
  }
  if (typeof module.streamReply !== 'function') return { missing: 'streamReply' };
  const results = {};
  for (const each of JSON.parse(cases)) results[each.name] = await run(module.streamReply, each);
  return { results };
}

// After a marker, since the graded code may print too; then exit, as a stream the graded code
// left open must not keep Node running.
process.stdout.write(`\n${MARKER}${JSON.stringify(await main())}\n`, () => process.exit(0));
