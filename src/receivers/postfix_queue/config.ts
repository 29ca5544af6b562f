// Config of the postfix_queue receiver.
import { Type, type Static } from '@sinclair/typebox';
import { Duration, Strict } from '../../config/types.js';

export const PostfixQueueConfig = Strict(
  {
    command: Type.Array(Type.String({ minLength: 1 }), {
      minItems: 1,
      default: ['postqueue', '-j'],
      description:
        'Command (argv, no shell) that prints the queue as `postqueue -j` does: one JSON object per message. ' +
        'Remote or containerised Postfix: e.g. [ssh, mx1, postqueue, -j], [docker, exec, postfix, postqueue, -j], ' +
        'or another instance: [postqueue, -c, /etc/postfix-out, -j]. It runs in its own process group with LC_ALL=C; at a timeout ' +
        'or shutdown the whole group gets SIGTERM, then SIGKILL 1 s later.',
      examples: [['postqueue', '-j'], ['ssh', '-o', 'BatchMode=yes', 'mx1', 'postqueue', '-j'], ['docker', 'exec', 'postfix', 'postqueue', '-j']],
    }),
    interval: Duration({ default: '30s', description: 'Time between two reads of the queue (the first at start, the next after the previous ended).' }),
    timeout: Duration({ default: '20s', description: 'A read that takes longer is killed and reported as failed (mail.queue.up = 0).' }),
    host: Type.String({
      default: '',
      description: 'Value of the mail.host attribute on every point. Empty: this machine\'s host name (set it when the command reads a remote or containerised Postfix).',
    }),
    max_domains: Type.Integer({
      minimum: 0,
      default: 100,
      description: 'Recipient domains reported by name in mail.queue.domain.* (the ones with the most queued messages over all queues); the rest are reported as `other`. 0: no per-domain metrics.',
    }),
    top_reasons: Type.Integer({
      minimum: 0,
      default: 10,
      description: 'Normalised delay reasons reported by name in mail.queue.delay_reasons (the most frequent); the rest are summed as `other`. 0: none.',
    }),
  },
  {
    default: {},
    description: 'Reads the Postfix queue (postqueue -j, locally or through a configured command) on an interval and emits queue size and age metrics.',
  },
);

export type PostfixQueueConfig = Static<typeof PostfixQueueConfig>;
