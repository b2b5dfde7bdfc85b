// Lesson 12's runner, loaded by the page the grader (test_12.py) opens on the StreamLab server.
// It imports the graded chat.js, makes a Chat and calls send(message, element) on it, each time
// into a new element, and reports how the call settled, what the element showed while the reply
// streamed and at the end, and the chat's usage and history. With stopAt, it clicks "Stop"
// (chat.stop()) once the element shows that many characters.

let chat = null;

const sleep = (ms) => new Promise((wake) => setTimeout(wake, ms));
const describe = (error) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));
const copy = (value) => JSON.parse(JSON.stringify(value ?? null)); // what the chat holds, as plain JSON

window.newChat = async (options) => {
  let module;
  try {
    module = await import('./chat.js');
  } catch (error) {
    return { outcome: 'import-error', error: describe(error) };
  }
  if (typeof module.Chat !== 'function') return { outcome: 'missing' };
  try {
    chat = new module.Chat('/api/chat', options);
  } catch (error) {
    return { outcome: 'threw', error: describe(error) };
  }
  return { outcome: 'made', usage: copy(chat.usage), history: copy(chat.history) };
};

window.send = async (message, { timeout = 3000, stopAt = 0, afterStop = 1000 } = {}) => {
  const element = document.createElement('div');
  document.body.append(element);
  const seen = []; // each text the element showed, in order
  const look = () => {
    if (seen.at(-1) !== element.textContent) seen.push(element.textContent);
  };
  let settled = null;
  let stoppedAt = null;
  let stopError = '';
  const started = performance.now();
  try {
    const promise = chat.send(message, element);
    if (typeof promise?.then !== 'function') return { outcome: 'not-a-promise', error: String(promise) };
    promise.then(
      (text) => { settled = { outcome: 'resolved', text }; },
      (error) => { settled = { outcome: 'rejected', error: describe(error), name: error?.name ?? '' }; },
    );
  } catch (error) {
    return { outcome: 'threw', error: describe(error) };
  }
  while (settled === null) {
    look();
    if (stopAt && stoppedAt === null && [...element.textContent].length >= stopAt) {
      stoppedAt = performance.now();
      try {
        chat.stop();
      } catch (error) {
        stopError = describe(error);
      }
    }
    const now = performance.now();
    if (stoppedAt === null ? now - started > timeout : now - stoppedAt > afterStop) break;
    await sleep(5);
  }
  look();
  const result = settled ?? { outcome: stoppedAt === null ? 'timeout' : 'timeout-after-stop' };
  const elements = [...element.querySelectorAll('*')].map((each) => each.outerHTML.slice(0, 80));
  if (elements.length) await sleep(300); // time for an <img onerror> to run, if it does
  return {
    ...result,
    shown: element.textContent,
    seen,
    elements,
    ran: window.pwned === true, // set by the onerror of an <img> in a prompt, if it became a real image
    stopped: stoppedAt !== null,
    stopError,
    usage: copy(chat.usage),
    history: copy(chat.history),
  };
};
