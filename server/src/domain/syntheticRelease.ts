import type {
  MarginalAccuracy,
  MechanismReport,
  SyntheticAccuracy,
  SyntheticColumnModel,
  SyntheticColumnType,
  SyntheticModel,
  SyntheticRelease
} from 'lomas-kernel/protocol';
import {
  binEdges,
  costToBudget,
  toSignificant,
  type ColumnDomain,
  type NoiseStage,
  type Synthesis,
  type SynthesisPlan
} from '../dp';

/**
 * The answers of the synthetic-data routes, built from a plan (public) and, for a release, the
 * synthesizer's output (released values only). Reports say what the noise means for accuracy and
 * what may not be concluded from a synthetic table.
 */

export const SYNTHETIC_NOTE =
  'A synthetic table is sampled from a model of the one-way marginals of every column and the pair marginals of a tree of column pairs chosen privately. ' +
  'Its one-way and tree-pair distributions are close to the real ones (see expectedTv); pairs outside the tree and all higher-order patterns are modelled, not measured: ' +
  'they follow the tree (conditional independence given the path between two columns), so do not conclude anything about them. ' +
  'Values inside a bin are drawn uniformly, and rare values share one merged value in the pair marginals. No synthetic row is a real person.';

function columnType(d: ColumnDomain): SyntheticColumnType {
  const s = d.spec;
  if (s.kind === 'datetime') return 'datetime';
  if (s.kind === 'numeric') return s.integer ? 'integer' : 'number';
  return s.categories.every(c => typeof c === 'boolean') ? 'boolean' : 'string';
}

function columnModel(d: ColumnDomain, kept?: number): SyntheticColumnModel {
  const s = d.spec;
  const base = { name: s.name, type: columnType(d), cells: d.cells, nullable: s.nullable };
  const extra: Partial<SyntheticColumnModel> = kept === undefined ? {} : { kept };
  if (s.kind === 'categorical') return { ...base, categories: [...s.categories], ...extra };
  const edges = binEdges(d);
  return {
    ...base,
    edges: s.kind === 'datetime' ? edges.map(e => new Date(e).toISOString()) : edges,
    ...extra
  };
}

const scaleText = (s: NoiseStage) => toSignificant(s.scale, 6, 'up');

function stageReports(plan: SynthesisPlan): MechanismReport[] {
  const { oneWay, selection, pairs } = plan.stages;
  const d = plan.domains.length;
  const out: MechanismReport[] = [
    {
      aggregation: 'one-way marginals',
      mechanism: oneWay.mechanism,
      scale: scaleText(oneWay),
      halfWidth: oneWay.halfWidth,
      confidence: plan.confidence,
      cost: costToBudget(oneWay.cost),
      note: `${d} histograms (one per column); ±${oneWay.halfWidth} rows is the noise of each cell`
    }
  ];
  if (selection)
    out.push({
      aggregation: 'tree of pairs',
      mechanism: selection.mechanism,
      scale: scaleText(selection),
      halfWidth: selection.halfWidth,
      confidence: plan.confidence,
      cost: costToBudget(selection.cost),
      note: `${plan.rounds} private choices; each chosen pair's dependence score is within ${Math.ceil(selection.halfWidth)} rows of the best pair offered`
    });
  if (pairs)
    out.push({
      aggregation: 'pair marginals',
      mechanism: pairs.mechanism,
      scale: scaleText(pairs),
      halfWidth: pairs.halfWidth,
      confidence: plan.confidence,
      cost: costToBudget(pairs.cost),
      note: `${plan.rounds} two-way histograms (the tree); ±${pairs.halfWidth} rows is the noise of each cell`
    });
  return out;
}

function accuracyOf(plan: SynthesisPlan, s?: Synthesis): SyntheticAccuracy {
  const names = plan.domains.map(d => d.spec.name);
  const { oneWay, selection, pairs } = plan.stages;
  const stageOf = (cols: number) => (cols === 1 ? oneWay : (pairs as NoiseStage));
  const marginals: MarginalAccuracy[] = s
    ? s.marginals.map(m => ({
        columns: m.columns.map(i => names[i]),
        cells: m.cells,
        mechanism: stageOf(m.columns.length).mechanism,
        scale: scaleText(stageOf(m.columns.length)),
        halfWidth: stageOf(m.columns.length).halfWidth,
        expectedTv: m.expectedTv
      }))
    : plan.domains.map(d => ({
        columns: [d.spec.name],
        cells: d.cells,
        mechanism: oneWay.mechanism,
        scale: scaleText(oneWay),
        halfWidth: oneWay.halfWidth
      }));
  return {
    confidence: plan.confidence,
    marginals,
    selection: selection
      ? {
          mechanism: selection.mechanism,
          scale: scaleText(selection),
          rounds: plan.rounds,
          gap: selection.halfWidth
        }
      : null,
    note: SYNTHETIC_NOTE
  };
}

export function modelOf(
  plan: SynthesisPlan,
  omitted: SyntheticModel['omitted'],
  s?: Synthesis
): SyntheticModel {
  const names = plan.domains.map(d => d.spec.name);
  return {
    columns: plan.domains.map((d, i) => columnModel(d, s?.kept[i])),
    omitted,
    ...(s
      ? {
          tree: s.tree.map(([a, b]): [string, string] => [names[a], names[b]]),
          rowsEstimate: Math.round(s.rowsEstimate * 100) / 100
        }
      : {})
  };
}

export function estimateParts(plan: SynthesisPlan, omitted: SyntheticModel['omitted']) {
  return {
    cost: costToBudget(plan.cost, 'decimal'),
    mechanisms: stageReports(plan),
    model: modelOf(plan, omitted),
    accuracy: accuracyOf(plan)
  };
}

/** The release (or dummy) answer: the synthetic rows column-wise, the model and the accuracy. */
export function buildSyntheticRelease(
  dataset: string,
  plan: SynthesisPlan,
  omitted: SyntheticModel['omitted'],
  s: Synthesis,
  kind: 'release' | 'dummy'
): SyntheticRelease {
  const rows = s.data[0]?.length ?? 0;
  const data: SyntheticRelease['data'] = {};
  plan.domains.forEach((d, i) => (data[d.spec.name] = s.data[i]));
  return {
    version: 1,
    kind,
    dataset,
    title: `synthetic table, ${rows} rows × ${plan.domains.length} columns — ${dataset}`,
    rows,
    columns: plan.domains.map(d => ({ name: d.spec.name, type: columnType(d) })),
    data,
    cost: kind === 'dummy' ? { epsilon: '0', delta: '0' } : costToBudget(plan.cost, 'decimal'),
    mechanisms: stageReports(plan),
    model: modelOf(plan, omitted, s),
    accuracy: accuracyOf(plan, s)
  };
}
