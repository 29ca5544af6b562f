// Every component mailsight ships, registered once. `mailsight components`, validation and
// the JSON Schema all read this list.
import type { AnyFactory } from './pipeline/component.js';
import { Registry } from './pipeline/registry.js';

export const factories: AnyFactory[] = [];

export const registry = new Registry(factories);
