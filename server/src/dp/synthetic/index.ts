/** The synthetic-data synthesizer (MST-style): see README.md and PROOF.md in this folder. */
export type { ColumnSpec, ColumnDomain } from './domain';
export { discretise, binEdges, valueIndex } from './domain';
export type { SynthesisSpec, SynthesisPlan, NoiseStage } from './plan';
export { planSynthesis } from './plan';
export type { MarginalCounts, Synthesis, SyntheticCell, MarginalReport } from './synthesize';
export { synthesize } from './synthesize';
