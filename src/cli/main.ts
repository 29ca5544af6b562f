// The `mailsight` command line. Each subcommand lives in its own module.
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfigFile } from '../config/loader.js';
import { configSchemaJson } from '../config/schema.js';
import { runConfigTests } from '../config/test_runner.js';
import { registry } from '../components.js';
import { MTAS } from '../processors/mta_parse/config.js';
import { componentsCommand } from './components.js';
import { parseCommand } from './parse.js';
import { reportCommand } from './report.js';
import { EXIT } from './exit_codes.js';
import { runCommand } from './run.js';
import { validateCommand } from './validate.js';

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
  mailsight report [--json] [--timezone TZ] FILE...
                                     correlate whole logs (.gz too, - for stdin) and print the
                                     summary: totals, per domain, latency, bounce classes, ...
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

export async function main(argv: string[]): Promise<number> {
  // Embedded pipelines refer to bundled files through ${env:MAILSIGHT_HOME}.
  process.env.MAILSIGHT_HOME ??= packageRoot;
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run': {
        const { values } = parseArgs({ args: rest, options: { config: { type: 'string', short: 'c' } } });
        return await runCommand(values.config ?? join(packageRoot, 'pipelines', 'default.yaml'));
      }
      case 'validate': {
        const { values, positionals } = parseArgs({ args: rest, options: { config: { type: 'string', short: 'c', multiple: true } }, allowPositionals: true });
        const files = [...(values.config ?? []), ...positionals];
        if (files.length === 0) return usage('validate needs -c FILE');
        return validateCommand(files, out, err);
      }
      case 'components': {
        const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean' } } });
        return componentsCommand(values.json ?? false, out);
      }
      case 'test': {
        const { values } = parseArgs({ args: rest, options: { config: { type: 'string', short: 'c' }, name: { type: 'string' } } });
        if (!values.config) return usage('test needs -c FILE');
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
        const mta = values.mta as (typeof MTAS)[number];
        if (!MTAS.includes(mta)) return usage(`--mta must be one of ${MTAS.join(', ')}`);
        return await parseCommand(positionals, { mta, timezone: values.timezone!, keepRaw: values.raw! }, writeOut);
      }
      case 'report': {
        const { values, positionals } = parseArgs({
          args: rest,
          options: { json: { type: 'boolean', default: false }, timezone: { type: 'string', default: 'local' } },
          allowPositionals: true,
        });
        if (positionals.length === 0) return usage('report needs at least one FILE (or - for stdin)');
        return await reportCommand(positionals, { json: values.json!, timezone: values.timezone }, (s) => process.stdout.write(s + '\n'));
      }
      case 'schema':
        process.stdout.write(configSchemaJson(registry));
        return EXIT.OK;
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
