// A chat client: the conversation goes with every request, the reply streams into the page as
// text, the end event brings the usage counts, and stop() is the Stop button.
//
//   const chat = new Chat('/api/chat', { model: 'tutor' });
//   const reply = await chat.send('你好', element); // element shows the reply as it arrives
//   chat.usage; // { prompt_chars, prompt_chunks, reply_chars, reply_chunks }: the history counts too
//   chat.stop(); // the Stop button: send() then resolves with the part that arrived
import { createParser } from './parser.js';

export class Chat {
  constructor(url = '/api/chat', options = {}) {
    this.url = url;
    this.options = options; // StreamLab's options (model, delay, ...), sent with every message
    this.history = []; // the conversation so far, [{ role, content }, ...]: the server keeps none
    this.usage = null; // the last reply's counts, from its end event; null until one ends
    this.controller = null; // aborts the reply streaming now
  }

  // Send message with the conversation so far, show the reply in element as it streams, and
  // resolve with the reply: all of it, or the part that arrived before stop().
  async send(message, element) {
    const controller = new AbortController();
    this.controller = controller;
    this.usage = null;
    let reply = '';
    try {
      const response = await fetch(this.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        // THE MISTAKE: no history in the body, so the server, which keeps no state, sees each message alone.
        body: JSON.stringify({ ...this.options, message, frame: 'json', end: 'event' }),
        signal: controller.signal, // abort() cancels the request, and the server's stream with it
      });
      this.usage = await readStream(response, (text) => {
        reply += text;
        element.textContent = reply; // text, never markup: "<b>" shows as <b>
      });
    } catch (error) {
      if (!controller.signal.aborted) throw error; // a real failure: the page shows it
      // Stopped: the user asked for it. An AbortError is not an error to show.
    }
    // Stopped or not, the history holds what the reader saw, so the next message can be about it.
    this.history.push({ role: 'user', content: message }, { role: 'assistant', content: reply });
    return reply;
  }

  // The Stop button: abort the reply streaming now, if there is one.
  stop() {
    this.controller?.abort();
  }
}

// Read a StreamLab reply (frame=json, end=event): call onText with each piece of text, and
// return the usage counts that the end event carries.
async function readStream(response, onText) {
  if (!response.ok) { // refused before the stream began: a JSON error, not events
    const { error } = await response.json();
    throw new Error(error.message);
  }
  const parser = createParser();
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) throw new Error('the stream ended before its end event: the reply is incomplete');
    for (const event of parser.push(value)) {
      if (event.type === 'end') return JSON.parse(event.data).usage; // {"usage": {"prompt_chars": ...}}
      if (event.type === 'error') throw new Error(JSON.parse(event.data).error.message);
      onText(JSON.parse(event.data).content); // {"content": "..."}
    }
  }
}
