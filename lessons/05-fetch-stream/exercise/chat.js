// Try your streamChat() in the terminal, against a running StreamLab (`flask run`):
//
//   node lessons/05-fetch-stream/exercise/chat.js "你好 🙂"
//
// The reply is the message itself (model: 'echo'), 50 ms a character, each event cut in two
// inside a character (split: 'on') and lines ended with CRLF: what a real network may do.
import { streamChat } from './parser.js';

const message = process.argv[2] ?? 'Hello, 你好，世界 🙂 streaming!';
const server = process.env.STREAMLAB_URL ?? 'http://127.0.0.1:5000';
const body = { message, model: 'echo', delay: 50, split: 'on', newline: 'crlf' };

try {
  await streamChat(`${server}/api/chat`, body, (text) => process.stdout.write(text));
  process.stdout.write('\n');
} catch (error) {
  console.error(`\nError: ${error.message}`);
  process.exitCode = 1;
}
