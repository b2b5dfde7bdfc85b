// PITFALL naive-parser: one read is taken to be whole events. Each read is split on "\n\n" at once
// and nothing is kept for the next one, so an event the network cut in two is lost (or half read),
// and a server whose lines end in CRLF never gives a "\n\n" at all.
// THE FIX (sse-parser.js): keep the unfinished line in a buffer until its line break arrives,
// and accept CRLF, LF and CR.
export const transports = ['post', 'openai'];

class NaiveDecoder {
  constructor() {
    this.text = new TextDecoder();
    this.lastEventId = ''; // ids are not read either
  }

  push(bytes) {
    const frames = [];
    for (const block of this.text.decode(bytes, { stream: true }).split('\n\n')) { // THE MISTAKE
      const lines = block.split('\n').filter(Boolean);
      const data = lines.filter((line) => line.startsWith('data: ')).map((line) => line.slice(6));
      if (data.length) frames.push({ lines, comments: [], retry: null, event: { type: 'message', data: data.join('\n'), lastEventId: '' } });
    }
    return frames;
  }
}

export const fetchParts = { decoder: () => new NaiveDecoder() };
