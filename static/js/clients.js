// The page's clients: the correct one, and each broken one from static/js/pitfalls/, so a pane can
// run a classic mistake beside the fix. A client is a set of parts; a broken one replaces one part:
//   eventSourceParts  listen() and atEnd() for GET + EventSource   (eventsource-client.js)
//   fetchParts        the decoder for POST + fetch                  (fetch-client.js)
//   content           the reply text a frame carries
//   render            how that text goes into the page
import { CORRECT as eventSourceParts } from './eventsource-client.js';
import { CORRECT as fetchParts } from './fetch-client.js';
import * as innerhtml from './pitfalls/innerhtml.js';
import * as naiveParser from './pitfalls/naive-parser.js';
import * as noClose from './pitfalls/no-close.js';
import * as noStreamDecode from './pitfalls/no-stream-decode.js';
import * as onmessageOnly from './pitfalls/onmessage-only.js';
import * as parseDone from './pitfalls/parse-done.js';

// The text a frame adds to the reply, in the pane's framing. [DONE] and `end` carry none; an
// OpenAI chunk carries it in choices[0].delta.content (the first has only the role, the usage
// chunk has no choices at all).
export function content(event, frame) {
  if (event.type === 'whole') return event.data;
  if (event.type !== 'message' || event.data === '[DONE]') return '';
  if (frame === 'openai') return JSON.parse(event.data).choices?.[0]?.delta?.content ?? '';
  if (frame !== 'json') return event.data;
  return JSON.parse(event.data).content;
}

// Text goes in as a text node: whatever the reply contains, it is never parsed as HTML.
export function render(element, chunk) {
  element.append(chunk);
}

export const CORRECT = { transports: ['get', 'post', 'blocking', 'relay', 'openai'], eventSourceParts, fetchParts, content, render };

export const CLIENTS = {
  correct: CORRECT,
  'naive-parser': naiveParser,
  'no-stream-decode': noStreamDecode,
  'parse-done': parseDone,
  'onmessage-only': onmessageOnly,
  'no-close': noClose,
  innerhtml,
};

// A client by name: the correct parts, with the broken client's one part in place.
export function clientNamed(name) {
  return { ...CORRECT, ...CLIENTS[name] };
}
