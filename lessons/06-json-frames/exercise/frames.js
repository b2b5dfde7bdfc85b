// Lesson 06: plain frames and JSON frames. Check your work with:  flask lesson check 06
// Read README.md first. Try it by hand:  node lessons/06-json-frames/exercise/chat.js
//
//   data: Hi                  a plain frame: the data is the text
//   data: {"content": "Hi"}   a JSON frame: the text is a field of a JSON object
//   data: [DONE]              the end, in both framings
import { createParser } from './parser.js';

// The text an event adds to the reply, in the framing the request asked for ('plain' or 'json'):
// null at the end signal, '' for an event that carries no text.
export function textOf(event, frame) {
  // TODO task 1: a plain frame's text is event.data; a JSON frame's text is the "content" field
  //   of the JSON object in event.data.
  // TODO task 2: at data: [DONE] return null (it is not JSON: test for it before parsing);
  //   a named event (event.type is not 'message') carries no text: return ''.
  return event.data;
}

// POST a chat request (body: { message, frame, ...options }), call onText with each piece of text
// as it arrives, and resolve with the whole reply at data: [DONE].
export async function readReply(url, body, onText = () => {}) {
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
  // TODO task 3: read until data: [DONE] (lesson 05's loop: reader.read(), parser.push(value)).
  //   For each event, textOf(event, frame) with the frame the body asked for (StreamLab's default
  //   is 'plain'): null ends the reply; other text is added to it and passed to onText.
  //   Throw an Error when the stream ends before [DONE]: the reply is incomplete.
  throw new Error('readReply() is not written yet (task 3)');
}
