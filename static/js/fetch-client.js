// POST + fetch: the page reads the bytes itself and parses them with EventStreamDecoder.
// After a drop it reconnects the way EventSource would: it waits `retry` ms and sends the same
// body again with Last-Event-ID, so the server continues where the stream stopped.
// `on` receives: opened(), bytes(n), frame(frame), reconnecting(lastEventId, wait),
// finished(kind, reason, detail), as in eventsource-client.js.
//
// The client's one part is its decoder, bytes in and frames out: static/js/pitfalls/ holds the
// broken ones (no buffer, no `stream: true`), each beside this correct one.
import { EventStreamDecoder } from './sse-parser.js';
import { errorText } from './eventsource-client.js';

export const CORRECT = {
  decoder: (lastEventId) => new EventStreamDecoder(lastEventId),
};

export function streamWithFetch(url, body, on, { maxReconnects = 20, retry = 3000, parts = CORRECT } = {}) {
  const controller = new AbortController();

  async function run() {
    let lastEventId = '';
    for (let reconnects = 0; ; reconnects += 1) {
      const headers = { 'Content-Type': 'application/json', Accept: 'text/event-stream' };
      if (lastEventId) headers['Last-Event-ID'] = lastEventId;
      const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal: controller.signal });
      if (response.status === 204) return ['closed', 'no-content'];
      if (!response.ok) return ['error', 'status', await statusText(response)];
      on.opened();

      const decoder = parts.decoder(lastEventId);
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
      if (maxReconnects === 0) return ['error', 'cut'];
      if (reconnects === maxReconnects) return ['stopped', 'reconnect-limit', String(maxReconnects)];
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
    if (!response.ok) return ['error', 'status', await statusText(response)];
    on.opened();
    const text = await response.text();
    on.bytes(new TextEncoder().encode(text).byteLength);
    on.frame({ lines: [text], comments: [], retry: null, event: { type: 'whole', data: JSON.parse(text).content, lastEventId: '' } });
    return ['done', 'whole'];
  };
  return settle(run(), controller, on);
}

// Report how a run ended, exactly once, and give the caller a way to stop it.
function settle(running, controller, on) {
  running.then(
    ([kind, reason, detail]) => on.finished(kind, reason, detail),
    (error) => {
      if (controller.signal.aborted) on.finished('stopped', 'abort');
      else on.finished('error', 'unreachable', error.message);
    },
  );
  return { stop: () => controller.abort() };
}

function endOf(event) {
  if (!event) return null;
  if (event.type === 'error') return ['error', 'error-frame', errorText(event.data)];
  // OpenAI's mid-stream error is a data line of its own: {"error": {"message": ...}}.
  if (event.type === 'message' && event.data.startsWith('{"error":')) return ['error', 'error-frame', errorText(event.data)];
  if (event.type === 'end') return ['done', 'end-event'];
  if (event.data === '[DONE]') return ['done', 'sentinel'];
  return null;
}

async function statusText(response) {
  try {
    return `${response.status}: ${(await response.json()).error.message}`;
  } catch {
    return `${response.status} ${response.statusText}`;
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
