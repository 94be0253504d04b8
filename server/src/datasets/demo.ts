import { readFileSync } from 'node:fs';
import type { AccountingMode, Budget, DatasetMetadata } from 'lomas-kernel/protocol';
import type { ConnectorSpec } from './connectors/types';
import { vegaFile } from './connectors/vega';

/**
 * Demo datasets for a fresh install, read in place from the `vega-datasets` npm package.
 *
 * Their metadata is PUBLIC and was written from domain knowledge, not measured on the files:
 * bounds are physical/plausible ranges (penguin body masses, car horsepower, flight distances in
 * the contiguous US plus Alaska/Hawaii), categories are the known species/islands/origins and the
 * public list of US airport codes (vega-datasets' airports.csv, a reference table that is not the
 * private flights data). Values outside the bounds are clamped at aggregation time; string values
 * outside the categories load as NULL.
 *
 * Source column names with spaces/parentheses (vega's "Beak Length (mm)") are mapped to
 * identifier names through the connector's `columns` map.
 */

export interface DatasetRegistration {
  name: string;
  description: string;
  connector: ConnectorSpec;
  metadata: DatasetMetadata;
  accounting: AccountingMode;
  /** For approx/zcdp datasets: δ as a decimal string. */
  delta?: string;
  /** Suggested dataset-wide cap across all analysts (null: none). */
  cap: Budget | null;
  /** Suggested initial grant for a demo analyst. */
  suggestedGrant: Budget;
}

let airportCodes: string[] | undefined;

/** IATA codes of vega-datasets' public airports reference table (airports.csv, first column). */
export function usAirportCodes(): string[] {
  if (airportCodes) return airportCodes;
  const text = readFileSync(vegaFile('airports').path, 'utf8');
  const codes = new Set<string>();
  for (const line of text.split(/\r?\n/).slice(1)) {
    const code = line.split(',')[0]?.replace(/^"|"$/g, '').trim();
    if (code && /^[A-Z0-9]{2,4}$/.test(code)) codes.add(code);
  }
  return (airportCodes = [...codes].sort());
}

const penguins = (): DatasetRegistration => ({
  name: 'penguins',
  description:
    'Palmer Archipelago penguins (Gorman et al. 2014): 3 species on 3 islands; one row per penguin.',
  connector: {
    kind: 'vega-datasets',
    name: 'penguins',
    columns: {
      species: 'Species',
      island: 'Island',
      bill_length_mm: 'Beak Length (mm)',
      bill_depth_mm: 'Beak Depth (mm)',
      flipper_length_mm: 'Flipper Length (mm)',
      body_mass_g: 'Body Mass (g)',
      sex: 'Sex'
    }
  },
  metadata: {
    max_ids: 1,
    row_privacy: true,
    columns: {
      species: {
        type: 'string',
        categories: ['Adelie', 'Chinstrap', 'Gentoo'],
        nullable: false,
        description: 'Penguin species'
      },
      island: {
        type: 'string',
        categories: ['Biscoe', 'Dream', 'Torgersen'],
        nullable: false,
        description: 'Island of the Palmer Archipelago'
      },
      bill_length_mm: {
        type: 'float',
        lower: 30,
        upper: 60,
        nullable: true,
        description: 'Bill (culmen) length, mm'
      },
      bill_depth_mm: {
        type: 'float',
        lower: 13,
        upper: 22,
        nullable: true,
        description: 'Bill (culmen) depth, mm'
      },
      flipper_length_mm: {
        type: 'int',
        lower: 170,
        upper: 235,
        nullable: true,
        description: 'Flipper length, mm'
      },
      body_mass_g: {
        type: 'int',
        lower: 2500,
        upper: 6500,
        nullable: true,
        description: 'Body mass, g'
      },
      sex: {
        type: 'string',
        categories: ['MALE', 'FEMALE'],
        nullable: true,
        description: 'Sex (null when unknown)'
      }
    }
  },
  accounting: 'pure',
  cap: { epsilon: '20', delta: '0' },
  suggestedGrant: { epsilon: '10', delta: '0' }
});

