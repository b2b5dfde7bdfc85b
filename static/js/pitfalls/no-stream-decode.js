// PITFALL no-stream-decode: TextDecoder.decode(bytes) without { stream: true }. When a character's
// bytes are split across two reads, each half is decoded on its own and becomes U+FFFD (�):
// Chinese and emoji turn into question marks in diamonds.
// THE FIX (sse-parser.js, EventStreamDecoder): decode(bytes, { stream: true }) keeps the first
// half until the rest arrives.
import { EventStreamDecoder } from '../sse-parser.js';

export const transports = ['post', 'openai'];

class NoStreamDecoder extends EventStreamDecoder {
  push(bytes) {
    return this.parser.push(this.text.decode(bytes)); // THE MISTAKE: no { stream: true }
  }
}

export const fetchParts = { decoder: (lastEventId) => new NoStreamDecoder(lastEventId) };
