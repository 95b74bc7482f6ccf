/**
 * Test helper process for the JetStream redelivery test: consumes with the given durable,
 * prints `received <id>` for the first event and never finishes processing it, so the
 * parent can SIGKILL it before the ack — a crash mid-event.
 * Usage: node --import tsx nats-crash-child.ts <url> <stream> <durable> <ackWaitMs>
 */
import { createJetStreamSource } from './nats-source.js';

const [url, stream, durable, ackWaitMs] = process.argv.slice(2);
const source = createJetStreamSource({
  connection: { servers: url as string },
  stream: stream as string,
  durable: durable as string,
  ackWaitMs: Number(ackWaitMs),
});
await source.start(async (event) => {
  process.stdout.write(`received ${event.id}\n`);
  await new Promise(() => {}); // never processed: the process is killed first
});
