// Lesson 08: a fetch client that resumes after a dropped connection. Check your work with:
//   flask lesson check 08
// parser.js is given and works (lesson 05's parser, which also keeps id: and retry:). Read README.md first.
import { createParser } from './parser.js';

export const DEFAULT_RETRY = 1000; // ms to wait before reconnecting, until the server sends retry:

const sleep = (ms) => new Promise((wake) => { setTimeout(wake, ms); });

// POST a chat request and resolve with the whole reply: at data: [DONE], or at a 204 after a
// resume. Calls onText with each new piece, exactly once, however often the connection drops.
export async function resumeChat(url, body, onText = () => {}) {
  let reply = '';
  // TODO task 1: loop: when the response ends without [DONE], send the same request again, with
  //   the header Last-Event-ID set to parser.lastEventId. Keep the reply you already have.
  //   A connection the network cuts makes reader.read() throw instead: resume after that too.
  // TODO task 2: before each reconnect, await sleep(retry): parser.retry when the server sent
  //   one, DEFAULT_RETRY until then.
  const headers = { 'Content-Type': 'application/json' };
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  // TODO task 3: a 204 means there is nothing more: return the reply. A 4xx means the request was
  //   refused: throw new Error(the server's message), and do not reconnect.

  const parser = createParser();
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break; // the response ended without [DONE]: it was cut
    for (const event of parser.push(value)) {
      if (event.data === '[DONE]') return reply;
      reply += event.data;
      onText(event.data);
    }
  }
  // TODO task 4: only resume when this response brought a new id; with none, throw (as here).
  throw new Error('the stream was cut before data: [DONE]');
}
