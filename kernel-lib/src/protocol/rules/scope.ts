import type { DatasetMetadata } from '../metadata';
import { bounded } from './domain';
import { unknownColumn } from './messages';
import type { ColumnInfo, Domain } from './types';

/** The columns visible at one point of a plan's steps, with their types and public domains. */
export type Scope = ReadonlyMap<string, ColumnInfo>;

/** Where a check happens: the dataset (for messages) and the columns in scope. */
export interface CheckContext {
  readonly dataset: string;
  readonly scope: Scope;
}

function metaDomain(c: DatasetMetadata['columns'][string]): Domain {
  switch (c.type) {
    case 'int':
    case 'float':
      return bounded(c.lower, c.upper, c.nullable, c.type === 'int');
    case 'string':
      return c.categories
        ? { categories: [...new Set(c.categories)], nullable: c.nullable }
        : { nullable: c.nullable };
    case 'boolean':
      return { nullable: c.nullable };
    case 'datetime': {
      const lo = c.lower !== undefined ? Date.parse(c.lower) : undefined;
      const hi = c.upper !== undefined ? Date.parse(c.upper) : undefined;
      return bounded(lo, hi, c.nullable);
    }
  }
}

/** The dataset's columns as the first step of a plan sees them. */
export function scopeOf(metadata: DatasetMetadata): Scope {
  const scope = new Map<string, ColumnInfo>();
  for (const [name, c] of Object.entries(metadata.columns))
    scope.set(name, { name, type: c.type, dom: metaDomain(c) });
  return scope;
}

/** A column in scope, or UNKNOWN_COLUMN listing the known ones. */
export function columnOf(ctx: CheckContext, name: string): ColumnInfo {
  const c = ctx.scope.get(name);
  if (!c) throw unknownColumn(name, ctx.dataset, ctx.scope.keys());
  return c;
}
