// `mailsight run -c FILE`: run until SIGTERM/SIGINT (or until finite inputs end), then stop
// receivers, drain every queue, flush exporters and exit 0.
import { loadConfigFile } from '../config/loader.js';
import { Service } from '../pipeline/service.js';
import { registry } from '../components.js';
import { EXIT } from './exit_codes.js';

export async function runCommand(file: string): Promise<number> {
  const config = loadConfigFile(file, registry);
  const service = new Service({ config, registry });
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
