/**
 * How many failures a tolerance allows out of `total`: a count as is, a percentage rounded down.
 * Shared by a plan's tasks and a map's items. Unset means no limit.
 */
export function toleratedCount(tolerance: number | string | undefined, total: number): number {
  if (tolerance === undefined) return Number.POSITIVE_INFINITY;
  if (typeof tolerance === 'number') return tolerance;
  return Math.floor((parseFloat(tolerance) / 100) * total);
}