const cars = (): DatasetRegistration => ({
  name: 'cars',
  description:
    'Cars of model years 1970–1982 (Henderson & Velleman 1981): fuel economy, engine and origin; one row per model.',
  connector: {
    kind: 'vega-datasets',
    name: 'cars',
    columns: {
      name: 'Name',
      miles_per_gallon: 'Miles_per_Gallon',
      cylinders: 'Cylinders',
      displacement: 'Displacement',
      horsepower: 'Horsepower',
      weight_lbs: 'Weight_in_lbs',
      acceleration: 'Acceleration',
      year: 'Year',
      origin: 'Origin'
    }
  },
  metadata: {
    max_ids: 1,
    row_privacy: true,
    columns: {
      name: {
        type: 'string',
        nullable: false,
        description: 'Model name (no public list: cannot be a public group key)'
      },
      miles_per_gallon: {
        type: 'float',
        lower: 5,
        upper: 50,
        nullable: true,
        description: 'Miles per US gallon'
      },
      cylinders: {
        type: 'int',
        lower: 3,
        upper: 12,
        nullable: false,
        description: 'Number of cylinders'
      },
      displacement: {
        type: 'float',
        lower: 50,
        upper: 500,
        nullable: false,
        description: 'Engine displacement, cubic inches'
      },
      horsepower: {
        type: 'int',
        lower: 40,
        upper: 250,
        nullable: true,
        description: 'Engine power, hp'
      },
      weight_lbs: {
        type: 'int',
        lower: 1500,
        upper: 5500,
        nullable: false,
        description: 'Weight, lbs'
      },
      acceleration: {
        type: 'float',
        lower: 5,
        upper: 30,
        nullable: false,
        description: '0–60 mph time, s'
      },
      year: {
        type: 'datetime',
        lower: '1970-01-01',
        upper: '1982-12-31',
        nullable: false,
        description: 'Model year (January 1st)'
      },
      origin: {
        type: 'string',
        categories: ['USA', 'Europe', 'Japan'],
        nullable: false,
        description: 'Region of origin'
      }
    }
  },
  accounting: 'approx',
  delta: '0.00001',
  cap: { epsilon: '20', delta: '0.0001' },
  suggestedGrant: { epsilon: '10', delta: '0.00005' }
});

const flights = (): DatasetRegistration => ({
  name: 'flights',
  description:
    'US domestic flights, January–June 2001 (3 million rows, Parquet): departure time, delay, distance, origin and destination airports.',
  connector: { kind: 'vega-datasets', name: 'flights-3m' },
  metadata: {
    max_ids: 1,
    row_privacy: true,
    columns: {
      date: {
        type: 'datetime',
        lower: '2001-01-01T00:00:00',
        upper: '2001-12-31T23:59:59',
        nullable: false,
        description: 'Scheduled departure'
      },
      delay: {
        type: 'int',
        lower: -120,
        upper: 720,
        nullable: false,
        description: 'Arrival delay, minutes (negative: early)'
      },
      distance: {
        type: 'int',
        lower: 0,
        upper: 5100,
        nullable: false,
        description: 'Flight distance, miles'
      },
      origin: {
        type: 'string',
        categories: usAirportCodes(),
        nullable: false,
        description: 'Origin airport (IATA code)'
      },
      destination: {
        type: 'string',
        categories: usAirportCodes(),
        nullable: false,
        description: 'Destination airport (IATA code)'
      }
    }
  },
  accounting: 'zcdp',
  delta: '0.000001',
  // zCDP datasets are budgeted in ρ (ρ = 1 is about ε = 8.4 at δ = 1e-6 by the tight conversion).
  cap: { epsilon: '0', delta: '0.00001', rho: '5' },
  suggestedGrant: { epsilon: '0', delta: '0.000001', rho: '1' }
});

/** The default demo registrations (penguins, cars, flights-3m). Metadata objects are fresh copies. */
export function demoDatasets(): DatasetRegistration[] {
  return [penguins(), cars(), flights()];
}
