// Try your streamReply() in the terminal, against a running StreamLab (`flask run`):
//
//   node lessons/10-cancel-cleanup/exercise/try.js "你好，stop me 🙂 before I finish this sentence"
//
// The reply is the message itself (model: 'echo'), 100 ms a character. After 10 characters
// this script does what a Stop button does: controller.abort().
import { streamReply } from './stop.js';

const message = process.argv[2] ?? '你好，stop me 🙂 before I finish this sentence';
const server = process.env.STREAMLAB_URL ?? 'http://127.0.0.1:5000';
const controller = new AbortController();
let pieces = 0;

const onText = (piece) => {
  process.stdout.write(piece);
  pieces += 1;
  if (pieces === 10) controller.abort(); // the Stop button
};

try {
  const { text, stopped } = await streamReply(`${server}/api/chat`, { message, model: 'echo', delay: 100 }, onText, controller.signal);
  console.log(stopped ? `\n(stopped after ${[...text].length} characters)` : '\n(the whole reply)');
} catch (error) {
  console.error(`\nError: ${error.message}`);
  process.exitCode = 1;
}
