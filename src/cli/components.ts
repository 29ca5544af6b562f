// `mailsight components [--json]`: every component with its options and defaults, read from
// the same schemas that validate configs.
import { componentEntrySchema } from '../config/schema.js';
import { describeOptions, type JsonSchema } from '../config/options_doc.js';
import { registry } from '../components.js';

export function componentsCommand(json: boolean, out: (s: string) => void): number {
  const list = registry.all().map((f) => ({
    kind: f.kind,
    type: f.type,
    stability: f.stability,
    signals: f.signals,
    description: f.description,
    options: describeOptions(componentEntrySchema(f) as JsonSchema),
  }));
  if (json) {
    out(JSON.stringify(list, null, 2));
    return 0;
  }
  for (const c of list) {
    out(`${c.kind} ${c.type}  [${c.stability}; ${c.signals.join(', ')}]`);
    out(`  ${c.description}`);
    for (const o of c.options) {
      const def = o.default === undefined ? (o.required ? ' (required)' : '') : ` = ${JSON.stringify(o.default)}`;
      out(`    ${o.name}: ${o.type}${def}${o.description ? '  — ' + o.description : ''}`);
    }
    out('');
  }
  return 0;
}
