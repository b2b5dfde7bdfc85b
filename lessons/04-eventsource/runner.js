// Lesson 04's runner, loaded by the page the grader (test_04.py) opens on the StreamLab server.
// It imports the graded client.js, calls streamReply(url, onText) and reports how it settled:
// resolved or rejected, the chunks onText received before and after, and the readyState of each
// EventSource the client opened. Then it closes them, so one case never disturbs the next.

const sources = [];

// The client's `new EventSource(url)` finds this class: the real one, which also records the object.
window.EventSource = class extends EventSource {
  constructor(...args) {
    super(...args);
    sources.push(this);
  }
};

const sleep = (ms) => new Promise((wake) => setTimeout(wake, ms));

const messageOf = (error) => (error instanceof Error ? error.message : String(error));
const describe = (error) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

window.run = async (url, { timeout = 5000, after = 0 } = {}) => {
  let module;
  try {
    module = await import('./client.js');
  } catch (error) {
    return { outcome: 'import-error', error: describe(error) };
  }
  if (typeof module.streamReply !== 'function') return { outcome: 'missing' };

  const chunks = [];
  const late = []; // chunks that arrive after the promise settled: the reply started over
  let settled = false;
  let result;
  try {
    const promise = module.streamReply(url, (chunk) => (settled ? late : chunks).push(chunk));
    if (typeof promise?.then !== 'function') {
      result = { outcome: 'not-a-promise', error: String(promise) };
    } else {
      result = await Promise.race([
        Promise.resolve(promise).then(
          (text) => ({ outcome: 'resolved', text }),
          (error) => ({ outcome: 'rejected', error: messageOf(error) }),
        ),
        sleep(timeout).then(() => ({ outcome: 'timeout' })),
      ]);
    }
  } catch (error) {
    result = { outcome: 'threw', error: describe(error) };
  }
  settled = true;
  result.readyStates = sources.map((source) => source.readyState); // the moment it settled
  result.chunks = chunks;
  await sleep(after);
  result.late = late;
  for (const source of sources.splice(0)) source.close();
  return result;
};
