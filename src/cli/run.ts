// `mailsight run -c FILE`: run until SIGTERM/SIGINT (or until finite inputs end), then stop
// receivers, drain every queue, flush exporters and exit 0.
import { loadConfigFile } from '../config/loader.js';
import { Service } from '../pipeline/service.js';
import { registry } from '../components.js';
import { EXIT } from './exit_codes.js';

/**
 * The young-generation size V8 was started with (bin/mailsight.js sets it: see there), or
 * undefined for V8's default. Logged at start because it halves the CPU of a busy pipeline.
 */
export function semiSpaceFlag(execArgv: readonly string[], nodeOptions: string | undefined): string | undefined {
  // Command-line options override NODE_OPTIONS: search them last-first.
  const args = [...(nodeOptions ?? '').split(/\s+/), ...execArgv];
  for (let i = args.length - 1; i >= 0; i--) {
    const m = /^--max[-_]semi[-_]space[-_]size(?:=(.*))?$/.exec(args[i]);
    if (m) return m[1] ?? args[i + 1];
  }
  return undefined;
}

export async function runCommand(file: string): Promise<number> {
  const config = loadConfigFile(file, registry);
  const service = new Service({ config, registry });
  const semi = semiSpaceFlag(process.execArgv, process.env.NODE_OPTIONS);
  if (semi === undefined) {
    service.logger.info(
      'V8 young generation at its default (started without --max-semi-space-size, e.g. as `node bin/mailsight.js`): at high line rates GC costs up to twice the CPU; run bin/mailsight.js directly',
    );
  } else service.logger.debug({ max_semi_space_size_mib: Number(semi) }, 'V8 young generation set');
  let failed = false;
  const stopped = new Promise<void>((resolveStop) => {
    let stopping = false;
    const stop = (why: string) => {
      if (stopping) {
        service.logger.warn({ why }, 'second signal: exiting without draining');
        process.exit(EXIT.FAILURE);
      }
      stopping = true;
      service.logger.info({ why }, 'shutting down');
      service.shutdown().then(resolveStop, (err: unknown) => {
        service.logger.error({ err }, 'shutdown failed');
        failed = true;
        resolveStop();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    service.onFatal(() => {
      failed = true;
      stop('fatal error');
    });
    void service.start().then(
      () => {
        void service.graph.whenInputEnded();
        const done = service.graph.finiteInputDone();
        if (done) void done.then(() => stop('all inputs ended'));
      },
      (err: unknown) => {
        service.logger.fatal({ err }, 'start failed');
        failed = true;
        stop('start failed');
      },
    );
  });
  await stopped;
  return failed ? EXIT.FAILURE : EXIT.OK;
}
