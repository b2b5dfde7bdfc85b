// Lesson 12: a chat client. Check your work with:  flask lesson check 12
// Read README.md first. Try it in the browser:  flask --app lessons/12-chat-client/serve.py run
// then open http://127.0.0.1:5000/chat/?model=echo&delay=200 (stop `flask run` first: same port).
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
    // TODO task 4: make an AbortController, keep it in this.controller, and pass its signal to fetch.
    //   After abort(), fetch() or read() rejects with an AbortError: catch it, and carry on below
    //   (the partial reply goes into the history and is returned). Any other error is thrown on.
    this.usage = null;
    let reply = '';
    const response = await fetch(this.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      // TODO task 3: send the conversation so far with the message: history.
      body: JSON.stringify({ ...this.options, message, frame: 'json', end: 'event' }),
    });
    this.usage = await readStream(response, (text) => {
      reply += text;
      // TODO task 1: show the reply so far in element, as text (never as HTML).
    });
    // TODO task 3: add two turns to this.history: the user's message, then the assistant's reply.
    return reply;
  }

  // The Stop button: abort the reply streaming now, if there is one.
  stop() {
    // TODO task 4
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
      if (event.type === 'end') {
        // TODO task 2: event.data is the JSON {"usage": {...}}: return the usage object in it.
        return null;
      }
      if (event.type === 'error') throw new Error(JSON.parse(event.data).error.message);
      onText(JSON.parse(event.data).content); // {"content": "..."}
    }
  }
}
