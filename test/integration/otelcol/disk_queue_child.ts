// Child process of the kill -9 test: runs an otlphttp exporter with a disk queue
// (fsync: always) in one of two modes.
//   produce ENDPOINT DIR : feed batches forever; print "ACK first last" once a batch's ack settled
//   drain ENDPOINT DIR   : start (replaying the queue), wait until it is empty, print "DRAINED", exit
import { Ack } from '../../../src/pipeline/ack.js';
import type { MailEvent } from '../../../src/model/mail_event.js';
import { testHost } from '../../helpers/fakes.js';
import { makeExporter } from './samples.js';

const [mode, endpoint, dir] = process.argv.slice(2);
const { exporter, tel } = makeExporter(
  'otlphttp',
  {
    endpoint,
    retry_on_failure: { initial_interval: '50ms', max_interval: '200ms', max_elapsed_time: '0s' },
    sending_queue: { storage: 'disk', directory: dir, fsync: 'always', size: 1_000_000, num_consumers: 4 },
  },
  { segmentBytes: 8 * 1024 }, // small segments: the test crosses several of them
);
await exporter.start(testHost(dir));

if (mode === 'produce') {
  const ev = (i: number): MailEvent => ({ kind: 'mail_event', time: 1764288000000 + i, host: 'mx1', mta: 'postfix', program: 'postfix/qmgr', queue_id: `Q${i}`, event: 'removed' });
  for (let b = 0; ; b++) {
    const ack = new Ack();
    await exporter.consume({ items: Array.from({ length: 5 }, (_, i) => ev(b * 5 + i)), acks: [ack] });
    await ack.settled;
    process.stdout.write(`ACK ${b * 5} ${b * 5 + 4}\n`);
  }
} else {
  while ((await tel.value('mailsight_exporter_queue_items', { component: 'otlphttp' })) > 0) await new Promise((r) => setTimeout(r, 20));
  await exporter.shutdown();
  process.stdout.write(`DRAINED ${await tel.value('mailsight_exporter_sent_items_total', { component: 'otlphttp' })}\n`);
}
