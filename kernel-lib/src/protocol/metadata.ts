import { z } from 'zod';
import { METADATA_LIMITS } from './limits';
import { NAME_PATTERN } from './names';

/**
 * Public metadata of a dataset (SmartNoise style). Everything here is public by definition:
 * bounds and categories must come from domain knowledge, never from the private data.
 */
const Name = z.string().regex(NAME_PATTERN, 'letters, digits and _ (max 64)');

const Common = {
  nullable: z.boolean().default(false),
  description: z.string().max(METADATA_LIMITS.description).optional()
};

export const ColumnMetadata = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('int'),
      lower: z.number().int().optional(),
      upper: z.number().int().optional(),
      ...Common
    })
    .strict(),
  z
    .object({
      type: z.literal('float'),
      lower: z.number().finite().optional(),
      upper: z.number().finite().optional(),
      ...Common
    })
    .strict(),
  z
    .object({
      type: z.literal('string'),
      categories: z
        .array(z.string().max(METADATA_LIMITS.categoryLength))
        .max(METADATA_LIMITS.categories)
        .optional(),
      ...Common
    })
    .strict(),
  z.object({ type: z.literal('boolean'), ...Common }).strict(),
  z
    .object({
      type: z.literal('datetime'),
      lower: z.string().optional(),
      upper: z.string().optional(),
      ...Common
    })
    .strict()
]);
export type ColumnMetadata = z.infer<typeof ColumnMetadata>;

export const DatasetMetadata = z
  .object({
    /** Each person contributes at most this many rows (1 = row-level privacy). */
    max_ids: z.number().int().min(1).max(METADATA_LIMITS.maxIds).default(1),
    /** True when each row is one person (then max_ids must be 1). */
    row_privacy: z.boolean().default(true),
    /**
     * Optional column identifying the person: rows beyond max_ids per id are truncated (the
     * first max_ids in source order), and rows whose id is NULL, or does not fit the column's
     * type (which makes it NULL), are DROPPED at load: they cannot be tied to one person, so no
     * bound on a person's rows could hold for them. Ids are compared after the cast to the
     * column's type ("01" and "1" in an int column are one person).
     */
    privacy_id: Name.optional(),
    /** Public number of rows, if the dataset's size is itself public. */
    rows: z.number().int().nonnegative().optional(),
    columns: z
      .record(Name, ColumnMetadata)
      .refine(c => Object.keys(c).length > 0, 'at least one column')
      .meta({ minProperties: 1 })
  })
  .strict()
  .superRefine((m, ctx) => {
    for (const [name, c] of Object.entries(m.columns)) {
      if (
        (c.type === 'int' || c.type === 'float') &&
        c.lower !== undefined &&
        c.upper !== undefined &&
        c.lower > c.upper
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['columns', name],
          message: `lower (${c.lower}) is above upper (${c.upper})`
        });
      }
    }
    if (m.privacy_id !== undefined && !(m.privacy_id in m.columns)) {
      ctx.addIssue({
        code: 'custom',
        path: ['privacy_id'],
        message: `privacy_id "${m.privacy_id}" is not a column`
      });
    }
  })
  .meta({ id: 'DatasetMetadata', description: "A dataset's public metadata (SmartNoise style)." });
export type DatasetMetadata = z.infer<typeof DatasetMetadata>;
