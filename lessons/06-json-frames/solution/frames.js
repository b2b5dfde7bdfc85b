// Plain frames and JSON frames: the text each event adds to a reply, and a client for either.
//
//   data: Hi                  a plain frame: the data is the text
//   data: {"content": "Hi"}   a JSON frame: the text is a field of a JSON object
//   data: [DONE]              the end, in both framings: text, not JSON
//
//   const reply = await readReply('/api/chat', { message: '你好', frame: 'json' }, (text) => output.append(text));
import { createParser } from './parser.js';

// The text an event adds to the reply, in the framing the request asked for ('plain' or 'json'):
// null at the end signal, '' for an event that carries no text.
export function textOf(event, frame) {
  if (event.type !== 'message') return ''; // event: end, event: error: no reply text
  if (event.data === '[DONE]') return null; // the end: test it before parsing, [DONE] is not JSON
  if (frame === 'json') return JSON.parse(event.data).content; // \r, \n and spaces come back exactly
  return event.data; // plain: the data: lines, joined with \n
}

// POST a chat request (body: { message, frame, ...options }), call onText with each piece of text
// as it arrives, and resolve with the whole reply at data: [DONE].
export async function readReply(url, body, onText = () => {}) {
  const frame = body.frame ?? 'plain'; // StreamLab's default framing
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) { // refused before the stream began: a JSON error, not events
    const { error } = await response.json();
    throw new Error(error.message);
  }

  const parser = createParser();
  const reader = response.body.getReader();
  let reply = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) throw new Error('the stream ended before data: [DONE]: the reply is incomplete');
    for (const event of parser.push(value)) {
      const text = textOf(event, frame);
      if (text === null) return reply;
      reply += text;
      if (text) onText(text);
    }
  }
}
