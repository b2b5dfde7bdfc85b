// POST + fetch: the page reads the bytes itself and parses them with EventStreamDecoder.
// After a drop it reconnects the way EventSource would: it waits `retry` ms and sends the same
// body again with Last-Event-ID, so the server continues where the stream stopped.
// `on` receives: opened(), bytes(n), frame(frame), reconnecting(lastEventId, wait), finished(kind, message).
import { EventStreamDecoder } from './sse-parser.js';
import { errorText } from './eventsource-client.js';

export function streamWithFetch(url, body, on, { maxReconnects = 20, retry = 3000 } = {}) {
  const controller = new AbortController();

  async function run() {
    let lastEventId = '';
    for (let reconnects = 0; ; reconnects += 1) {
      const headers = { 'Content-Type': 'application/json', Accept: 'text/event-stream' };
      if (lastEventId) headers['Last-Event-ID'] = lastEventId;
      const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal: controller.signal });
      if (response.status === 204) return ['closed', 'the server answered 204 No Content: the stream is complete'];
      if (!response.ok) return ['error', await statusText(response)];
      on.opened();

      const decoder = new EventStreamDecoder(lastEventId);
      const reader = response.body.getReader();
      for (;;) {
        let read;
        try {
          read = await reader.read();
        } catch (error) {
          if (controller.signal.aborted) throw error;
          break; // the network dropped the connection: reconnect below
        }
        if (read.done) break; // the server ended the response without an end signal
        on.bytes(read.value.byteLength);
        for (const frame of decoder.push(read.value)) {
          if (frame.retry !== null) retry = frame.retry;
          on.frame(frame);
          const end = endOf(frame.event);
          if (end) {
            await reader.cancel();
            return end;
          }
        }
      }

      lastEventId = decoder.lastEventId;
      if (reconnects === maxReconnects) return ['stopped', `stopped after ${maxReconnects} reconnects`];
      on.reconnecting(lastEventId, retry);
      await sleep(retry, controller.signal);
    }
  }

  return settle(run(), controller, on);
}

// The same request with "stream": false: nothing arrives until the whole reply is ready.
export function fetchWhole(url, body, on) {
  const controller = new AbortController();
  const run = async () => {
    const response = await fetch(url, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ ...body, stream: false }), signal: controller.signal,
    });
    if (!response.ok) return ['error', await statusText(response)];
    on.opened();
    const text = await response.text();
    on.bytes(new TextEncoder().encode(text).byteLength);
    on.frame({ lines: [text], comments: [], retry: null, event: { type: 'whole', data: JSON.parse(text).content, lastEventId: '' } });
    return ['done', 'the whole reply arrived at once'];
  };
  return settle(run(), controller, on);
}

// Report how a run ended, exactly once, and give the caller a way to stop it.
function settle(running, controller, on) {
  running.then(
    ([kind, message]) => on.finished(kind, message),
    (error) => {
      if (controller.signal.aborted) on.finished('stopped', 'stopped: the page aborted the fetch');
      else on.finished('error', `cannot reach the server (${error.message})`);
    },
  );
  return { stop: () => controller.abort() };
}

function endOf(event) {
  if (!event) return null;
  if (event.type === 'error') return ['error', `the server sent an error frame: ${errorText(event.data)}`];
  if (event.type === 'end') return ['done', 'the server sent an end event'];
  if (event.data === '[DONE]') return ['done', 'the server sent [DONE]'];
  return null;
}

async function statusText(response) {
  try {
    return `${response.status}: ${(await response.json()).error.message}`;
  } catch {
    return `the server answered ${response.status}`;
  }
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}
