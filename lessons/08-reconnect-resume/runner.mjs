// Lesson 08's runner, run by its grader (test_08.py) in Node. It imports the graded resume.js by
// path, runs resumeChat() on every case at once, and prints one JSON object.
//
//   node runner.mjs PATH/resume.js CASES    each case { name, body, url }: resumeChat(url?case=NAME, body, onText)
//
// fetch is wrapped to log each request a case sends: when (ms since the case began), its
// Last-Event-ID header (and lastEventId query), its body, the response's status, and when that
// response's body ended. The server ignores the extra query parameter `case`.
// The JSON follows a marker on the last line: { results: { NAME: ... } }, { importError } or { missing }.
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const [path, cases] = process.argv.slice(2);
const TIMEOUT = 4000; // ms for one resumeChat() to settle
const MARKER = '@@lesson-08-runner@@ ';

const messageOf = (error) => (error instanceof Error ? error.message : String(error));
const logs = new Map(); // case name -> { started, requests }

const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const request = new Request(input, init);
  const log = logs.get(new URL(request.url).searchParams.get('case'));
  const since = () => Math.round(performance.now() - (log?.started ?? 0));
  const entry = {
    at: since(),
    lastEventId: request.headers.get('Last-Event-ID'),
    query: new URL(request.url).searchParams.get('lastEventId'),
    method: request.method,
    body: await request.clone().text(),
    status: null,
    endedAt: null,
  };
  log?.requests.push(entry);
  const response = await realFetch(request);
  entry.status = response.status;
  if (!response.body) {
    entry.endedAt = since();
    return response;
  }
  const watched = response.body.pipeThrough(new TransformStream({ flush() { entry.endedAt = since(); } }));
  return new Response(watched, { status: response.status, statusText: response.statusText, headers: response.headers });
};

// The promise's outcome, or { outcome: 'timeout' } after ms.
function within(ms, promise) {
  let timer;
  const timeout = new Promise((wake) => { timer = setTimeout(() => wake({ outcome: 'timeout' }), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function chat(resumeChat, { name, body, url }) {
  const log = { started: performance.now(), requests: [] };
  logs.set(name, log);
  const pieces = [];
  const caseUrl = `${url}?case=${encodeURIComponent(name)}`;
  let promise;
  try {
    promise = resumeChat(caseUrl, body, (text) => pieces.push(text));
  } catch (error) {
    return { outcome: 'threw', error: messageOf(error), pieces, requests: log.requests };
  }
  if (typeof promise?.then !== 'function') return { outcome: 'not-a-promise', pieces, requests: log.requests };
  const result = await within(TIMEOUT, Promise.resolve(promise).then(
    (text) => ({ outcome: 'resolved', text: typeof text === 'string' ? text : String(text) }),
    (error) => ({ outcome: 'rejected', error: `${error?.name ?? 'Error'}: ${messageOf(error)}`, isError: error instanceof Error }),
  ));
  return { ...result, pieces: [...pieces], requests: log.requests.map((entry) => ({ ...entry })) };
}

async function main() {
  let module;
  try {
    module = await import(pathToFileURL(resolve(path)).href);
  } catch (error) {
    return { importError: `${error?.name ?? 'Error'}: ${messageOf(error)}` };
  }
  if (typeof module.resumeChat !== 'function') return { missing: 'resumeChat' };
  const all = JSON.parse(cases);
  const done = await Promise.all(all.map((each) => chat(module.resumeChat, each)));
  return { results: Object.fromEntries(all.map((each, index) => [each.name, done[index]])) };
}

// After a marker, since the graded code may print too; then exit, as a client still
// reconnecting after its case timed out must not keep Node running.
process.stdout.write(`\n${MARKER}${JSON.stringify(await main())}\n`, () => process.exit(0));
