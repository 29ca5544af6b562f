// The `mailsight` command line. Each subcommand lives in its own module.
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT } from './exit_codes.js';

// Subcommands are imported when chosen: loading every component (Ajv, TypeBox, OTel, prom-client)
// costs ~1 s of start-up that `report` and `parse` do not need.

const HELP = `mailsight — observability pipeline for email infrastructure

Usage:
  mailsight run [-c FILE]            run pipelines until SIGTERM/SIGINT, then drain and exit 0
                                     (without -c: the embedded demo, pipelines/default.yaml)
  mailsight validate -c FILE...      check config files; problems as file:line:col: key.path: reason
  mailsight components [--json]      list every receiver/processor/connector/exporter and its options
  mailsight test -c FILE [--name N]  run the file's tests: blocks
  mailsight parse [--mta M] [--timezone TZ] [--raw] [FILE...|-]
                                     MailEvent JSON lines on stdout (M: auto, postfix, exim,
                                     opendkim, opendmarc, policyd-spf, dovecot)
  mailsight report [--json] [--timezone TZ] [--threads N] FILE...
                                     correlate whole logs (.gz too, - for stdin) and print the
                                     summary: totals, per domain, latency, bounce classes, ...
                                     (--threads N|auto: shard one file over worker threads,
                                     auto = up to 4 for 16 MiB or more; same result; default 1)
  mailsight schema                   print the JSON Schema of pipeline files
  mailsight --help | --version

Exit codes:
  0  success
  1  runtime failure (a component failed to start, fatal error)
  2  usage error (unknown command or option)
  3  invalid configuration
  4  test failures (mailsight test)
`;

const out = (s: string) => process.stdout.write(s + '\n');
/** Write with back-pressure: large outputs (parse, report) must not buffer without bound. */
const writeOut = (chunk: string): Promise<void> | boolean =>
  process.stdout.write(chunk) || once(process.stdout, 'drain').then(() => undefined);
const err = (s: string) => process.stderr.write(s + '\n');

/** The package root, where the embedded pipelines and samples live. */
export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/**
 * A one-shot command whose reader went away (`mailsight parse x.log | head`): stop quietly, as
 * a Unix filter killed by SIGPIPE would, instead of an unhandled EPIPE stack trace. Not for
 * `run`, whose debug exporter counts its own write errors and keeps the pipeline going.
 */
function exitWhenStdoutCloses(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? EXIT.OK);
    throw e;
  });
}

export async function main(argv: string[]): Promise<number> {
  // Embedded pipelines refer to bundled files through ${env:MAILSIGHT_HOME}.
  process.env.MAILSIGHT_HOME ??= packageRoot;
  const [command, ...rest] = argv;
  if (command !== 'run') exitWhenStdoutCloses();
  try {
    switch (command) {
      case 'run': {
        const { values } = parseArgs({ args: rest, options: { config: { type: 'string', short: 'c' } } });
        const { runCommand } = await import('./run.js');
        return await runCommand(values.config ?? join(packageRoot, 'pipelines', 'default.yaml'));
      }
      case 'validate': {
        const { values, positionals } = parseArgs({ args: rest, options: { config: { type: 'string', short: 'c', multiple: true } }, allowPositionals: true });
        const files = [...(values.config ?? []), ...positionals];
        if (files.length === 0) return usage('validate needs -c FILE');
        const { validateCommand } = await import('./validate.js');
        return validateCommand(files, out, err);
      }
      case 'components': {
        const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean' } } });
        const { componentsCommand } = await import('./components.js');
        return componentsCommand(values.json ?? false, out);
      }
      case 'test': {
        const { values } = parseArgs({ args: rest, options: { config: { type: 'string', short: 'c' }, name: { type: 'string' } } });
        if (!values.config) return usage('test needs -c FILE');
        const [{ loadConfigFile }, { runConfigTests }, { registry }] = await Promise.all([
          import('../config/loader.js'),
          import('../config/test_runner.js'),
          import('../components.js'),
        ]);
        const config = loadConfigFile(values.config, registry);
        const results = await runConfigTests(config, registry, values.name);
        let failed = 0;
        for (const r of results) {
          out(`${r.passed ? 'ok  ' : 'FAIL'} ${r.name}`);
          for (const f of r.failures) out(`     ${f}`);
          if (!r.passed) failed++;
        }
        out(`${results.length - failed} passed, ${failed} failed`);
        return failed ? EXIT.TESTS_FAILED : EXIT.OK;
      }
      case 'parse': {
        const { values, positionals } = parseArgs({
          args: rest,
          options: { mta: { type: 'string', default: 'auto' }, timezone: { type: 'string', default: 'local' }, raw: { type: 'boolean', default: false } },
          allowPositionals: true,
        });
        const { MTAS } = await import('../processors/mta_parse/config.js');
        const mta = values.mta as (typeof MTAS)[number];
        if (!MTAS.includes(mta)) return usage(`--mta must be one of ${MTAS.join(', ')}`);
        const { parseCommand } = await import('./parse.js');
        return await parseCommand(positionals, { mta, timezone: values.timezone!, keepRaw: values.raw! }, writeOut);
      }
      case 'report': {
        const { values, positionals } = parseArgs({
          args: rest,
          options: {
            json: { type: 'boolean', default: false },
            timezone: { type: 'string', default: 'local' },
            threads: { type: 'string' },
          },
          allowPositionals: true,
        });
        if (positionals.length === 0) return usage('report needs at least one FILE (or - for stdin)');
        let threads: number | 'auto' | undefined;
        if (values.threads === 'auto') threads = 'auto';
        else if (values.threads !== undefined) {
          threads = Number(values.threads);
          if (!Number.isInteger(threads) || threads < 1 || threads > 64) return usage('--threads must be auto or an integer from 1 to 64');
        }
        const { reportCommand } = await import('./report.js');
        return await reportCommand(positionals, { json: values.json!, timezone: values.timezone, threads }, (s) => process.stdout.write(s + '\n'));
      }
      case 'schema': {
        const [{ configSchemaJson }, { registry }] = await Promise.all([import('../config/schema.js'), import('../components.js')]);
        process.stdout.write(configSchemaJson(registry));
        return EXIT.OK;
      }
      case '--version':
      case 'version':
        out('mailsight 0.1.0');
        return EXIT.OK;
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        out(HELP);
        return command === undefined ? EXIT.USAGE : EXIT.OK;
      default:
        return usage(`unknown command "${command}"`);
    }
  } catch (e) {
    const { ConfigError } = await import('../config/loader.js');
    if (e instanceof ConfigError) {
      err(e.message);
      return EXIT.CONFIG;
    }
    if (e instanceof TypeError && (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) return usage(e.message);
    throw e;
  }
}

function usage(message: string): number {
  err(`mailsight: ${message}\n`);
  err(HELP);
  return EXIT.USAGE;
}
