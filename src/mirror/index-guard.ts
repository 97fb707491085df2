/**
 * The index guard: a new upstream index replaces the last good one only if it has entries
 * and has not shrunk past `maxShrink`. Returns why it is refused, or undefined.
 */
export function guardRefusal(
  next: { versions: number },
  lastGood: { versions: number } | undefined,
  maxShrink: number,
): { reason: 'empty' | 'shrink'; message: string } | undefined {
  if (next.versions === 0) return { reason: 'empty', message: 'the index has no chart versions' };
  if (lastGood === undefined || lastGood.versions === 0) return undefined;
  const shrink = (lastGood.versions - next.versions) / lastGood.versions;
  if (shrink > maxShrink) {
    return {
      reason: 'shrink',
      message: `the index dropped from ${lastGood.versions} to ${next.versions} chart versions (${Math.round(
        shrink * 100,
      )}%), more than guard.maxShrink ${Math.round(maxShrink * 100)}%`,
    };
  }
  return undefined;
}
