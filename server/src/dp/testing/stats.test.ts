import { chi2Critical, gammaQ, ksCritical, wilson } from './stats';

// Reference values computed independently with mpmath (30 digits): χ²_df quantiles at 1e-6.
describe('test helpers', () => {
  it('chi2Critical matches mpmath at 1e-6', () => {
    const ref: Array<[number, number]> = [
      [1, 23.928126976934827],
      [5, 35.888186879672865],
      [20, 65.42068103504783],
      [50, 112.60809249896165]
    ];
    for (const [df, c] of ref) expect(Math.abs(chi2Critical(df) - c) / c).toBeLessThan(1e-6);
  });
  it('shows that df + 6·sqrt(2·df) is not a 1e-6 level', () => {
    expect(gammaQ(0.5, (1 + 6 * Math.sqrt(2)) / 2)).toBeGreaterThan(1e-3); // df = 1: ~2e-3
    expect(gammaQ(10, (20 + 6 * Math.sqrt(40)) / 2)).toBeGreaterThan(1e-5); // df = 20: ~1.5e-5
  });
  it('ksCritical agrees with scipy kstwo(5000).isf(1e-6) = 0.0380516 (asymptotic, conservative)', () => {
    expect(ksCritical(5000)).toBeGreaterThanOrEqual(0.038051617888080105);
    expect(ksCritical(5000)).toBeLessThan(0.0381);
  });
  it('wilson contains p', () => {
    const [lo, hi] = wilson(500, 1000);
    expect(lo).toBeLessThan(0.5);
    expect(hi).toBeGreaterThan(0.5);
  });
});
