import { z } from 'zod';
import { NAME_PATTERN } from './names';

/**
 * Connector settings: where a dataset's rows come from, as an administrator registers them (admin
 * bodies, the configuration file) and as the server stores them. A connector's only job is to
 * produce ONE LOCAL FILE in a format the engine loads; the engine loads it once, then switches
 * external access off.
 *
 * Every kind may carry `columns`: a map from metadata column name (an identifier) to the column
 * name in the source file (which may contain spaces, e.g. vega's "Beak Length (mm)"). Columns not
 * named there are looked up under their metadata name. Source columns that are not in the
 * metadata are never loaded.
 */

export const FORMATS = ['csv', 'json', 'parquet', 'arrow'] as const;
export const Format = z.enum(FORMATS);
export type Format = z.infer<typeof Format>;

const ColumnMap = z.record(z.string().regex(NAME_PATTERN), z.string().min(1).max(200));

/** Default cap on downloaded bytes (HTTP and S3): 2 GiB. */
export const DEFAULT_MAX_BYTES = 2 * 1024 ** 3;

export const FileSettings = z
  .object({
    kind: z.literal('file'),
    path: z.string().min(1).max(4096),
    format: Format,
    columns: ColumnMap.optional()
  })
  .strict();

export const HttpSettings = z
  .object({
    kind: z.literal('http'),
    url: z
      .string()
      .url()
      .refine(u => /^https?:\/\//i.test(u), 'http or https URL'),
    format: Format,
    /** Refuse bodies larger than this (bytes). */
    maxBytes: z
      .number()
      .int()
      .positive()
      .max(64 * 1024 ** 3)
      .optional(),
    timeoutMs: z.number().int().positive().max(3_600_000).optional(),
    /** Extra request headers (e.g. an Authorization header for a private bucket behind HTTPS). */
    headers: z.record(z.string(), z.string()).optional(),
    columns: ColumnMap.optional()
  })
  .strict();

export const S3Settings = z
  .object({
    kind: z.literal('s3'),
    bucket: z.string().min(1).max(255),
    key: z.string().min(1).max(1024),
    region: z.string().min(1).max(64).default('us-east-1'),
    /** S3-compatible endpoint (MinIO, s3rver, ...); omit for AWS. */
    endpoint: z.string().url().optional(),
    forcePathStyle: z.boolean().optional(),
    format: Format,
    /**
     * Explicit credentials. When absent the AWS SDK default chain applies (AWS_ACCESS_KEY_ID /
     * AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN in the environment, profiles, instance roles).
     * `fromEnv` names environment variables to read instead of storing secrets in the record.
     */
    credentials: z
      .union([
        z
          .object({
            accessKeyId: z.string(),
            secretAccessKey: z.string(),
            sessionToken: z.string().optional()
          })
          .strict(),
        z
          .object({
            fromEnv: z
              .object({
                accessKeyId: z.string(),
                secretAccessKey: z.string(),
                sessionToken: z.string().optional()
              })
              .strict()
          })
          .strict()
      ])
      .optional(),
    maxBytes: z
      .number()
      .int()
      .positive()
      .max(64 * 1024 ** 3)
      .optional(),
    columns: ColumnMap.optional()
  })
  .strict();

/** Files shipped by the `vega-datasets` npm package, with their formats. */
export const VEGA_FILES = {
  penguins: { file: 'penguins.json', format: 'json' },
  cars: { file: 'cars.json', format: 'json' },
  movies: { file: 'movies.json', format: 'json' },
  'flights-2k': { file: 'flights-2k.json', format: 'json' },
  'flights-5k': { file: 'flights-5k.json', format: 'json' },
  'flights-10k': { file: 'flights-10k.json', format: 'json' },
  'flights-20k': { file: 'flights-20k.json', format: 'json' },
  'flights-200k': { file: 'flights-200k.arrow', format: 'arrow' },
  'flights-3m': { file: 'flights-3m.parquet', format: 'parquet' },
  birdstrikes: { file: 'birdstrikes.csv', format: 'csv' },
  'seattle-weather': { file: 'seattle-weather.csv', format: 'csv' },
  airports: { file: 'airports.csv', format: 'csv' }
} as const satisfies Record<string, { file: string; format: Format }>;
export type VegaName = keyof typeof VEGA_FILES;

export const VegaSettings = z
  .object({
    kind: z.literal('vega-datasets'),
    name: z.enum(Object.keys(VEGA_FILES) as [VegaName, ...VegaName[]]),
    columns: ColumnMap.optional()
  })
  .strict();

export const ConnectorSpec = z
  .discriminatedUnion('kind', [FileSettings, HttpSettings, S3Settings, VegaSettings])
  .meta({ id: 'ConnectorSettings', description: "Where a dataset's rows come from." });
export type ConnectorSpec = z.infer<typeof ConnectorSpec>;
export type FileSettings = z.infer<typeof FileSettings>;
export type HttpSettings = z.infer<typeof HttpSettings>;
export type S3Settings = z.infer<typeof S3Settings>;
export type VegaSettings = z.infer<typeof VegaSettings>;
