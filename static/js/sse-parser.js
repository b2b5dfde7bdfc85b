// An incremental parser for text/event-stream, written to the WHATWG rules:
// https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
// Feed it text as it arrives, in pieces of any size; it returns each finished frame.
//
// A frame is one block of lines ended by a blank line:
//   { lines, comments, retry, event }   event = { type, data, lastEventId } or null
// `event` is null when the block had no data line: the spec dispatches nothing then.

const LINE_BREAK = /\r\n|\r|\n/g; // only these three; U+2028 and friends are not line breaks

export class EventStreamParser {
  constructor(lastEventId = '') {
    this.lastEventId = lastEventId; // what a reconnect sends; kept across reconnects, like EventSource does
    this.idBuffer = lastEventId; // set by an id: line, committed to lastEventId at the blank line
    this.pending = ''; // the start of a line whose end has not arrived yet
    this.afterCR = false; // the last piece ended with CR: a LF next belongs to it
    this.started = false;
    this.reset();
  }

  reset() {
    this.lines = [];
    this.comments = [];
    this.data = [];
    this.type = '';
    this.retry = null;
  }

  push(text) {
    if (!this.started && text) {
      this.started = true;
      if (text.startsWith('\uFEFF')) text = text.slice(1); // one leading BOM is ignored
    }
    if (this.afterCR && text.startsWith('\n')) text = text.slice(1); // CRLF split across pieces
    this.afterCR = false;
    const input = this.pending + text;
    const frames = [];
    let start = 0;
    LINE_BREAK.lastIndex = 0;
    for (let match; (match = LINE_BREAK.exec(input)); start = LINE_BREAK.lastIndex) {
      if (match[0] === '\r' && LINE_BREAK.lastIndex === input.length) this.afterCR = true;
      const frame = this.line(input.slice(start, match.index));
      if (frame) frames.push(frame);
    }
    this.pending = input.slice(start);
    return frames;
  }

  line(line) {
    if (line === '') return this.dispatch();
    this.lines.push(line);
    if (line.startsWith(':')) {
      this.comments.push(line.slice(1).replace(/^ /, ''));
      return null;
    }
    const colon = line.indexOf(':');
    const name = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, ''); // one space only
    if (name === 'data') this.data.push(value);
    else if (name === 'event') this.type = value;
    else if (name === 'id' && !value.includes('\0')) this.idBuffer = value;
    else if (name === 'retry' && /^[0-9]+$/.test(value)) this.retry = Number(value);
    return null; // any other field is ignored
  }

  dispatch() {
    // At every blank line, as the spec says: an event that never ends never moves the resume point.
    this.lastEventId = this.idBuffer;
    if (this.lines.length === 0) return null; // a blank line after a blank line
    const event = this.data.length
      ? { type: this.type || 'message', data: this.data.join('\n'), lastEventId: this.lastEventId }
      : null;
    const frame = { lines: this.lines, comments: this.comments, retry: this.retry, event };
    this.reset();
    return frame;
  }
}

// Bytes in, frames out: TextDecoder with `stream: true` keeps a character whose bytes are
// split across two reads whole, instead of turning each half into U+FFFD.
export class EventStreamDecoder {
  constructor(lastEventId = '') {
    this.text = new TextDecoder('utf-8');
    this.parser = new EventStreamParser(lastEventId);
  }

  push(bytes) {
    return this.parser.push(this.text.decode(bytes, { stream: true }));
  }

  get lastEventId() {
    return this.parser.lastEventId;
  }
}
