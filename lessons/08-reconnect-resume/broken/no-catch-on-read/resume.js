// Known-bad (lesson 08): resumes only when a response ends cleanly early. A connection the network
// cuts makes reader.read() reject (TypeError: terminated), and nothing catches it. The fix: a
// try/catch around reader.read() that breaks out of the read loop, to resume like a clean cut.
// A fetch client that survives a dropped connection, the way EventSource does by itself:
// it remembers the last id, waits retry ms, and POSTs the same body again with Last-Event-ID.
//
//   const reply = await resumeChat('/api/chat', { message: '你好' }, (text) => output.append(text));
//
// Spec: https://html.spec.whatwg.org/multipage/server-sent-events.html#the-last-event-id-header
import { createParser } from '../../solution/parser.js';

export const DEFAULT_RETRY = 1000; // ms to wait before reconnecting, until the server sends retry:

const sleep = (ms) => new Promise((wake) => { setTimeout(wake, ms); });

// POST a chat request and resolve with the whole reply: at data: [DONE], or at a 204 after a
// resume. Calls onText with each new piece, exactly once, however often the connection drops.
export async function resumeChat(url, body, onText = () => {}) {
  let reply = '';
  let lastEventId = ''; // the id of the last chunk we have: the server continues after it
  let retry = DEFAULT_RETRY;
  for (;;) {
    const headers = { 'Content-Type': 'application/json' };
    if (lastEventId) headers['Last-Event-ID'] = lastEventId;
    const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
    if (response.status === 204) return reply; // nothing after lastEventId: the reply is complete
    if (!response.ok) { // refused: the same request would be refused again, so no reconnect
      const { error } = await response.json();
      throw new Error(error.message);
    }

    const parser = createParser(lastEventId);
    const reader = response.body.getReader();
    for (;;) {
      const read = await reader.read(); // THE MISTAKE: when the network drops the connection, this throws
      if (read.done) break; // the response ended without [DONE]: it was cut
      for (const event of parser.push(read.value)) {
        if (event.data === '[DONE]') return reply;
        reply += event.data;
        onText(event.data);
      }
    }

    if (parser.retry !== null) retry = parser.retry; // the server says how long to wait
    if (!parser.lastEventId || parser.lastEventId === lastEventId) {
      // No id, or no new one: the server would start over, and the text would come twice.
      throw new Error(`the stream was cut before data: [DONE], with no new id to resume from (last id: ${lastEventId || 'none'})`);
    }
    lastEventId = parser.lastEventId;
    await sleep(retry);
  }
}
