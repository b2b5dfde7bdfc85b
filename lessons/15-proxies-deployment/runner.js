// Lesson 15's runner, loaded by the page the grader (test_15.py) opens on the StreamLab server.
// It imports the graded client.js, calls streamReply(url, token, onText) and reports how it settled,
// and what each `new EventSource()` was given besides its URL. Then it closes them, so one case never
// disturbs the next.

const sources = [];
const options = [];

// The client's `new EventSource(...)` finds this class: the real one, which also records its arguments.
window.EventSource = class extends EventSource {
  constructor(url, init) {
    super(url, init);
    sources.push(this);
    try {
      options.push(init === undefined ? null : JSON.parse(JSON.stringify(init)));
    } catch {
      options.push(String(init));
    }
  }
};

const sleep = (ms) => new Promise((wake) => setTimeout(wake, ms));
const messageOf = (error) => (error instanceof Error ? error.message : String(error));
const describe = (error) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

window.run = async (url, token, timeout) => {
  let module;
  try {
    module = await import('./client.js');
  } catch (error) {
    return { outcome: 'import-error', error: describe(error) };
  }
  if (typeof module.streamReply !== 'function') return { outcome: 'missing' };

  let result;
  try {
    const promise = module.streamReply(url, token, () => {});
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
  result.options = options.splice(0);
  for (const source of sources.splice(0)) source.close();
  return result;
};
