// The component registry: type -> factory, per kind. Built once in src/components.ts.
import type { AnyFactory, ComponentKind } from './component.js';

export class Registry {
  private readonly byKind = new Map<ComponentKind, Map<string, AnyFactory>>();

  constructor(factories: readonly AnyFactory[]) {
    for (const f of factories) {
      let m = this.byKind.get(f.kind);
      if (!m) this.byKind.set(f.kind, (m = new Map()));
      if (m.has(f.type)) throw new Error(`duplicate ${f.kind} type "${f.type}"`);
      m.set(f.type, f);
    }
  }

  get(kind: ComponentKind, type: string): AnyFactory | undefined {
    return this.byKind.get(kind)?.get(type);
  }

  list(kind: ComponentKind): AnyFactory[] {
    return [...(this.byKind.get(kind)?.values() ?? [])].sort((a, b) => a.type.localeCompare(b.type));
  }

  all(): AnyFactory[] {
    return (['receiver', 'processor', 'connector', 'exporter'] as const).flatMap((k) => this.list(k));
  }
}
